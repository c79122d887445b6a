/* Sets of CPUs, one bit each: bit n is CPU n (MAX_CPUS <= 64). */
#pragma once
#include <stdint.h>

typedef uint64_t cpumask_t;
#define CPUMASK_ALL (~(cpumask_t)0)
