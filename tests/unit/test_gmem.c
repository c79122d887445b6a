/* Unit tests for the translation layer (host/vmm/gmem.c) over the real
 * segment checks (segment.c) and page walker (gpt.c): a based segment
 * wraps at 4 GiB onto guest-physical memory, limits and types fault as the
 * CPU faults, an access across a page boundary is translated a page at a
 * time (and faults at the page that fails, CR2 its first byte), the fetch
 * stops at the CS limit or a page it cannot read, and an address outside
 * guest RAM stops the guest with a sentence.  The vCPU's descriptor cache,
 * guest RAM and the guest's end are stubs here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host/vmm/gmem.h"
#include "host/vmm/gpt.h"
#include "host/vmm/guest.h"
#include "host/vmm/segment.h"
#include "host/decode/decode.h"     /* enum insn_seg */

#define RAM (1u << 20)
#define CODE(base, lim) (seg_mirror(desc_make(base, lim, DESC_PRESENT | DESC_S | DESC_CODE | DESC_WRITABLE | DESC_DB | DESC_G)))
#define DATA(base, lim) (seg_mirror(desc_make(base, lim, DESC_PRESENT | DESC_S | DESC_WRITABLE | DESC_DB | DESC_G)))

static struct guest g;
static struct vcpu v;
static struct trapframe tf;
static uint64_t cache[VCPU_NSEGS];
static char ended[160];

void *guest_ptr(struct guest *gg, uint64_t gpa, uint64_t len)
{
    if (gpa >= gg->ram_size || len > gg->ram_size - gpa)
        return 0;
    return gg->ram + gpa;
}

/* The host's writes to guest memory, as scan-on-execute hears of them:
 * guest-physical ranges, in order. */
static struct { uint64_t gpa, len; } written[8];
static unsigned nwritten;

void codepage_written(struct guest *gg, uint64_t gpa, uint64_t len)
{
    (void)gg;
    if (nwritten < 8)
        written[nwritten].gpa = gpa, written[nwritten].len = len;
    nwritten++;
}

void guest_end(struct guest *gg, enum guest_state how, int status, const char *why)
{
    (void)status;
    gg->state = how;
    snprintf(ended, sizeof ended, "%s", why);
}

uint64_t vcpu_seg_cache(const struct vcpu *vv, unsigned seg)
{
    (void)vv;
    return cache[seg];
}

void vcpu_reflect(struct vcpu *vv, struct trapframe *t, unsigned vector, bool has_error, uint32_t error)
{
    (void)vv; (void)t; (void)vector; (void)has_error; (void)error;
}

static int setup(void **state)
{
    (void)state;
    memset(&g, 0, sizeof g);
    memset(&v, 0, sizeof v);
    memset(&tf, 0, sizeof tf);
    g.ram = calloc(1, RAM);
    g.ram_size = RAM;
    g.state = GUEST_RUNNING;
    v.guest = &g;
    v.tf = &tf;
    tf.cs = 0x09;                                    /* ring 1: the guest kernel */
    for (unsigned r = 0; r < VCPU_NSEGS; r++)
        cache[r] = r == SEG_CS ? CODE(0, 0xfffff) : DATA(0, 0xfffff);
    ended[0] = 0;
    for (uint32_t i = 0; i < RAM; i++)
        g.ram[i] = (uint8_t)(i * 7 + 3);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g.ram);
    return 0;
}

static uint32_t *word(uint32_t gpa) { return (uint32_t *)(g.ram + gpa); }

/* 32-bit paging: page directory at 0x10000; map(lin, gpa, pte bits) */
static void paging_on(void)
{
    memset(g.ram + 0x10000, 0, 0x3000);
    v.cr3 = 0x10000;
    v.cr0 = 0x80000011;
}

static void map(uint32_t lin, uint32_t gpa, uint32_t bits)
{
    uint32_t *pde = word(0x10000 + (lin >> 22) * 4);
    if (!(*pde & PG32_P)) {
        static uint32_t next = 0x11000;
        if (next >= 0x13000) next = 0x11000;
        memset(g.ram + next, 0, 4096);
        *pde = next | PG32_P | PG32_W | PG32_U;
        next += 0x1000;
    }
    word(*pde & ~0xfffu)[lin >> 12 & 1023] = gpa | bits | PG32_P;
}

static uint32_t pte(uint32_t lin)
{
    return word(*word(0x10000 + (lin >> 22) * 4) & ~0xfffu)[lin >> 12 & 1023];
}

static void based_segments_wrap(void **state)
{
    (void)state;
    struct gfault f;
    uint8_t b[4];
    cache[SEG_DS] = DATA(0x40000000, 0xfffff);
    assert_true(gmem_read(&v, SEG_DS, 0xc0001000, b, 4, GMEM_READ, &f));   /* GNU Mach's 0xC0xxxxxx */
    assert_memory_equal(b, g.ram + 0x1000, 4);
    uint32_t lin;
    assert_true(gmem_linear(&v, SEG_DS, 0xc0001000, 4, GMEM_READ, &lin, &f));
    assert_int_equal(lin, 0x1000);
    const uint8_t w[4] = { 1, 2, 3, 4 };
    assert_true(gmem_write(&v, SEG_DS, 0xc0002ffe, w, 4, &f));
    assert_memory_equal(g.ram + 0x2ffe, w, 4);
}

static void limits_and_types_fault(void **state)
{
    (void)state;
    struct gfault f;
    uint8_t b[8];
    cache[SEG_DS] = seg_mirror(desc_make(0x1000, 0xff, DESC_PRESENT | DESC_S | DESC_WRITABLE));
    assert_true(gmem_read(&v, SEG_DS, 0xfc, b, 4, GMEM_READ, &f));
    assert_false(gmem_read(&v, SEG_DS, 0xfd, b, 4, GMEM_READ, &f));
    assert_int_equal(f.vector, 13);
    assert_int_equal(f.error, 0);
    cache[SEG_SS] = cache[SEG_DS];
    assert_false(gmem_write(&v, SEG_SS, 0x100, b, 1, &f));
    assert_int_equal(f.vector, 12);
    assert_false(gmem_write(&v, SEG_CS, 0x100, b, 1, &f));                   /* code is never writable */
    assert_int_equal(f.vector, 13);
    cache[SEG_ES] = 0;                                                        /* a null selector */
    assert_false(gmem_read(&v, SEG_ES, 0, b, 1, GMEM_READ, &f));
    assert_int_equal(f.vector, 13);
    assert_int_equal(g.state, GUEST_RUNNING);
}

static void outside_ram_stops_the_guest(void **state)
{
    (void)state;
    struct gfault f;
    uint8_t b[4];
    assert_false(gmem_read(&v, SEG_DS, RAM - 2, b, 4, GMEM_READ, &f));
    assert_int_equal(f.vector, GFAULT_STOPPED);
    assert_int_equal(g.state, GUEST_DEAD);
    assert_non_null(strstr(ended, "outside its"));
}

static void pages_one_at_a_time(void **state)
{
    (void)state;
    struct gfault f;
    uint8_t b[8];
    paging_on();
    map(0x400000, 0x5000, PG32_W);
    map(0x401000, 0x3000, PG32_W);
    assert_true(gmem_read_lin(&v, 0x400ffc, b, 8, GMEM_READ, false, &f));
    assert_memory_equal(b, g.ram + 0x5ffc, 4);
    assert_memory_equal(b + 4, g.ram + 0x3000, 4);
    assert_true(pte(0x400000) & PG32_A);
    assert_false(pte(0x400000) & PG32_D);
    const uint8_t w[2] = { 0xaa, 0xbb };
    nwritten = 0;
    assert_true(gmem_write_lin(&v, 0x400fff, w, 2, false, &f));
    assert_int_equal(g.ram[0x5fff], 0xaa);
    assert_int_equal(g.ram[0x3000], 0xbb);
    assert_int_equal(nwritten, 2);                   /* each page's piece, by its guest-physical address */
    assert_int_equal(written[0].gpa, 0x5fff);
    assert_int_equal(written[0].len, 1);
    assert_int_equal(written[1].gpa, 0x3000);
    assert_int_equal(written[1].len, 1);
    nwritten = 0;
    assert_true(gmem_read_lin(&v, 0x400ffc, b, 8, GMEM_READ, false, &f));
    assert_int_equal(nwritten, 0);                   /* reads are not writes */
    assert_true(pte(0x401000) & PG32_D);
    /* the second page absent: #PF at its first byte, not present, a write */
    assert_false(gmem_write_lin(&v, 0x401fff, w, 2, false, &f));
    assert_int_equal(f.vector, 14);
    assert_int_equal(f.error, PF_W);
    assert_int_equal(f.cr2, 0x402000);
    /* a read-only supervisor page from ring 3 */
    map(0x403000, 0x6000, 0);
    assert_false(gmem_read_lin(&v, 0x403000, b, 1, GMEM_READ, true, &f));
    assert_int_equal(f.error, PF_P | PF_U);
    assert_int_equal(f.cr2, 0x403000);
}

static void linear_wraps_at_4g(void **state)
{
    (void)state;
    struct gfault f;
    uint8_t b[4];
    paging_on();
    map(0xfffff000, 0x7000, PG32_W);
    map(0x00000000, 0x8000, PG32_W);
    assert_true(gmem_read_lin(&v, 0xfffffffe, b, 4, GMEM_READ, false, &f));
    assert_memory_equal(b, g.ram + 0x7ffe, 2);
    assert_memory_equal(b + 2, g.ram + 0x8000, 2);
}

static void fetch_stops_at_limit_or_page(void **state)
{
    (void)state;
    struct gfault f;
    uint8_t b[15];
    unsigned got;
    cache[SEG_CS] = seg_mirror(desc_make(0x2000, 0xff, DESC_PRESENT | DESC_S | DESC_CODE | DESC_WRITABLE | DESC_DB));
    const uint8_t *p = gmem_fetch(&v, cache[SEG_CS], 0xf8, b, 15, &got, &f);
    assert_int_equal(got, 8);                                              /* offsets 0xf8..0xff */
    assert_memory_equal(p, g.ram + 0x20f8, 8);
    assert_int_equal(f.vector, 13);
    gmem_fetch(&v, cache[SEG_CS], 0x100, b, 15, &got, &f);
    assert_int_equal(got, 0);
    assert_int_equal(f.vector, 13);
    cache[SEG_CS] = CODE(0, 0xfffff);                                     /* flat: the fast path */
    p = gmem_fetch(&v, cache[SEG_CS], RAM - 4, b, 15, &got, &f);
    assert_int_equal(got, 4);
    assert_ptr_equal(p, g.ram + RAM - 4);
    assert_int_equal(f.vector, GFAULT_STOPPED);                           /* more: past guest RAM */
    paging_on();
    map(0x400000, 0x5000, 0);
    p = gmem_fetch(&v, cache[SEG_CS], 0x400ffa, b, 15, &got, &f);
    assert_int_equal(got, 6);
    assert_memory_equal(p, g.ram + 0x5ffa, 6);
    assert_int_equal(f.vector, 14);
    assert_int_equal(f.cr2, 0x401000);
    assert_int_equal(g.state, GUEST_RUNNING);
}

static void fast_path_only_when_allowed(void **state)
{
    (void)state;
    assert_ptr_equal(gmem_fast(&v, DATA(0, 0xfffff), 0x1000, 4, GMEM_WRITE), g.ram + 0x1000);
    assert_ptr_equal(gmem_fast(&v, DATA(0x40000000, 0xfffff), 0xc0001000, 4, GMEM_READ), g.ram + 0x1000);
    assert_null(gmem_fast(&v, DATA(0, 0xfffff), RAM - 2, 4, GMEM_WRITE));      /* past guest RAM */
    assert_null(gmem_fast(&v, CODE(0, 0xfffff), 0x1000, 4, GMEM_WRITE));       /* code */
    assert_null(gmem_fast(&v, seg_mirror(desc_make(0, 0xff, DESC_PRESENT | DESC_S | DESC_WRITABLE)), 0xfe, 4, GMEM_READ));
    paging_on();
    assert_null(gmem_fast(&v, DATA(0, 0xfffff), 0x1000, 4, GMEM_WRITE));       /* paging: the general path */
}

static void direct_only_for_one_run(void **state)
{
    (void)state;
    struct gfault f;
    assert_ptr_equal(gmem_direct(&v, 0x1ffe, 4, true, false, &f), g.ram + 0x1ffe);   /* paging off: one run */
    paging_on();
    map(0x400000, 0x5000, PG32_W);
    map(0x401000, 0x3000, PG32_W);
    assert_ptr_equal(gmem_direct(&v, 0x400800, 0x800, true, false, &f), g.ram + 0x5800);
    assert_null(gmem_direct(&v, 0x400ffe, 4, true, false, &f));
    assert_int_equal(f.vector, GFAULT_SPLIT);
    map(0x402000, 0x6000, 0);
    assert_null(gmem_direct(&v, 0x402000, 4, true, true, &f));         /* ring 3, a supervisor page */
    assert_int_equal(f.vector, 14);
}

/* The host's writes for the guest leave the ROM (0xE0000-0xFFFFF,
 * host/vmm/rom.h) as it was, and scan-on-execute hears only of the bytes
 * that changed; reads of it work; the paths that hand out guest RAM
 * itself refuse a write into it, so the caller goes through a copy. */
static void rom_drops_host_writes(void **state)
{
    (void)state;
    struct gfault f;
    uint8_t rom[8], four[4] = { 0x44, 0x33, 0x22, 0x11 }, back[4];
    memcpy(rom, g.ram + 0xe0000, 8);
    nwritten = 0;
    assert_true(gmem_write_lin(&v, 0xdfffe, four, 4, false, &f));        /* straddles RAM and ROM */
    assert_int_equal(g.ram[0xdfffe], 0x44);
    assert_int_equal(g.ram[0xdffff], 0x33);
    assert_memory_equal(g.ram + 0xe0000, rom, 8);
    assert_int_equal(nwritten, 1);
    assert_int_equal(written[0].gpa, 0xdfffe);
    assert_int_equal(written[0].len, 2);
    assert_true(gmem_read_lin(&v, 0xe0000, back, 4, GMEM_READ, false, &f));
    assert_memory_equal(back, rom, 4);
    assert_null(gmem_direct(&v, 0xf0000, 4, true, false, &f));
    assert_int_equal(f.vector, GFAULT_SPLIT);
    assert_ptr_equal(gmem_direct(&v, 0xf0000, 4, false, false, &f), g.ram + 0xf0000);
    assert_null(gmem_fast(&v, DATA(0, 0xfffff), 0xffffc, 4, GMEM_WRITE));
    assert_ptr_equal(gmem_fast(&v, DATA(0, 0xfffff), 0xffffc, 4, GMEM_READ), g.ram + 0xffffc);
    paging_on();                                                          /* through the guest's tables */
    map(0x400000, 0xf0000, PG32_W);
    memcpy(rom, g.ram + 0xf0010, 4);
    assert_true(gmem_write_lin(&v, 0x400010, four, 4, false, &f));
    assert_memory_equal(g.ram + 0xf0010, rom, 4);
    assert_int_equal(g.state, GUEST_RUNNING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(based_segments_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(limits_and_types_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(outside_ram_stops_the_guest, setup, teardown),
        cmocka_unit_test_setup_teardown(pages_one_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(linear_wraps_at_4g, setup, teardown),
        cmocka_unit_test_setup_teardown(fetch_stops_at_limit_or_page, setup, teardown),
        cmocka_unit_test_setup_teardown(direct_only_for_one_run, setup, teardown),
        cmocka_unit_test_setup_teardown(fast_path_only_when_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(rom_drops_host_writes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
