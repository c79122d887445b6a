/* Symbol maps (nm -S --defined-only): good ones parse and sort, missing
 * function sizes are inferred, bad and hostile ones name the line. */
#define _GNU_SOURCE                    /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/symmap.h"

static struct symmap m;
static void *space;
static char err[128];

static const char *parse_len(const char *text, size_t len)
{
    free(space);
    size_t need = symmap_space(text, len);
    space = need ? malloc(need) : 0;
    return symmap_parse(text, len, space, need, &m, err, sizeof err);
}

static const char *parse(const char *text) { return parse_len(text, strlen(text)); }

static int teardown(void **s)
{
    (void)s;
    free(space);
    space = 0;
    return 0;
}

static const struct symmap_sym *find(const char *name)
{
    const struct symmap_sym *s = symmap_find(&m, name);
    if (!s) fail_msg("no symbol %s", name);
    return s;
}

/* The head of `nm -S --defined-only build/guest/classic.elf`, shuffled. */
static void classic_map(void **s)
{
    (void)s;
    assert_null(parse("00004000 a BOOT_STACK\n"
                      "001002e0 0000010f T blk_init\n"
                      "00108000 0000000c D blk_mutex\n"
                      "001053a0 T _start\n"
                      "00106040 00000020 r hexdigits\n"
                      "00108020 00000001 B blk_irq_status\n"
                      "00103ad0 000000c8 t add_range\n"));
    assert_int_equal(m.n, 7);
    assert_int_equal(m.nfuncs, 2);                    /* _start has no size: a label */
    const struct symmap_sym *b = find("blk_init");
    assert_int_equal(b->addr, 0x1002e0);
    assert_int_equal(b->size, 0x10f);
    assert_int_equal(b->kind, SYMMAP_FUNC);
    assert_true(b->global);
    assert_int_equal(find("blk_mutex")->kind, SYMMAP_OBJECT);
    assert_int_equal(find("blk_mutex")->size, 12);
    assert_int_equal(find("hexdigits")->kind, SYMMAP_OBJECT);
    assert_false(find("hexdigits")->global);
    assert_int_equal(find("BOOT_STACK")->kind, SYMMAP_OTHER);
    assert_int_equal(find("add_range")->type, 't');
    assert_int_equal(find("_start")->kind, SYMMAP_OTHER);
    assert_null(symmap_find(&m, "blk"));
    assert_null(symmap_find(&m, "blk_initx"));
    assert_null(symmap_find(&m, "zzz"));
    for (size_t i = 1; i < m.n; i++)                 /* iteration is in name order */
        assert_true(strcmp(m.syms[i - 1].name, m.syms[i].name) < 0);
    assert_string_equal(m.syms[0].name, "BOOT_STACK");
}

/* Plain nm (no sizes at all): every text symbol is a function, and it ends
 * where the next symbol starts. */
static void sizes_inferred(void **s)
{
    (void)s;
    assert_null(parse("00100000 T a\n"
                      "00100000 T a_alias\n"            /* same place: same end */
                      "00100010 t b\n"
                      "00100018 A not_a_place\n"        /* absolute: ends nothing */
                      "00100030 D c\n"
                      "00100040 T d\n"
                      "00100100 T last\n"
                      "00100200 B obj\n"));
    assert_int_equal(m.nfuncs, 5);
    assert_int_equal(find("a")->size, 0x10);
    assert_int_equal(find("a_alias")->size, 0x10);
    assert_int_equal(find("b")->size, 0x20);
    assert_int_equal(find("c")->size, 0);             /* objects: never guessed */
    assert_int_equal(find("d")->size, 0xc0);
    assert_int_equal(find("last")->size, 0x100);
    assert_false(find("last")->sized);
    assert_int_equal(find("obj")->size, 0);
    assert_null(parse("00100000 T only\n"));
    assert_int_equal(find("only")->size, 0);          /* nothing after it: unknown */
    assert_int_equal(find("only")->kind, SYMMAP_FUNC);
}

/* nm -S: a text symbol without a size is an assembler label (ELF's NOTYPE),
 * perhaps data in .text like a Multiboot header: not a function. */
static void labels(void **s)
{
    (void)s;
    assert_null(parse("00100000 T __image_start\n"
                      "001002e0 0000010f T blk_init\n"
                      "001053a0 T _start\n"
                      "001053c8 t _start.hang\n"
                      "00105400 00000000 t empty\n"));  /* a size given, even 0 */
    assert_int_equal(m.nfuncs, 2);
    assert_int_equal(find("__image_start")->kind, SYMMAP_OTHER);
    assert_int_equal(find("_start.hang")->kind, SYMMAP_OTHER);
    assert_int_equal(find("_start")->size, 0);
    assert_int_equal(find("blk_init")->kind, SYMMAP_FUNC);
    assert_true(find("blk_init")->sized);
    assert_int_equal(find("empty")->kind, SYMMAP_FUNC);
}

/* A static function and a global one of the same name: the global wins. */
static void duplicates(void **s)
{
    (void)s;
    assert_null(parse("00100000 00000010 t init\n00100100 00000010 T init\n00100200 00000010 t init\n"));
    assert_int_equal(m.n, 3);
    assert_int_equal(find("init")->addr, 0x100100);
}

static void layout(void **s)
{
    (void)s;
    /* blank lines, CRLF, tabs, no newline at the end, 64-bit nm's 16 digits */
    assert_null(parse("\n  \n00100000\t00000010 T  a\r\n\r\n0000000000100010 0000000000000004 D b"));
    assert_int_equal(m.n, 2);
    assert_string_equal(find("a")->name, "a");
    assert_int_equal(find("b")->addr, 0x100010);
    /* one-letter names, and types that are hex digits */
    assert_null(parse("00100000 b x\n00100004 a b\n"));
    assert_int_equal(find("x")->type, 'b');
    assert_int_equal(find("b")->type, 'a');
    assert_null(parse("ffffff00 00000100 T top\n"));
}

static void errors_name_the_line(void **s)
{
    (void)s;
    static const struct { const char *text, *want; } bad[] = {
        { "00100000 T a\ngarbage\n", "symbol map line 2: want ADDR [SIZE] TYPE NAME" },
        { "00100000 T a\n\n\n0010000g T b\n", "symbol map line 4: ADDR is not a hexadecimal number" },
        { "00100000 0000001x T a\n", "symbol map line 1: SIZE is not a hexadecimal number" },
        { "100000000 T a\n", "symbol map line 1: ADDR does not fit in 32 bits" },
        { "00100000 100000000 T a\n", "symbol map line 1: SIZE does not fit in 32 bits" },
        { "fffffff0 00000020 T a\n", "symbol map line 1: the symbol runs past 4 GiB (ADDR + SIZE)" },
        { "00100000 TT a\n", "symbol map line 1: TYPE must be one of nm's letters" },
        { "00100000 1 a\n", "symbol map line 1: TYPE must be one of nm's letters" },
        { "00100000 00000010 T a b\n", "symbol map line 1: unexpected words after the NAME" },
        { "00100000 T a\n         U printf\n", "symbol map line 2: a symbol without an address (undefined?): make the map with nm --defined-only" },
        { "00100000 00000010 T\n", "symbol map line 1: a symbol without a NAME" },
        { "00100000 T a\x01z\n", "symbol map line 1: a control character in the NAME" },
        { "00100000 T\n", "symbol map line 1: want ADDR [SIZE] TYPE NAME" },
        { "gnumach.dbg:\n", "symbol map line 1: want ADDR [SIZE] TYPE NAME" },
        { "00100000 T a\nthis line is not a symbol\n", "symbol map line 2: want ADDR [SIZE] TYPE NAME" },
        { "@@@ garbage @@@\n", "symbol map line 1: ADDR is not a hexadecimal number" },
        { "\n\n", "symbol map line 1: no symbols in the map" },
        { "", "symbol map line 1: no symbols in the map" },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = parse(bad[i].text);
        if (!why) fail_msg("case %u parsed: %s", i, bad[i].text);
        assert_string_equal(why, bad[i].want);
        assert_int_equal(m.n, 0);                     /* a refused map has nothing */
    }
    static const char nul[] = "00100000 T a\n0010\0000 T b\n";
    assert_string_equal(parse_len(nul, sizeof nul - 1), "symbol map line 2: ADDR is not a hexadecimal number");
    static const char nul_name[] = "00100000 T a\0b\n";
    assert_string_equal(parse_len(nul_name, sizeof nul_name - 1), "symbol map line 1: a control character in the NAME");
}

static void hostile(void **s)
{
    (void)s;
    /* one symbol too many */
    size_t n = SYMMAP_MAX_SYMS + 1, len = n * 12;
    char *text = malloc(len + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(text + i * 12, "0000 T aaaa\n", 12);
    text[len] = 0;
    assert_string_equal(parse_len(text, len), "symbol map line 262145: more than 262144 symbols");
    assert_null(parse_len(text, len - 12));           /* exactly the limit is fine */
    assert_int_equal(m.n, SYMMAP_MAX_SYMS);
    free(text);
    /* longer than any map: refused before a byte is read */
    assert_int_equal(symmap_space("", (size_t)SYMMAP_MAX_TEXT + 1), 0);
    assert_string_equal(symmap_parse("", (size_t)SYMMAP_MAX_TEXT + 1, 0, 0, &m, err, sizeof err),
                        "symbol map line 1: the map is larger than 64 MiB");
    /* too little space from the caller */
    char small[8];
    assert_string_equal(symmap_parse("00100000 T a\n", 13, small, sizeof small, &m, err, sizeof err),
                        "symbol map line 1: no room given to parse the map into");
    /* a tiny error buffer is still terminated */
    char tiny[8];
    free(space);
    size_t need = symmap_space("x\n", 2);
    space = malloc(need);
    assert_string_equal(symmap_parse("x\n", 2, space, need, &m, tiny, sizeof tiny), "symbol ");
}

/* Random bytes and a good map with random bytes changed: never a crash,
 * never an out-of-bounds access (the sanitizers watch), and every symbol
 * that comes out is one the text named. */
static void noise(void **s)
{
    (void)s;
    static const char good[] = "00100000 00000010 T a\n00100010 t b\n00108000 0000000c D c\n";
    uint64_t x = 0x9e3779b97f4a7c15ull;
    char buf[256];
    for (int round = 0; round < 20000; round++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t len;
        if (round & 1) {
            len = x % sizeof buf;
            for (size_t i = 0; i < len; i++) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                static const char alphabet[] = "0123456789abcdefTtDdBb \t\r\n\x01\x7f";
                buf[i] = alphabet[x % (sizeof alphabet - 1)];
            }
        } else {
            len = sizeof good - 1;
            memcpy(buf, good, len);
            buf[x % len] = (char)(x >> 32);
        }
        if (!parse_len(buf, len))
            for (size_t i = 0; i < m.n; i++)
                assert_non_null(memmem(buf, len, m.syms[i].name, strlen(m.syms[i].name)));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(classic_map, teardown),
        cmocka_unit_test_teardown(sizes_inferred, teardown),
        cmocka_unit_test_teardown(labels, teardown),
        cmocka_unit_test_teardown(duplicates, teardown),
        cmocka_unit_test_teardown(layout, teardown),
        cmocka_unit_test_teardown(errors_name_the_line, teardown),
        cmocka_unit_test_teardown(hostile, teardown),
        cmocka_unit_test_teardown(noise, teardown),
    };
    return cmocka_run_group_tests_name("symmap", tests, NULL, NULL);
}
