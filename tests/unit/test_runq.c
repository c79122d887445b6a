/* The run queue: FIFO order, affinity-respecting steals, removal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "sched/runq.h"

static struct runq_entry e[8];
static struct runq rq;

static int setup(void **s)
{
    (void)s;
    runq_init(&rq);
    for (int i = 0; i < 8; i++) e[i].affinity = CPUMASK_ALL;
    return 0;
}

static void fifo_order(void **s)
{
    (void)s;
    for (int i = 0; i < 8; i++) runq_push(&rq, &e[i]);
    assert_int_equal(rq.nr, 8);
    for (int i = 0; i < 8; i++) assert_ptr_equal(runq_pop(&rq), &e[i]);
    assert_null(runq_pop(&rq));
    assert_int_equal(rq.nr, 0);
}

static void round_robin_requeue(void **s)
{
    (void)s;
    runq_push(&rq, &e[0]);
    runq_push(&rq, &e[1]);
    struct runq_entry *x = runq_pop(&rq);
    runq_push(&rq, x);                                /* preempted: back of the line */
    assert_ptr_equal(runq_pop(&rq), &e[1]);
    assert_ptr_equal(runq_pop(&rq), &e[0]);
}

static void steal_takes_newest_allowed(void **s)
{
    (void)s;
    e[2].affinity = 1;                                /* pinned to CPU 0 */
    for (int i = 0; i < 3; i++) runq_push(&rq, &e[i]);
    assert_ptr_equal(runq_steal(&rq, 3), &e[1]);      /* e[2] may not go to CPU 3 */
    assert_int_equal(rq.nr, 2);
    assert_ptr_equal(runq_steal(&rq, 3), &e[0]);
    assert_null(runq_steal(&rq, 3));
    assert_ptr_equal(runq_steal(&rq, 0), &e[2]);
    assert_int_equal(rq.nr, 0);
}

static void remove_specific(void **s)
{
    (void)s;
    for (int i = 0; i < 4; i++) runq_push(&rq, &e[i]);
    assert_true(runq_remove(&rq, &e[2]));
    assert_false(runq_remove(&rq, &e[2]));
    assert_false(runq_remove(&rq, &e[7]));
    assert_int_equal(rq.nr, 3);
    assert_ptr_equal(runq_pop(&rq), &e[0]);
    assert_ptr_equal(runq_pop(&rq), &e[1]);
    assert_ptr_equal(runq_pop(&rq), &e[3]);
}

static void high_cpu_numbers(void **s)
{
    (void)s;
    e[0].affinity = (cpumask_t)1 << 63;
    runq_push(&rq, &e[0]);
    assert_null(runq_steal(&rq, 62));
    assert_ptr_equal(runq_steal(&rq, 63), &e[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(fifo_order, setup),
        cmocka_unit_test_setup(round_robin_requeue, setup),
        cmocka_unit_test_setup(steal_takes_newest_allowed, setup),
        cmocka_unit_test_setup(remove_specific, setup),
        cmocka_unit_test_setup(high_cpu_numbers, setup),
    };
    return cmocka_run_group_tests_name("runq", tests, NULL, NULL);
}
