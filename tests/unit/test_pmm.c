/* The physical page allocator core: memory maps with holes and overlaps,
 * contiguous runs, double frees, exhaustion. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include "kernel/pmm.h"

#define MiB (1ull << 20)
static uint64_t bits[(64 * MiB / PAGE_SIZE) / 64];

static struct pmm fresh(const struct mem_region *r, size_t n)
{
    struct pmm p;
    pmm_init(&p, bits, 64 * MiB / PAGE_SIZE);
    pmm_add_map(&p, r, n);
    return p;
}

static void all_used_at_start(void **s)
{
    (void)s;
    struct pmm p = fresh(NULL, 0);
    assert_int_equal(p.nfree, 0);
    uint64_t pfn;
    assert_false(pmm_alloc(&p, 1, &pfn));
}

static void usable_region_rounded_inward(void **s)
{
    (void)s;
    struct mem_region r[] = { { 0x1800, 0x3000, true } };   /* 0x1800..0x4800: frames 2,3 */
    struct pmm p = fresh(r, 1);
    assert_int_equal(p.nfree, 2);
    assert_true(pmm_is_used(&p, 1));
    assert_false(pmm_is_used(&p, 2));
    assert_false(pmm_is_used(&p, 3));
    assert_true(pmm_is_used(&p, 4));
}

static void reserved_overlap_wins(void **s)
{
    (void)s;
    struct mem_region r[] = {
        { 0, 16 * MiB, true },
        { 4 * MiB + 100, 10, false },                       /* grows to the whole frame */
        { 8 * MiB, 2 * MiB, true },                         /* duplicate: no double count */
    };
    struct pmm p = fresh(r, 3);
    assert_int_equal(p.nfree, 16 * MiB / PAGE_SIZE - 1);
    assert_true(pmm_is_used(&p, 4 * MiB / PAGE_SIZE));
}

static void reserved_before_usable_in_list(void **s)
{
    (void)s;
    struct mem_region r[] = { { 2 * MiB, MiB, false }, { 0, 4 * MiB, true } };
    struct pmm p = fresh(r, 2);
    assert_int_equal(p.nfree, 3 * MiB / PAGE_SIZE);
    assert_true(pmm_is_used(&p, 2 * MiB / PAGE_SIZE));
}

static void holes_and_beyond_range(void **s)
{
    (void)s;
    struct mem_region r[] = {
        { 0, MiB, true }, { 2 * MiB, MiB, true },           /* hole between */
        { 60 * MiB, 100 * MiB, true },                      /* runs past the bitmap */
        { UINT64_MAX - 10, 100, false },                    /* wraps: clamped */
    };
    struct pmm p = fresh(r, 4);
    assert_int_equal(p.nfree, (2 * MiB + 4 * MiB) / PAGE_SIZE);
    assert_true(pmm_is_used(&p, MiB / PAGE_SIZE));
}

static void contiguous_runs_skip_holes(void **s)
{
    (void)s;
    struct mem_region r[] = { { 0, 3 * PAGE_SIZE, true }, { 4 * PAGE_SIZE, 8 * PAGE_SIZE, true } };
    struct pmm p = fresh(r, 2);
    uint64_t pfn;
    assert_true(pmm_alloc(&p, 5, &pfn));
    assert_int_equal(pfn, 4);
    assert_true(pmm_alloc(&p, 3, &pfn));
    assert_int_equal(pfn, 9);                               /* the hint moved past the first run */
    assert_false(pmm_alloc(&p, 4, &pfn));
    assert_true(pmm_alloc(&p, 3, &pfn));
    assert_int_equal(pfn, 0);                               /* wrapped around */
}

static void double_free_detected(void **s)
{
    (void)s;
    struct mem_region r[] = { { 0, MiB, true } };
    struct pmm p = fresh(r, 1);
    uint64_t pfn, before = p.nfree;
    assert_true(pmm_alloc(&p, 4, &pfn));
    assert_true(pmm_free(&p, pfn, 4));
    assert_false(pmm_free(&p, pfn, 4));
    assert_false(pmm_free(&p, pfn + 2, 1));
    assert_false(pmm_free(&p, 1ull << 40, 1));              /* outside */
    assert_int_equal(p.nfree, before);
}

static void exhaust_and_refill(void **s)
{
    (void)s;
    struct mem_region r[] = { { 0, 4 * MiB, true } };
    struct pmm p = fresh(r, 1);
    uint64_t n = p.nfree, pfn, got = 0;
    while (pmm_alloc(&p, 1, &pfn)) got++;
    assert_int_equal(got, n);
    assert_int_equal(p.nfree, 0);
    for (uint64_t f = 0; f < n; f++) assert_true(pmm_free(&p, f, 1));
    assert_int_equal(p.nfree, n);
    assert_true(pmm_alloc(&p, n, &pfn));                    /* all of it, in one run */
}

static void random_churn_keeps_count(void **s)
{
    (void)s;
    struct mem_region r[] = { { 0, 32 * MiB, true } };
    struct pmm p = fresh(r, 1);
    uint64_t start = p.nfree;
    struct { uint64_t pfn, n; } held[256] = { { 0, 0 } };
    srand(7);
    for (int i = 0; i < 20000; i++) {
        int k = rand() % 256;
        if (held[k].n) {
            assert_true(pmm_free(&p, held[k].pfn, held[k].n));
            held[k].n = 0;
        } else {
            uint64_t n = 1 + rand() % 17;
            if (pmm_alloc(&p, n, &held[k].pfn)) held[k].n = n;
        }
    }
    for (int k = 0; k < 256; k++)
        if (held[k].n) assert_true(pmm_free(&p, held[k].pfn, held[k].n));
    assert_int_equal(p.nfree, start);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_used_at_start),
        cmocka_unit_test(usable_region_rounded_inward),
        cmocka_unit_test(reserved_overlap_wins),
        cmocka_unit_test(reserved_before_usable_in_list),
        cmocka_unit_test(holes_and_beyond_range),
        cmocka_unit_test(contiguous_runs_skip_holes),
        cmocka_unit_test(double_free_detected),
        cmocka_unit_test(exhaust_and_refill),
        cmocka_unit_test(random_churn_keeps_count),
    };
    return cmocka_run_group_tests_name("pmm", tests, NULL, NULL);
}
