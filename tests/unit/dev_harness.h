/*
 * dev_harness.h — shared by the host/dev/ unit tests: an interrupt line
 * recorder and the cmocka includes, so each test file is only its cases.
 */
#ifndef PEEL_TEST_DEV_HARNESS_H
#define PEEL_TEST_DEV_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Records what devices drive on IRQ 0..15. */
struct irq_log {
    int level[16];
    unsigned rises[16], falls[16];
};

static inline void irq_log_set(void *ctx, int irq, int level)
{
    struct irq_log *l = ctx;
    assert_true(irq >= 0 && irq < 16);
    if (level && !l->level[irq])
        l->rises[irq]++;
    if (!level && l->level[irq])
        l->falls[irq]++;
    l->level[irq] = level;
}

/* Run a table of cases and check the table was run whole (STYLE.md 14). */
#define DEV_RUN_TESTS(tests, expected)                                          \
    do {                                                                    \
        _Static_assert(NELEM(tests) == (expected), "test count drifted"); \
        return cmocka_run_group_tests(tests, NULL, NULL);               \
    } while (0)

#endif
