/* The capacity probe's estimate (sched/capacity.h): n CPUs' loops at once
 * against one alone, rounded to the CPUs worth using. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "sched/capacity.h"

#define MS 1000000ull

static void all_in_parallel(void **s)
{
    (void)s;
    assert_int_equal(capacity_estimate(2, 4 * MS, 4 * MS), 2);
    assert_int_equal(capacity_estimate(4, 4 * MS, 4 * MS), 4);
    assert_int_equal(capacity_estimate(64, 4 * MS, 4 * MS), 64);
    assert_int_equal(capacity_estimate(4, 4 * MS, 4 * MS + 300000), 4);   /* 3.72: a little noise */
}

/* Four vCPU threads on two host cores: twice as long. */
static void overcommitted(void **s)
{
    (void)s;
    assert_int_equal(capacity_estimate(4, 4 * MS, 8 * MS), 2);
    assert_int_equal(capacity_estimate(3, 4 * MS, 8 * MS), 2);       /* 1.5 */
    assert_int_equal(capacity_estimate(4, 4 * MS, 16 * MS), 1);
    assert_int_equal(capacity_estimate(8, 4 * MS, 16 * MS), 2);
}

/* Other work on the host: a CPU getting three quarters of a core or more
 * counts, less does not. */
static void rounding(void **s)
{
    (void)s;
    assert_int_equal(capacity_estimate(2, 3 * MS, 4 * MS), 2);      /* 1.50 */
    assert_int_equal(capacity_estimate(4, 226, 400), 3);            /* 2.26: just over */
    assert_int_equal(capacity_estimate(4, 9, 16), 2);               /* 2.25 exactly */
    assert_int_equal(capacity_estimate(4, 10, 16), 3);              /* 2.50 */
    assert_int_equal(capacity_estimate(2, 100, 160), 1);            /* 1.25 */
    assert_int_equal(capacity_estimate(2, 100, 158), 2);            /* 1.26 */
}

/* Never 0, never more than there are, whatever the clock said. */
static void bounds(void **s)
{
    (void)s;
    assert_int_equal(capacity_estimate(0, 4 * MS, 4 * MS), 1);
    assert_int_equal(capacity_estimate(1, 4 * MS, 1 * MS), 1);
    assert_int_equal(capacity_estimate(4, 4 * MS, 1000 * MS), 1);
    assert_int_equal(capacity_estimate(4, 40 * MS, 1 * MS), 4);      /* alone was the slow one */
    assert_int_equal(capacity_estimate(4, 0, 4 * MS), 1);
    assert_int_equal(capacity_estimate(4, 4 * MS, 0), 1);
    assert_int_equal(capacity_estimate(64, 1000000 * MS, 1000000 * MS), 64);   /* 1000 s: no overflow */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_in_parallel),
        cmocka_unit_test(overcommitted),
        cmocka_unit_test(rounding),
        cmocka_unit_test(bounds),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
