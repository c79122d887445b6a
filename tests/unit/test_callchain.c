/*
 * Reading a call chain from a stack (host/peel/callchain.c): the frame
 * chain is followed, stale words in framed locals are not read, and every
 * stretch the chain cannot account for is read word by word.
 *
 * The image of these tests: code at 0x1000..0x1600, functions
 *   MAIN  [0x1000, 0x1100) framed      S    [0x1100, 0x1200) framed (the one looked for)
 *   W     [0x1200, 0x1300) framed      STUB [0x1300, 0x1340) frameless (an interrupt entry)
 *   A     [0x1400, 0x1500) framed
 * and a stack at 0x8000..0x8100 (top).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host/peel/callchain.h"

#define CODE 0x1000u
#define STACK 0x8000u
#define TOP 0x8100u
enum { MAIN = 0x1000, S = 0x1100, W = 0x1200, STUB = 0x1300, A = 0x1400 };

static struct callchain_fn fns[] = {
    { MAIN, MAIN + 0x100, true }, { S, S + 0x100, true }, { W, W + 0x100, true },
    { STUB, STUB + 0x40, false }, { A, A + 0x100, true },
};

struct world {
    uint32_t stack[(TOP - STACK) / 4];
    uint8_t code[0x600];
    uint32_t seen[64];
    unsigned nseen;
};

static bool word(void *ctx, uint32_t a, uint32_t *out)
{
    struct world *w = ctx;
    if (a < STACK || (uint64_t)a + 4 > TOP || (a & 3))
        return false;
    *out = w->stack[(a - STACK) / 4];
    return true;
}

static const uint8_t *code(void *ctx, uint32_t a, uint32_t n)
{
    struct world *w = ctx;
    return a >= CODE && (uint64_t)a + n <= CODE + sizeof w->code ? &w->code[a - CODE] : 0;
}

static bool visit(void *ctx, uint32_t a)
{
    struct world *w = ctx;
    if (w->nseen < 64)
        w->seen[w->nseen++] = a;
    return false;                                    /* see everything: the tests look at the list */
}

static bool seen(const struct world *w, uint32_t a)
{
    for (unsigned i = 0; i < w->nseen; i++)
        if (w->seen[i] == a) return true;
    return false;
}

static void put(struct world *w, uint32_t at, uint32_t v) { w->stack[(at - STACK) / 4] = v; }

static struct callchain chain_of(struct world *w, bool frame_pointers)
{
    return (struct callchain){ word, code, visit, w, fns, sizeof fns / sizeof fns[0], TOP, frame_pointers };
}

/* A thread in W's body, called from MAIN, with a stale return address into
 * S left in W's locals: MAIN's return is read, the stale word is not. */
static void stale_word_in_framed_locals_is_not_read(void **state)
{
    (void)state;
    static struct world w;
    memset(&w, 0, sizeof w);
    put(&w, 0x8010, S + 0x20);                       /* W's locals: stale */
    put(&w, 0x8040, 0x80c0);                         /* W's frame: saved EBP (MAIN's frame) */
    put(&w, 0x8044, MAIN + 0x30);                    /* return into MAIN */
    put(&w, 0x80c0, 0);                              /* MAIN's frame: the chain's end */
    put(&w, 0x80c4, 0);
    struct callchain c = chain_of(&w, true);
    assert_false(callchain_walk(&c, W + 0x10, 0x8000, 0x8040));
    assert_true(seen(&w, MAIN + 0x30));
    assert_false(seen(&w, S + 0x20));
}

/* The same stack in an image without frame pointers: every word is read. */
static void without_frame_pointers_every_word_is_read(void **state)
{
    (void)state;
    static struct world w;
    memset(&w, 0, sizeof w);
    put(&w, 0x8010, S + 0x20);
    put(&w, 0x8040, 0x80c0);
    put(&w, 0x8044, MAIN + 0x30);
    struct callchain c = chain_of(&w, false);
    callchain_walk(&c, W + 0x10, 0x8000, 0x8040);
    assert_true(seen(&w, S + 0x20));
}

/* A thread in A's body called from S: the return into S is found. */
static void a_return_address_in_the_chain_is_read(void **state)
{
    (void)state;
    static struct world w;
    memset(&w, 0, sizeof w);
    put(&w, 0x8020, 0x8060);                         /* A's frame */
    put(&w, 0x8024, S + 0x40);                       /* into S */
    put(&w, 0x8060, 0x80a0);                         /* S's frame */
    put(&w, 0x8064, W + 0x50);                       /* into W */
    put(&w, 0x80a0, 0);
    struct callchain c = chain_of(&w, true);
    callchain_walk(&c, A + 0x08, 0x8000, 0x8020);
    assert_true(seen(&w, S + 0x40));
    assert_true(seen(&w, W + 0x50));
}

/* A guest interrupt inside S: the handler (A, framed) was called by the
 * frameless entry STUB, whose stretch holds the iret frame with S's EIP. */
static void an_interrupted_eip_below_a_frameless_entry_is_read(void **state)
{
    (void)state;
    static struct world w;
    memset(&w, 0, sizeof w);
    put(&w, 0x8010, 0x8080);                         /* A's frame: EBP saved = S's frame */
    put(&w, 0x8014, STUB + 0x10);                    /* into the entry stub */
    put(&w, 0x8030, S + 0x66);                       /* the iret frame: EIP */
    put(&w, 0x8034, 0x08);                           /* CS */
    put(&w, 0x8038, 0x202);                          /* EFLAGS */
    put(&w, 0x8080, 0x80c0);                         /* S's frame */
    put(&w, 0x8084, W + 0x10);
    struct callchain c = chain_of(&w, true);
    callchain_walk(&c, A + 0x20, 0x8000, 0x8010);
    assert_true(seen(&w, S + 0x66));
    assert_true(seen(&w, W + 0x10));
}

/* On a function's first instruction, or on a ret, the return address is on
 * top and EBP is the caller's frame. */
static void at_an_entry_the_top_word_is_the_return(void **state)
{
    (void)state;
    static struct world w;
    memset(&w, 0, sizeof w);
    put(&w, 0x8000, S + 0x12);                       /* [esp]: into S */
    put(&w, 0x8008, S + 0x99);                       /* S's locals: stale, not read */
    put(&w, 0x8040, 0x80c0);                         /* S's frame */
    put(&w, 0x8044, MAIN + 0x30);
    struct callchain c = chain_of(&w, true);
    callchain_walk(&c, A, 0x8000, 0x8040);
    assert_true(seen(&w, S + 0x12));
    assert_true(seen(&w, MAIN + 0x30));
    assert_false(seen(&w, S + 0x99));

    memset(&w, 0, sizeof w);
    put(&w, 0x8000, S + 0x12);
    put(&w, 0x8040, 0x80c0);
    w.code[A + 0x40 - CODE] = 0xc3;                  /* A's ret, after `leave` */
    c = chain_of(&w, true);
    callchain_walk(&c, A + 0x40, 0x8000, 0x8040);
    assert_true(seen(&w, S + 0x12));
}

/* After `push %ebp`, before `mov %esp,%ebp`: the return address is the
 * second word, read with the stretch below the caller's frame. */
static void a_prologue_half_done_is_read_blind(void **state)
{
    (void)state;
    static struct world w;
    memset(&w, 0, sizeof w);
    put(&w, 0x8000, 0x8040);                         /* the pushed EBP */
    put(&w, 0x8004, S + 0x30);                       /* the return address */
    put(&w, 0x8040, 0x80c0);
    put(&w, 0x8044, MAIN + 0x30);
    struct callchain c = chain_of(&w, true);
    callchain_walk(&c, A + 1, 0x8000, 0x8040);
    assert_true(seen(&w, S + 0x30));
    assert_true(seen(&w, MAIN + 0x30));
}

/* A link that points down or at itself, or an EBP below ESP: the rest is
 * read blind, and the walk ends. */
static void a_broken_chain_is_read_blind(void **state)
{
    (void)state;
    static struct world w;
    memset(&w, 0, sizeof w);
    put(&w, 0x8040, 0x8040);                         /* a frame linking to itself */
    put(&w, 0x8044, W + 0x10);
    put(&w, 0x8080, S + 0x20);                       /* above it: read */
    struct callchain c = chain_of(&w, true);
    callchain_walk(&c, A + 0x10, 0x8000, 0x8040);
    assert_true(seen(&w, S + 0x20));

    memset(&w, 0, sizeof w);
    put(&w, 0x8010, S + 0x20);
    c = chain_of(&w, true);
    callchain_walk(&c, A + 0x10, 0x8020, 0x7000);   /* EBP below the stack */
    assert_false(seen(&w, S + 0x20));                /* below ESP: not the thread's */
    put(&w, 0x8030, S + 0x24);
    callchain_walk(&c, A + 0x10, 0x8020, 0x7000);
    assert_true(seen(&w, S + 0x24));
}

/* Hostile registers: EBP and ESP at the top of the address space, a top
 * below ESP.  Nothing is read out of bounds (ASan) and the walk ends. */
static void hostile_registers_end_the_walk(void **state)
{
    (void)state;
    static struct world w;
    memset(&w, 0, sizeof w);
    struct callchain c = chain_of(&w, true);
    callchain_walk(&c, A + 0x10, 0xfffffffc, 0xfffffffc);
    callchain_walk(&c, 0xffffffff, 0xfffffff0, 0x8000);
    callchain_walk(&c, W, 0x80fc, 0x80fe);
    c.top = 0x8000;
    callchain_walk(&c, W + 0x10, 0x8040, 0x8040);
    for (unsigned i = 0; i < w.nseen; i++)
        assert_int_equal(w.seen[i], 0);              /* only the (zero) words of the stack itself */
}

static void framed_prologues_are_recognised(void **state)
{
    (void)state;
    static const uint8_t att[] = { 0x55, 0x89, 0xe5 }, intel[] = { 0x55, 0x8b, 0xec }, other[] = { 0x55, 0x57, 0x89 };
    assert_true(callchain_framed(att));
    assert_true(callchain_framed(intel));
    assert_false(callchain_framed(other));
    assert_false(callchain_framed(0));
}

static void the_table_sorts_and_finds(void **state)
{
    (void)state;
    enum { N = 1000 };
    static struct callchain_fn t[N];
    for (unsigned i = 0; i < N; i++) {              /* distinct starts, shuffled */
        unsigned j = (i * 7919u) % N;
        t[i] = (struct callchain_fn){ 0x100000u + j * 0x40u, 0x100000u + j * 0x40u + 0x30u, j % 3 == 0 };
    }
    callchain_sort(t, N);
    for (unsigned i = 1; i < N; i++)
        assert_true(t[i - 1].lo < t[i].lo);
    assert_ptr_equal(callchain_find(t, N, 0x100000u), &t[0]);
    assert_ptr_equal(callchain_find(t, N, 0x10002fu), &t[0]);
    assert_null(callchain_find(t, N, 0x100030u));    /* the gap between two functions */
    assert_null(callchain_find(t, N, 0x0fffffu));
    assert_ptr_equal(callchain_find(t, N, 0x100000u + 999 * 0x40u + 4), &t[N - 1]);
    assert_null(callchain_find(t, 0, 0x100000u));
    assert_false(callchain_keeps_frames(t, N));      /* a third framed */
    assert_true(callchain_keeps_frames(fns, sizeof fns / sizeof fns[0]));
    assert_false(callchain_keeps_frames(fns, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stale_word_in_framed_locals_is_not_read),
        cmocka_unit_test(without_frame_pointers_every_word_is_read),
        cmocka_unit_test(a_return_address_in_the_chain_is_read),
        cmocka_unit_test(an_interrupted_eip_below_a_frameless_entry_is_read),
        cmocka_unit_test(at_an_entry_the_top_word_is_the_return),
        cmocka_unit_test(a_prologue_half_done_is_read_blind),
        cmocka_unit_test(a_broken_chain_is_read_blind),
        cmocka_unit_test(hostile_registers_end_the_walk),
        cmocka_unit_test(framed_prologues_are_recognised),
        cmocka_unit_test(the_table_sorts_and_finds),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
