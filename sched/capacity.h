/*
 * How many of our CPUs the machine beneath runs at once (sched/capacity.c).
 * Under an emulator or a hypervisor a CPU is a host thread; given more of
 * them than the host has cores, some are always descheduled.  Work that
 * meets at one lock (a guest's GKL) then runs slower spread over all of
 * them than kept to as many as really run: the holder waits for a core
 * behind threads that can do nothing without it.
 */
#pragma once
#include <stdint.h>
#include "smp/cpumask.h"

/* capacity=N on the command line: N CPUs; CAPACITY_ALL: every CPU; 0 (the
 * default): measure at boot. */
#define CAPACITY_ALL 0xffffffffu

/* Boot, in the first thread, with every CPU online and idle. */
void sched_probe_capacity(void);
unsigned sched_capacity(void);              /* 1 .. CPUs online */
/* The CPUs a thread should keep to when it shares a lock with others of
 * its kind (the guest's vCPU threads): the first sched_capacity() online
 * ones.  Plain kernel threads go anywhere. */
cpumask_t sched_capacity_mask(void);

/*
 * The estimate, pure (tests/unit/test_capacity.c): n CPUs each ran a loop
 * that takes alone_ns on one CPU by itself, all at once, and the last
 * finished span_ns after the first began: n * alone / span of them ran in
 * parallel.  Rounded up from a quarter CPU below: a CPU that gets three
 * quarters of a core still adds work, one that gets less mostly adds
 * waiting.  Always 1 .. n.
 */
static inline unsigned capacity_estimate(unsigned n, uint64_t alone_ns, uint64_t span_ns)
{
    if (n <= 1 || !alone_ns || !span_ns)
        return 1;
    /* in hundredths of a CPU; n <= 64 and alone_ns < 2^40 keep it in range */
    uint64_t hundredths = (uint64_t)n * alone_ns * 100 / span_ns;
    uint64_t cpus = hundredths < 25 ? 0 : (hundredths - 25 + 99) / 100;
    return cpus < 1 ? 1 : cpus > n ? n : (unsigned)cpus;
}
