/* Sets of CPUs, one bit each: bit n is CPU n (MAX_CPUS <= 64). */
#pragma once
#include <stdint.h>

typedef uint64_t cpumask_t;
#define CPUMASK_ALL (~(cpumask_t)0)

/* How many CPUs are in m (no libgcc here for __builtin_popcountll). */
static inline unsigned cpumask_count(cpumask_t m)
{
    unsigned n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}
