/* The table of stress cases, in the order stress=all runs them.  Each is
 * runnable alone by name: stress=locks-spin,alloc-heap. */
#include "tests/stress/stress.h"

extern const struct stress_case
    stress_locks_spin, stress_locks_irq, stress_locks_mutex, stress_locks_broken,
    stress_alloc_pages, stress_alloc_heap, stress_hang_control;

const struct stress_case *const stress_cases[] = {
    &stress_locks_spin,
    &stress_locks_irq,
    &stress_locks_mutex,
    &stress_locks_broken,       /* control: must be caught */
    &stress_alloc_pages,
    &stress_alloc_heap,
    &stress_hang_control,       /* control, explicit only: the watchdog must fire */
};

const unsigned stress_ncases = sizeof stress_cases / sizeof stress_cases[0];
