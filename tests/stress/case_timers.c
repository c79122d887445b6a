/*
 * Timers under load: one busy thread per CPU spins for the whole case while
 * two sleepers per CPU sleep random 1-20 ms stretches.  A sleeper must never
 * wake early and never later than LATE_BOUND: generous, because TCG runs up
 * to 8 vCPUs on 2 host cores, but a lost timer or a starved run queue
 * blows through it.  The worst lateness is reported either way.
 */
#include "tests/stress/stress.h"
#include "kernel/x86.h"

#define LATE_BOUND_NS (500 * MS)
#define EARLY_SLACK_NS 100000ull            /* TSC reads on different CPUs */

static struct { uint64_t max_late, sum_late, early, sleeps; } s;

static void busy(struct stress_run *r)
{
    while (stress_running(r))
        for (int i = 0; i < 256; i++)
            cpu_relax();
}

static void record_max(uint64_t late)
{
    uint64_t old = __atomic_load_n(&s.max_late, __ATOMIC_RELAXED);
    while (late > old && !__atomic_compare_exchange_n(&s.max_late, &old, late, true,
                                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

static void sleeper(struct stress_run *r, uint64_t seed)
{
    uint64_t rng = seed, n = 0, sum = 0, early = 0;
    while (stress_running(r)) {
        uint64_t want = (1 + stress_rand(&rng) % 20) * MS;
        uint64_t t0 = time_ns();
        thread_sleep_ns(want);
        uint64_t slept = time_ns() - t0;
        if (slept + EARLY_SLACK_NS < want) {
            early++;
            continue;
        }
        uint64_t late = slept > want ? slept - want : 0;
        record_max(late);
        sum += late;
        n++;
    }
    __atomic_add_fetch(&s.sleeps, n, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s.sum_late, sum, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s.early, early, __ATOMIC_RELAXED);
    stress_add_ops(r, n + early);
}

static void work(struct stress_run *r, unsigned cpu, unsigned slot)
{
    if (slot == 0)
        busy(r);
    else
        sleeper(r, cpu * 131 + slot + 1);
}

static bool setup(struct stress_run *r)
{
    (void)r;
    s.max_late = s.sum_late = s.early = s.sleeps = 0;
    return true;
}

static void finish(struct stress_run *r)
{
    uint64_t avg = s.sleeps ? s.sum_late / s.sleeps : 0;
    if (!s.sleeps)
        stress_fail(r, "no sleeper ever woke");
    else if (s.early || s.max_late > LATE_BOUND_NS)
        stress_fail(r, "%lu early wakeups; max lateness %lu us (bound %lu us), avg %lu us",
                    s.early, s.max_late / 1000, LATE_BOUND_NS / 1000, avg / 1000);
    else
        stress_note(r, "max lateness %lu us (bound %lu us), avg %lu us over %lu sleeps",
                    s.max_late / 1000, LATE_BOUND_NS / 1000, avg / 1000, s.sleeps);
}

const struct stress_case stress_timers =
    { "timers", 1, 3, 0, false, false, setup, work, finish };
