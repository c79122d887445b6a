/* Helpers shared by the in-kernel tests. */
#pragma once
#include "sched/thread.h"
#include "smp/percpu.h"

#define MS (1000000ull)

/* Run fn(arg) in `per_cpu` threads pinned to each online CPU; join them all.
 * Returns the number of threads that could not be created. */
unsigned kt_run_on_each_cpu(void (*fn)(void *), void *arg, unsigned per_cpu);
