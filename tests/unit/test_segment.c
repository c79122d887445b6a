/* Unit tests for the containment rule (host/vmm/segment.c): what a guest
 * descriptor becomes in the real GDT, and the fault each kind of load of a
 * guest selector raises, as the SDM gives them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "host/vmm/segment.h"

/* flat 4 GiB descriptors as a guest writes them (GDT entries of GNU Mach, Linux) */
#define CODE32(dpl) (0x00cf9a000000ffffull | (uint64_t)(dpl) << DESC_DPL_SHIFT)
#define DATA32(dpl) (0x00cf92000000ffffull | (uint64_t)(dpl) << DESC_DPL_SHIFT)
#define TSS32       0x0000890000000067ull
#define CALLGATE    0x0000ec0000080000ull
#define GP(e) SEG_FAULT(13, e)
#define NP(e) SEG_FAULT(11, e)
#define SS(e) SEG_FAULT(12, e)

static void mirror_compresses_dpl(void **state)
{
    (void)state;
    for (unsigned dpl = 0; dpl < 3; dpl++) {
        assert_int_equal(desc_dpl(seg_mirror(CODE32(dpl))), 1);
        assert_int_equal(desc_dpl(seg_mirror(DATA32(dpl))), 1);
    }
    assert_int_equal(desc_dpl(seg_mirror(CODE32(3))), 3);
    assert_int_equal(desc_dpl(seg_mirror(DATA32(3))), 3);
}

static void mirror_keeps_what_the_guest_meant(void **state)
{
    (void)state;
    uint64_t d = 0x40cf9a000000ffffull | 0x4000000000ull;     /* base 0x40000000 (GNU Mach) */
    assert_int_equal(desc_base(seg_mirror(d)), desc_base(d));
    assert_int_equal(desc_limit(seg_mirror(d)), 0xffffffffu);
    assert_true(seg_mirror(d) & DESC_ACCESSED);
    uint64_t small = 0x0040920000000fffull;                    /* byte-granular 4 KiB, absent G */
    assert_int_equal(desc_limit(seg_mirror(small)), 0xfff);
    uint64_t absent = DATA32(0) & ~DESC_PRESENT;               /* mirrored, still absent: #NP on load */
    assert_false(seg_mirror(absent) & DESC_PRESENT);
    assert_true(seg_mirror(absent) & DESC_S);
}

static void mirror_never_places_long_mode_or_system(void **state)
{
    (void)state;
    uint64_t l64 = CODE32(0) | DESC_L;
    assert_false(seg_mirror(l64) & DESC_L);
    assert_true(seg_mirror(l64) & DESC_DB);
    assert_int_equal(seg_mirror(TSS32), 0);
    assert_int_equal(seg_mirror(CALLGATE), 0);
    assert_int_equal(seg_mirror(0x0000820000000000ull), 0);  /* LDT */
    assert_int_equal(seg_mirror(0), 0);
}

static void data_loads(void **state)
{
    (void)state;
    uint64_t d1 = seg_mirror(DATA32(0)), d3 = seg_mirror(DATA32(3));
    assert_int_equal(seg_check(0x0000, 0, SEG_USE_DATA, 1), 0);              /* null is fine */
    assert_int_equal(seg_check(0x0011, d1, SEG_USE_DATA, 1), 0);
    assert_int_equal(seg_check(0x001b, d3, SEG_USE_DATA, 1), 0);
    assert_int_equal(seg_check(0x0013, d1, SEG_USE_DATA, 3), GP(0x10));       /* ring 3 loads ring-1 data */
    assert_int_equal(seg_check(0x0011, seg_mirror(CODE32(0)), SEG_USE_DATA, 1), 0);  /* readable code */
    uint64_t xonly = seg_mirror(CODE32(0) & ~DESC_WRITABLE);
    assert_int_equal(seg_check(0x0029, xonly, SEG_USE_DATA, 1), GP(0x28));
    assert_int_equal(seg_check(0x0031, d1 & ~DESC_PRESENT, SEG_USE_DATA, 1), NP(0x30));
    assert_int_equal(seg_check(0x0039, 0, SEG_USE_DATA, 1), GP(0x38));       /* empty slot */
    assert_int_equal(seg_check(0x0041, seg_mirror(TSS32), SEG_USE_DATA, 1), GP(0x40));
}

static void stack_loads(void **state)
{
    (void)state;
    uint64_t d1 = seg_mirror(DATA32(0));
    assert_int_equal(seg_check(0x0011, d1, SEG_USE_SS, 1), 0);
    assert_int_equal(seg_check(0x0000, 0, SEG_USE_SS, 1), GP(0));
    assert_int_equal(seg_check(0x0013, d1, SEG_USE_SS, 1), GP(0x10));        /* RPL 3 at CPL 1 */
    assert_int_equal(seg_check(0x0019, seg_mirror(DATA32(3)), SEG_USE_SS, 1), GP(0x18));
    assert_int_equal(seg_check(0x0021, seg_mirror(CODE32(0)), SEG_USE_SS, 1), GP(0x20));
    assert_int_equal(seg_check(0x0029, d1 & ~DESC_WRITABLE, SEG_USE_SS, 1), GP(0x28));
    assert_int_equal(seg_check(0x0031, d1 & ~DESC_PRESENT, SEG_USE_SS, 1), SS(0x30));
}

static void code_returns(void **state)
{
    (void)state;
    uint64_t c1 = seg_mirror(CODE32(0)), c3 = seg_mirror(CODE32(3));
    assert_int_equal(seg_check(0x0009, c1, SEG_USE_CS_RET, 1), 0);
    assert_int_equal(seg_check(0x001b, c3, SEG_USE_CS_RET, 1), 0);           /* to ring 3 */
    assert_int_equal(seg_check(0x0000, 0, SEG_USE_CS_RET, 1), GP(0));
    assert_int_equal(seg_check(0x0009, c1, SEG_USE_CS_RET, 3), GP(0x08));     /* inward */
    assert_int_equal(seg_check(0x000b, c1, SEG_USE_CS_RET, 1), GP(0x08));     /* DPL 1, RPL 3 */
    assert_int_equal(seg_check(0x0011, seg_mirror(DATA32(0)), SEG_USE_CS_RET, 1), GP(0x10));
    assert_int_equal(seg_check(0x0019, c1 & ~DESC_PRESENT, SEG_USE_CS_RET, 1), NP(0x18));
    assert_int_equal(seg_check(0x0009, CODE32(1) | DESC_L, SEG_USE_CS_RET, 1), GP(0x08));
    uint64_t conforming = seg_mirror(CODE32(0) | DESC_CONFORM);
    assert_int_equal(seg_check(0x000b, conforming, SEG_USE_CS_RET, 1), 0);    /* DPL 1 <= RPL 3 */
}

static void gate_targets(void **state)
{
    (void)state;
    uint64_t c1 = seg_mirror(CODE32(0));
    assert_int_equal(seg_check(0x0008, c1, SEG_USE_CS_GATE, 1), 0);
    assert_int_equal(seg_check(0x0000, 0, SEG_USE_CS_GATE, 1), GP(0));
    assert_int_equal(seg_check(0x0018, seg_mirror(CODE32(3)), SEG_USE_CS_GATE, 1), GP(0x18));
    assert_int_equal(seg_check(0x0010, seg_mirror(DATA32(0)), SEG_USE_CS_GATE, 1), GP(0x10));
    assert_int_equal(seg_check(0x0020, c1 & ~DESC_PRESENT, SEG_USE_CS_GATE, 1), NP(0x20));
    assert_int_equal(seg_check(0x0028, CODE32(1) | DESC_L, SEG_USE_CS_GATE, 1), GP(0x28));
}

static void reasons_are_sentences(void **state)
{
    (void)state;
    assert_string_equal(seg_why(0, 0, SEG_USE_CS_RET, 1), "is null");
    assert_string_equal(seg_why(0x28, seg_mirror(CODE32(0) & ~DESC_WRITABLE), SEG_USE_DATA, 1),
                        "is execute-only code");
    assert_string_equal(seg_why(0x11, seg_mirror(DATA32(0)), SEG_USE_SS, 1), "is fine");
}

static void access_types(void **state)
{
    (void)state;
    uint64_t code = seg_mirror(CODE32(0)), xonly = code & ~DESC_WRITABLE;
    uint64_t data = seg_mirror(DATA32(0)), ro = data & ~DESC_WRITABLE;
    assert_int_equal(seg_access(code, 0x1000, 4, SEG_FETCH, false), 0);
    assert_int_equal(seg_access(code, 0x1000, 4, SEG_READ, false), 0);
    assert_int_equal(seg_access(code, 0x1000, 4, SEG_WRITE, false), GP(0));
    assert_int_equal(seg_access(xonly, 0x1000, 4, SEG_READ, false), GP(0));
    assert_int_equal(seg_access(xonly, 0x1000, 4, SEG_FETCH, false), 0);
    assert_int_equal(seg_access(data, 0x1000, 4, SEG_FETCH, false), GP(0));
    assert_int_equal(seg_access(data, 0x1000, 4, SEG_WRITE, false), 0);
    assert_int_equal(seg_access(ro, 0x1000, 4, SEG_WRITE, false), GP(0));
    assert_int_equal(seg_access(ro, 0x1000, 4, SEG_WRITE, true), SS(0));
    assert_int_equal(seg_access(ro, 0x1000, 4, SEG_READ, true), 0);
    assert_int_equal(seg_access(0, 0, 1, SEG_READ, false), GP(0));    /* null selector */
    assert_int_equal(seg_access(0, 0, 1, SEG_READ, true), GP(0));
    assert_int_equal(seg_access(TSS32, 0, 1, SEG_READ, false), GP(0));
}

static void access_limits(void **state)
{
    (void)state;
    uint64_t small = seg_mirror(0x0040920000000fffull);       /* bytes 0..0xfff */
    assert_int_equal(seg_access(small, 0xffc, 4, SEG_READ, false), 0);
    assert_int_equal(seg_access(small, 0xffd, 4, SEG_READ, false), GP(0));   /* its last byte */
    assert_int_equal(seg_access(small, 0x1000, 1, SEG_READ, true), SS(0));
    uint64_t pages = seg_mirror(0x00c0920000000001ull);       /* G: 2 pages, 0..0x1fff */
    assert_int_equal(seg_access(pages, 0x1fff, 1, SEG_WRITE, false), 0);
    assert_int_equal(seg_access(pages, 0x1fff, 2, SEG_WRITE, false), GP(0));
    uint64_t flat = seg_mirror(DATA32(0));
    assert_int_equal(seg_access(flat, 0xfffffffc, 4, SEG_READ, false), 0);
    assert_int_equal(seg_access(flat, 0xfffffffd, 4, SEG_READ, false), GP(0));
    /* expand-down, limit 0xfff: 0x1000 up to 0xffff (B=0) or 4 GiB (B=1) */
    uint64_t down16 = seg_mirror(0x0000960000000fffull), down32 = down16 | DESC_DB;
    assert_int_equal(seg_access(down16, 0xfff, 1, SEG_READ, true), SS(0));
    assert_int_equal(seg_access(down16, 0xffe, 4, SEG_READ, true), SS(0));
    assert_int_equal(seg_access(down16, 0x1000, 4, SEG_WRITE, true), 0);
    assert_int_equal(seg_access(down16, 0xfffc, 4, SEG_WRITE, true), 0);
    assert_int_equal(seg_access(down16, 0xfffd, 4, SEG_WRITE, true), SS(0));
    assert_int_equal(seg_access(down32, 0x10000, 4, SEG_WRITE, false), 0);
    assert_int_equal(seg_access(down32, 0xfffffffc, 4, SEG_WRITE, false), 0);
    assert_int_equal(seg_access(down32, 0xfffffffd, 4, SEG_WRITE, false), GP(0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mirror_compresses_dpl),
        cmocka_unit_test(access_types),
        cmocka_unit_test(access_limits),
        cmocka_unit_test(mirror_keeps_what_the_guest_meant),
        cmocka_unit_test(mirror_never_places_long_mode_or_system),
        cmocka_unit_test(data_loads),
        cmocka_unit_test(stack_loads),
        cmocka_unit_test(code_returns),
        cmocka_unit_test(gate_targets),
        cmocka_unit_test(reasons_are_sentences),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
