/* Unit tests for the side table of trap sites (host/vmm/sites.c): sorted by
 * address then kind, one entry per (address, kind), batches merged in
 * whatever order they come, lookups by address and by kind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "host/vmm/sites.h"

void *kmalloc(size_t size) { return malloc(size); }
void kfree(void *p) { free(p); }

static struct site patch(uint32_t addr, uint8_t byte)
{
    return (struct site){ .addr = addr, .kind = SITE_PATCH, .len = 1, .orig = { byte } };
}

static struct site peel(uint32_t addr, void *owner)
{
    return (struct site){ .addr = addr, .kind = SITE_PEEL, .owner = owner };
}

static bool add_peel(struct sites *t, uint32_t addr, void *owner)
{
    struct site e = peel(addr, owner);
    return sites_add(t, &e);
}

static void check_sorted(const struct sites *t)
{
    for (size_t i = 1; i < t->n; i++)
        assert_true(t->s[i - 1].addr < t->s[i].addr ||
                    (t->s[i - 1].addr == t->s[i].addr && t->s[i - 1].kind < t->s[i].kind));
}

static void empty_table_finds_nothing(void **state)
{
    (void)state;
    struct sites t = { 0 };
    assert_null(sites_at(&t, 0x1000));
    assert_null(sites_find(&t, 0x1000, SITE_PATCH));
    sites_remove(&t, 0x1000, SITE_PATCH);
    assert_int_equal(t.n, 0);
}

static void batch_in_any_order_is_sorted(void **state)
{
    (void)state;
    struct sites t = { 0 };
    enum { N = 5000 };
    struct site *b = malloc(N * sizeof *b);
    for (unsigned i = 0; i < N; i++)
        b[i] = patch((i * 7919u) % N * 4 + 0x100000, (uint8_t)i);   /* every address once, scattered */
    assert_true(sites_add_many(&t, b, N));
    assert_int_equal(t.n, N);
    assert_int_equal(t.count[SITE_PATCH], N);
    check_sorted(&t);
    for (unsigned i = 0; i < N; i++) {
        const struct site *e = sites_find(&t, 0x100000 + 4 * i, SITE_PATCH);
        assert_non_null(e);
        assert_int_equal(e->addr, 0x100000 + 4 * i);
    }
    assert_null(sites_find(&t, 0x100001, SITE_PATCH));
    /* a second batch, interleaved with the first (a scan at run time) */
    for (unsigned i = 0; i < 100; i++)
        b[i] = patch(0x100002 + 4 * (99 - i) * 3, 0xee);
    assert_true(sites_add_many(&t, b, 100));
    assert_int_equal(t.n, N + 100);
    check_sorted(&t);
    assert_int_equal(sites_find(&t, 0x100002, SITE_PATCH)->orig[0], 0xee);
    free(b);
    sites_free(&t);
    assert_int_equal(t.n, 0);
}

static void kinds_at_one_address_claims_first(void **state)
{
    (void)state;
    struct sites t = { 0 };
    int owner_a, owner_b;
    struct site p = patch(0x2000, 0x9c);
    assert_true(sites_add_many(&t, &p, 1));
    assert_true(add_peel(&t, 0x2000, &owner_a));
    assert_true(sites_add(&t, &(struct site){ .addr = 0x2000, .kind = SITE_CLAIM, .owner = &owner_b }));
    assert_true(add_peel(&t, 0x1000, &owner_b));
    const struct site *e = sites_at(&t, 0x2000);
    assert_int_equal(sites_end(&t) - e, 3);
    assert_int_equal(e[0].kind, SITE_CLAIM);
    assert_int_equal(e[1].kind, SITE_PEEL);
    assert_int_equal(e[2].kind, SITE_PATCH);
    assert_int_equal(e[2].orig[0], 0x9c);
    /* the same address and kind again: replaced, not doubled */
    assert_true(add_peel(&t, 0x2000, &owner_b));
    assert_int_equal(t.n, 4);
    assert_ptr_equal(sites_find(&t, 0x2000, SITE_PEEL)->owner, &owner_b);
    sites_remove(&t, 0x2000, SITE_CLAIM);
    e = sites_at(&t, 0x2000);
    assert_int_equal(sites_end(&t) - e, 2);
    assert_int_equal(e[0].kind, SITE_PEEL);
    assert_int_equal(t.count[SITE_CLAIM], 0);
    assert_int_equal(t.count[SITE_PEEL], 2);
    check_sorted(&t);
    sites_free(&t);
}

static void single_adds_and_removes_stay_sorted(void **state)
{
    (void)state;
    struct sites t = { 0 };
    for (unsigned i = 0; i < 300; i++)
        assert_true(add_peel(&t, (i * 37u) % 300 * 2, 0));
    check_sorted(&t);
    assert_int_equal(t.n, 300);
    for (unsigned a = 0; a < 600; a += 4)
        sites_remove(&t, a, SITE_PEEL);
    assert_int_equal(t.n, 150);
    check_sorted(&t);
    for (unsigned a = 0; a < 600; a += 2)
        assert_true((sites_find(&t, a, SITE_PEEL) != 0) == (a % 4 != 0));
    sites_free(&t);
}

/* A page's patches taken out at once (scan-on-execute drops a page): each
 * handed over before it goes, the other kinds and pages untouched, and the
 * index still finds what stays. */
static unsigned taken_bytes, taken_count;
static void take(const struct site *e, void *ctx)
{
    assert_ptr_equal(ctx, &taken_count);
    assert_int_equal(e->kind, SITE_PATCH);
    taken_bytes += e->orig[0];
    taken_count++;
}

static void page_of_patches_taken_at_once(void **state)
{
    (void)state;
    struct sites t = { 0 };
    int owner;
    struct site batch[] = { patch(0x1ffc, 1), patch(0x2000, 2), patch(0x2abc, 3), patch(0x2fff, 4),
                            patch(0x3000, 5) };
    assert_true(sites_add_many(&t, batch, 5));
    assert_true(add_peel(&t, 0x2000, &owner));
    assert_true(add_peel(&t, 0x2500, &owner));
    taken_bytes = taken_count = 0;
    assert_int_equal(sites_take_range(&t, 0x2000, 0x3000, SITE_PATCH, take, &taken_count), 3);
    assert_int_equal(taken_count, 3);
    assert_int_equal(taken_bytes, 2 + 3 + 4);
    assert_int_equal(t.n, 4);
    assert_int_equal(t.count[SITE_PATCH], 2);
    check_sorted(&t);
    assert_null(sites_find(&t, 0x2000, SITE_PATCH));
    assert_null(sites_find(&t, 0x2fff, SITE_PATCH));
    assert_non_null(sites_find(&t, 0x2000, SITE_PEEL));
    assert_non_null(sites_find(&t, 0x2500, SITE_PEEL));
    assert_int_equal(sites_find(&t, 0x1ffc, SITE_PATCH)->orig[0], 1);
    assert_int_equal(sites_find(&t, 0x3000, SITE_PATCH)->orig[0], 5);
    uint32_t gen = t.gen;
    assert_int_equal(sites_take_range(&t, 0x2000, 0x3000, SITE_PATCH, take, &taken_count), 0);
    assert_int_equal(t.gen, gen);                /* nothing taken: nothing changed */
    sites_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_table_finds_nothing),
        cmocka_unit_test(batch_in_any_order_is_sorted),
        cmocka_unit_test(kinds_at_one_address_claims_first),
        cmocka_unit_test(single_adds_and_removes_stay_sorted),
        cmocka_unit_test(page_of_patches_taken_at_once),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
