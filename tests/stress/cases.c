/* The table of stress cases, in the order stress=all runs them.  Each is
 * runnable alone by name: stress=locks-spin,alloc-heap. */
#include "tests/stress/stress.h"

extern const struct stress_case
    stress_locks_spin, stress_locks_irq, stress_locks_mutex, stress_locks_broken,
    stress_ipi_storm, stress_tlb, stress_tlb_broken, stress_sched_churn,
    stress_sched_pingpong, stress_alloc_pages, stress_alloc_heap, stress_timers,
    stress_hang_control;

const struct stress_case *const stress_cases[] = {
    &stress_locks_spin,
    &stress_locks_irq,
    &stress_locks_mutex,
    &stress_locks_broken,       /* control: a lock that does not exclude, must be caught */
    &stress_ipi_storm,
    &stress_tlb,
    &stress_tlb_broken,         /* control: no shootdown, must be caught */
    &stress_sched_churn,
    &stress_sched_pingpong,
    &stress_alloc_pages,
    &stress_alloc_heap,
    &stress_timers,
    &stress_hang_control,       /* control, explicit only: the watchdog must end the run */
};

const unsigned stress_ncases = sizeof stress_cases / sizeof stress_cases[0];
