/* The kernel heap core: size classes, page return, poisoning, double frees. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/heap.h"

static long pages_out;
static enum heap_error last_error;
static const void *last_ptr;

static void *get(size_t n)
{
    void *p = aligned_alloc(4096, n * 4096);
    if (p) { memset(p, 0, n * 4096); pages_out += n; }
    return p;
}
static void put(void *p, size_t n) { pages_out -= n; free(p); }
static void report(enum heap_error e, const void *p) { last_error = e; last_ptr = p; }

static struct heap h;
static int setup(void **s) { (void)s; pages_out = 0; last_error = HEAP_OK; heap_init(&h, get, put, report); return 0; }

static void sizes_do_not_overlap(void **s)
{
    (void)s;
    unsigned char *p[200];
    for (int i = 0; i < 200; i++) {
        size_t n = 1 + (i * 37) % 5000;
        p[i] = heap_alloc(&h, n);
        assert_non_null(p[i]);
        memset(p[i], i, n);
        assert_int_equal(heap_size_of(p[i]), n);
    }
    for (int i = 0; i < 200; i++) {
        size_t n = 1 + (i * 37) % 5000;
        for (size_t j = 0; j < n; j++) assert_int_equal(p[i][j], (unsigned char)i);
        heap_free(&h, p[i]);
    }
    assert_int_equal(last_error, HEAP_OK);
    assert_int_equal(h.bytes_live, 0);
}

static void pages_returned_when_empty(void **s)
{
    (void)s;
    void *p[500];
    for (int i = 0; i < 500; i++) p[i] = heap_alloc(&h, 48);
    assert_true(pages_out > 1);
    for (int i = 0; i < 500; i++) heap_free(&h, p[i]);
    assert_int_equal(pages_out, 0);
    assert_int_equal(h.pages_held, 0);
}

static void double_free_caught(void **s)
{
    (void)s;
    void *a = heap_alloc(&h, 100), *b = heap_alloc(&h, 100);
    heap_free(&h, a);
    heap_free(&h, a);
    assert_int_equal(last_error, HEAP_DOUBLE_FREE);
    assert_ptr_equal(last_ptr, a);
    heap_free(&h, b);
}

static void bad_pointer_caught(void **s)
{
    (void)s;
    char *a = heap_alloc(&h, 100);
    heap_free(&h, a + 8);                             /* inside an object */
    assert_int_equal(last_error, HEAP_BAD_POINTER);
    heap_free(&h, a);
}

static void use_after_free_caught(void **s)
{
    (void)s;
    char *a = heap_alloc(&h, 64), *keep = heap_alloc(&h, 64);
    heap_free(&h, a);
    a[20] = 1;                                        /* write to freed memory */
    void *again = heap_alloc(&h, 64);                 /* reuses a: poison is broken */
    assert_int_equal(last_error, HEAP_POISON_BROKEN);
    heap_free(&h, again);
    heap_free(&h, keep);
}

static void absurd_sizes(void **s)
{
    (void)s;
    assert_null(heap_alloc(&h, 0));
    assert_null(heap_alloc(&h, (size_t)1 << 50));
}

static void random_churn(void **s)
{
    (void)s;
    void *p[128] = { 0 };
    srand(3);
    for (int i = 0; i < 50000; i++) {
        int k = rand() % 128;
        if (p[k]) { heap_free(&h, p[k]); p[k] = 0; }
        else p[k] = heap_alloc(&h, 1 + rand() % 3000);
    }
    for (int k = 0; k < 128; k++) heap_free(&h, p[k]);
    assert_int_equal(last_error, HEAP_OK);
    assert_int_equal(h.bytes_live, 0);
    assert_int_equal(pages_out, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(sizes_do_not_overlap, setup),
        cmocka_unit_test_setup(pages_returned_when_empty, setup),
        cmocka_unit_test_setup(double_free_caught, setup),
        cmocka_unit_test_setup(bad_pointer_caught, setup),
        cmocka_unit_test_setup(use_after_free_caught, setup),
        cmocka_unit_test_setup(absurd_sizes, setup),
        cmocka_unit_test_setup(random_churn, setup),
    };
    return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
