/*
 * Scheduler stress.
 *
 * sched-churn: a spawner on every CPU creates short-lived threads in
 * batches, joins half and detaches the other half, until time is up.  Every
 * child must run exactly once (and return the code it was given, for the
 * joined ones), every CPU must have run children and switched threads, and
 * every detached child must be freed (the runner's thread and page counts).
 * Under failalloc a failed thread_create is counted and survived.
 *
 * sched-pingpong: pairs of threads on neighbouring CPUs hand a token back
 * and forth through two semaphores (sleep/wakeup across CPUs).  A lost
 * wakeup leaves a pair asleep forever, which the runner reports as stuck
 * workers; both halves must count the same number of rounds.
 */
#include "tests/stress/stress.h"
#include "sched/mutex.h"
#include "smp/percpu.h"
#include "kernel/heap.h"

#define BATCH 8

static struct {
    uint64_t created, ran, bad_code, detached, detached_done;
    cpumask_t ran_mask;
    uint64_t switches0[MAX_CPUS];
} c;

static void child(void *arg)
{
    __atomic_or_fetch(&c.ran_mask, (cpumask_t)1 << this_cpu()->id, __ATOMIC_RELAXED);
    __atomic_add_fetch(&c.ran, 1, __ATOMIC_RELAXED);
    if ((uintptr_t)arg & 1) {
        /* detached: nobody will join us, so say we are done */
        __atomic_add_fetch(&c.detached_done, 1, __ATOMIC_RELEASE);
        return;
    }
    thread_exit((int)(uintptr_t)arg);
}

static void spawn_batch(struct stress_run *r, uint64_t *seq)
{
    struct thread *t[BATCH] = { 0 };
    for (unsigned i = 0; i < BATCH; i++) {
        uintptr_t code = (uintptr_t)((*seq)++ & 0xffff) * 2 + (i & 1);   /* odd: detach */
        t[i] = thread_create("churn", child, (void *)code);
        if (!t[i]) {
            stress_alloc_failed(r);
            continue;
        }
        __atomic_add_fetch(&c.created, 1, __ATOMIC_RELAXED);
        if (code & 1) {
            __atomic_add_fetch(&c.detached, 1, __ATOMIC_RELAXED);
            thread_detach(t[i]);
            t[i] = 0;
        }
    }
    for (unsigned i = 0; i < BATCH; i++) {
        if (!t[i])
            continue;
        uintptr_t code = (uintptr_t)t[i]->arg;
        if (thread_join(t[i]) != (int)code)
            __atomic_add_fetch(&c.bad_code, 1, __ATOMIC_RELAXED);
        stress_add_ops(r, 1);
    }
}

static void spawner(struct stress_run *r, unsigned cpu, unsigned slot)
{
    uint64_t seq = cpu * 1000 + slot;
    while (stress_running(r))
        spawn_batch(r, &seq);
}

static bool churn_setup(struct stress_run *r)
{
    (void)r;
    c.created = c.ran = c.bad_code = c.detached = c.detached_done = 0;
    c.ran_mask = 0;
    for (unsigned i = 0; i < ncpus; i++)
        c.switches0[i] = cpu_of(i)->switches;
    return true;
}

/* Detached children may still be on their way out: wait a bounded time. */
static void churn_finish(struct stress_run *r)
{
    uint64_t until = time_ns() + 5 * SEC;
    while (__atomic_load_n(&c.detached_done, __ATOMIC_ACQUIRE) < c.detached && time_ns() < until)
        thread_sleep_ns(10 * MS);
    stress_add_ops(r, c.detached);
    cpumask_t online = cpus_online(), switched = 0;
    for (unsigned i = 0; i < r->ncpus; i++)
        if (cpu_of(i)->switches != c.switches0[i]) switched |= (cpumask_t)1 << i;
    if (c.ran != c.created || c.detached_done != c.detached || c.bad_code)
        stress_fail(r, "%lu created, %lu ran, %lu/%lu detached finished, %lu wrong exit codes",
                    c.created, c.ran, c.detached_done, c.detached, c.bad_code);
    else if (c.ran_mask != online || switched != online)
        stress_fail(r, "idle CPUs: children ran on %lx, switches on %lx, online %lx",
                    c.ran_mask, switched, online);
    else
        stress_note(r, "%lu threads created and reaped (%lu detached) on CPUs %lx",
                    c.created, c.detached, c.ran_mask);
}

const struct stress_case stress_sched_churn =
    { "sched-churn", 1, 1, 0, false, false, churn_setup, spawner, churn_finish };

/* ---- ping-pong ------------------------------------------------------------ */

struct pair {
    struct semaphore ping, pong;
    volatile bool stop;
    uint64_t rounds_ping, rounds_pong;
};

static struct pair *pairs;

static void ping(struct stress_run *r, struct pair *p)
{
    while (stress_running(r)) {
        sem_up(&p->pong);
        sem_down(&p->ping);
        p->rounds_ping++;
    }
    p->stop = true;                 /* pong waits for its next token: this one */
    sem_up(&p->pong);
}

static void pong(struct pair *p)
{
    for (;;) {
        sem_down(&p->pong);
        if (p->stop)
            return;
        p->rounds_pong++;
        sem_up(&p->ping);
    }
}

/* slot 0 on cpu i pings pair i; slot 1 on cpu i+1 answers it */
static void pingpong(struct stress_run *r, unsigned cpu, unsigned slot)
{
    if (slot == 0)
        ping(r, &pairs[cpu]);
    else
        pong(&pairs[(cpu + r->ncpus - 1) % r->ncpus]);
}

static bool pingpong_setup(struct stress_run *r)
{
    pairs = kzalloc(r->ncpus * sizeof *pairs);
    if (!pairs) {
        stress_fail(r, "no memory for %u pairs", r->ncpus);
        return false;
    }
    for (unsigned i = 0; i < r->ncpus; i++) {
        sem_init(&pairs[i].ping, 0, "ping");
        sem_init(&pairs[i].pong, 0, "pong");
    }
    return true;
}

static void pingpong_finish(struct stress_run *r)
{
    if (!pairs)
        return;
    uint64_t total = 0;
    for (unsigned i = 0; i < r->ncpus; i++) {
        struct pair *p = &pairs[i];
        if (p->rounds_ping != p->rounds_pong)
            stress_fail(r, "pair %u: %lu pings, %lu pongs", i, p->rounds_ping, p->rounds_pong);
        if (!p->rounds_ping)
            stress_fail(r, "pair %u never completed a round", i);
        total += p->rounds_ping;
    }
    r->ops = total;
    stress_note(r, "%u pairs across CPUs, %lu round trips, no lost wakeup", r->ncpus, total);
    kfree(pairs);
    pairs = 0;
}

const struct stress_case stress_sched_pingpong =
    { "sched-pingpong", 1, 2, 0, false, false, pingpong_setup, pingpong, pingpong_finish };
