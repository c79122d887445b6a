/*
 * The SMP stress suite, in the kernel: stress=all|case[,case] duration=S.
 *
 * A case is a row in the table in cases.c.  The runner (stress.c) calls
 * setup, then starts `per_cpu` worker threads pinned to every online CPU,
 * arms fault injection (failalloc=) only while the workers run, waits for
 * them with a bound (a worker that never returns is a lost wakeup or a
 * deadlock: the run ends as a failure), calls finish to check the
 * invariants, and checks that free pages, heap bytes and the thread count
 * came back to what they were.  Output, one line a case:
 *
 *   STRESS case=locks-spin cpus=4 secs=20.01 ops=123456 ops_per_sec=6170 \
 *          injected=0 result=pass detail="..."
 *
 * plus a KTAP line.  A control case (expect_fail) runs a deliberately broken
 * variant: it passes when the invariants catch the breakage.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "sched/sched.h"
#include "sched/thread.h"

#define MS ((uint64_t)1000000)
#define SEC ((uint64_t)1000000000)

struct stress_run;

struct stress_case {
    const char *name;
    unsigned min_cpus;              /* skipped on fewer CPUs */
    unsigned per_cpu;               /* worker threads pinned to each CPU */
    unsigned max_secs;              /* 0: the duration= of the run; controls are short */
    bool expect_fail;               /* a broken control: failing is passing */
    bool explicit_only;             /* not part of stress=all (it ends the run) */
    bool (*setup)(struct stress_run *r);                  /* false: cannot run */
    void (*worker)(struct stress_run *r, unsigned cpu, unsigned slot);
    void (*finish)(struct stress_run *r);                 /* check, free */
};

struct stress_run {
    const struct stress_case *c;
    unsigned ncpus, nworkers;
    uint64_t start_ns, deadline_ns, elapsed_ns;
    volatile bool go;               /* workers start together, once armed */
    volatile unsigned finished;     /* workers that returned */
    uint64_t ops;                   /* added by workers */
    uint64_t alloc_failures;        /* allocations that failed and were survived */
    volatile bool failed;
    char detail[200];               /* first failure, or a note on success */
    void *priv;                     /* the case's own state */
};

/* For workers: is there time left? */
static inline bool stress_running(const struct stress_run *r)
{
    return time_ns() < r->deadline_ns;
}

static inline void stress_add_ops(struct stress_run *r, uint64_t n)
{
    __atomic_add_fetch(&r->ops, n, __ATOMIC_RELAXED);
}

static inline void stress_alloc_failed(struct stress_run *r)
{
    __atomic_add_fetch(&r->alloc_failures, 1, __ATOMIC_RELAXED);
}

/* Record a broken invariant; the first message wins. */
void stress_fail(struct stress_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A note printed with a passing result (e.g. the worst lateness seen). */
void stress_note(struct stress_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A cheap per-thread generator for sizes and choices. */
uint64_t stress_rand(uint64_t *state);

extern const struct stress_case *const stress_cases[];
extern const unsigned stress_ncases;

void stress_main(const char *which) __attribute__((noreturn));
