/*
 * Lock torture: threads on every CPU update shared state under one lock
 * kind.  The update is a non-atomic read-modify-write of several fields
 * with a pause in the middle, so two holders at once leave a trace: a torn
 * pair (b != 2a), a foreign holder id, or a final count short of the sum of
 * every thread's own count.  locks-irq also takes the lock from IPI
 * handlers, which deadlocks (recursive acquire) if the lock let interrupts
 * in.  locks-broken runs the same torture on a lock that does not exclude
 * (broken_lock.c) and must be caught.
 */
#include "tests/stress/stress.h"
#include "tests/stress/broken_lock.h"
#include "sched/mutex.h"
#include "smp/ipi.h"
#include "smp/percpu.h"
#include "kernel/x86.h"

enum kind { K_SPIN, K_IRQ, K_MUTEX, K_BROKEN };

static struct {
    enum kind kind;
    struct spinlock spin;
    struct mutex mutex;
    struct broken_lock broken;
    uint64_t a, b;                  /* invariant under the lock: b == 2a */
    volatile uint64_t holder;       /* who is inside, + 1 */
    uint64_t torn, overlaps, counted, ipi_updates;
} t;

static void take(void)
{
    switch (t.kind) {
    case K_SPIN:   spin_lock(&t.spin); break;
    case K_IRQ:    spin_lock_irq(&t.spin); break;
    case K_MUTEX:  mutex_lock(&t.mutex); break;
    case K_BROKEN: broken_lock(&t.broken); break;
    }
}

static void drop(void)
{
    switch (t.kind) {
    case K_SPIN:   spin_unlock(&t.spin); break;
    case K_IRQ:    spin_unlock_irq(&t.spin); break;
    case K_MUTEX:  mutex_unlock(&t.mutex); break;
    case K_BROKEN: broken_unlock(&t.broken); break;
    }
}

/* The critical section.  Plain loads and stores on purpose: only the lock
 * may make them safe. */
static void update(uint64_t me)
{
    t.holder = me;
    uint64_t a = t.a, b = t.b;
    if (b != 2 * a)
        __atomic_add_fetch(&t.torn, 1, __ATOMIC_RELAXED);
    t.a = a + 1;
    for (int i = 0; i < 8; i++)
        cpu_relax();                /* widen the window a broken lock leaves */
    t.b = b + 2;
    if (t.holder != me)
        __atomic_add_fetch(&t.overlaps, 1, __ATOMIC_RELAXED);
}

/* Runs in an IPI handler, interrupts off: only the _irq kind may be taken. */
static void update_from_ipi(void *arg)
{
    (void)arg;
    spin_lock_irq(&t.spin);
    update(0xfff00 + this_cpu()->id);
    spin_unlock_irq(&t.spin);
    __atomic_add_fetch(&t.ipi_updates, 1, __ATOMIC_RELAXED);
}

static void torture(struct stress_run *r, unsigned cpu, unsigned slot)
{
    uint64_t me = 1 + cpu * 16 + slot, mine = 0;
    while (stress_running(r)) {
        for (int i = 0; i < 32; i++) {
            take();
            update(me);
            drop();
        }
        mine += 32;
        if (t.kind == K_IRQ && r->ncpus > 1)
            ipi_call((cpu + 1) % r->ncpus, update_from_ipi, 0);
    }
    __atomic_add_fetch(&t.counted, mine, __ATOMIC_RELAXED);
}

static bool setup(struct stress_run *r, enum kind k)
{
    (void)r;
    t.kind = k;
    spin_init(&t.spin, "stress-locks");
    mutex_init(&t.mutex, "stress-locks");
    t.broken.locked = 0;
    t.a = t.b = t.holder = t.torn = t.overlaps = t.counted = t.ipi_updates = 0;
    return true;
}

static bool setup_spin(struct stress_run *r)   { return setup(r, K_SPIN); }
static bool setup_irq(struct stress_run *r)    { return setup(r, K_IRQ); }
static bool setup_mutex(struct stress_run *r)  { return setup(r, K_MUTEX); }
static bool setup_broken(struct stress_run *r) { return setup(r, K_BROKEN); }

static void finish(struct stress_run *r)
{
    uint64_t expect = t.counted + t.ipi_updates;
    r->ops = expect;
    if (t.a != expect || t.b != 2 * expect || t.torn || t.overlaps)
        stress_fail(r, "a=%lu b=%lu expected %lu/%lu: %lu updates lost, %lu torn, %lu overlaps",
                    t.a, t.b, expect, 2 * expect, expect - t.a, t.torn, t.overlaps);
    else
        stress_note(r, "exact: %lu updates (%lu from IPIs)", expect, t.ipi_updates);
}

const struct stress_case stress_locks_spin =
    { "locks-spin", 1, 1, 0, false, false, setup_spin, torture, finish };
const struct stress_case stress_locks_irq =
    { "locks-irq", 1, 1, 0, false, false, setup_irq, torture, finish };
const struct stress_case stress_locks_mutex =
    { "locks-mutex", 1, 2, 0, false, false, setup_mutex, torture, finish };
/* needs 2 CPUs: it disables preemption, so on one CPU it cannot race */
const struct stress_case stress_locks_broken =
    { "locks-broken", 2, 1, 3, true, false, setup_broken, torture, finish };
