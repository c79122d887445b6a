/* In-kernel tests of the scheduler and its synchronization. */
#include "tests/ktest/ktest.h"
#include "tests/ktest/util.h"
#include "sched/sched.h"
#include "sched/mutex.h"
#include "kernel/heap.h"

static void exit_with(void *arg) { thread_exit((int)(uintptr_t)arg); }

KTEST(thread_create_join)
{
    struct thread *t = thread_create("kt-exit", exit_with, (void *)42);
    KT_ASSERT(t);
    KT_EQ(thread_join(t), 42);
}

static void spin_a_while(void *arg)
{
    volatile uint64_t *work = arg;
    for (int i = 0; i < 200; i++) {
        for (volatile int j = 0; j < 20000; j++) ;
        __atomic_add_fetch(work, 1, __ATOMIC_RELAXED);
        if (i % 10 == 0) thread_yield();
    }
}

static void record_migrations(void *arg)
{
    uint64_t *m = arg;
    spin_a_while(&m[1]);
    struct thread *self = current_thread();
    __atomic_add_fetch(&m[0], self->migrations, __ATOMIC_RELAXED);
    __atomic_or_fetch(&m[2], self->ran_on, __ATOMIC_RELAXED);
}

/* Threads all start on this CPU; idle CPUs must steal them, so every CPU
 * runs work and threads migrate. */
KTEST(threads_run_everywhere_and_migrate)
{
    uint64_t m[3] = { 0, 0, 0 };           /* migrations, work, CPUs seen */
    unsigned n = 4 * ncpus;
    struct thread **t = kzalloc(n * sizeof *t);
    KT_ASSERT(t);
    thread_set_affinity((cpumask_t)1 << this_cpu()->id);
    for (unsigned i = 0; i < n; i++)
        t[i] = thread_create("kt-migrate", record_migrations, m);
    thread_set_affinity(CPUMASK_ALL);
    for (unsigned i = 0; i < n; i++)
        if (t[i]) thread_join(t[i]);
    kfree(t);
    KT_EQ(m[1], 200ull * n);
    KT_EQ(m[2], cpus_online());
    if (ncpus > 1)
        KT_ASSERT(m[0] > 0);
    kprintf("# %lu migrations over %u threads\n", m[0], n);
}

KTEST(affinity_pins)
{
    for (unsigned i = 0; i < ncpus; i++) {
        thread_set_affinity((cpumask_t)1 << i);
        for (int k = 0; k < 3; k++) {
            KT_EQ(this_cpu()->id, i);
            thread_yield();
        }
    }
    thread_set_affinity(CPUMASK_ALL);
}

KTEST(sleep_duration)
{
    uint64_t t0 = time_ns();
    thread_sleep_ns(50 * MS);
    uint64_t slept = time_ns() - t0;
    KT_ASSERT(slept >= 50 * MS);
    KT_ASSERT(slept < 2000 * MS);          /* TCG on a shared host: a loose bound */
}

static struct semaphore ping, pong;
static void ponger(void *arg)
{
    unsigned rounds = (uintptr_t)arg;
    for (unsigned i = 0; i < rounds; i++) {
        sem_down(&ping);
        sem_up(&pong);
    }
}

/* Cross-CPU ping-pong: a lost wakeup would hang it (the harness times out). */
KTEST(pingpong_no_lost_wakeup)
{
    const unsigned rounds = 2000;
    sem_init(&ping, 0, "ping");
    sem_init(&pong, 0, "pong");
    thread_set_affinity(1);
    struct thread *t = thread_create_on("kt-pong", ponger, (void *)(uintptr_t)rounds,
                                        ncpus > 1 ? 2 : 1);
    KT_ASSERT(t);
    for (unsigned i = 0; i < rounds; i++) {
        sem_up(&ping);
        sem_down(&pong);
    }
    thread_join(t);
    thread_set_affinity(CPUMASK_ALL);
}

static struct mutex test_mutex;
static volatile uint64_t mutex_counter;
static void mutex_add(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        mutex_lock(&test_mutex);
        uint64_t v = mutex_counter;
        if (i % 100 == 0) thread_yield();     /* sleep inside: others must block */
        mutex_counter = v + 1;
        mutex_unlock(&test_mutex);
    }
}

KTEST(mutex_exact_count)
{
    mutex_init(&test_mutex, "ktest");
    mutex_counter = 0;
    KT_EQ(kt_run_on_each_cpu(mutex_add, 0, 2), 0);
    KT_EQ(mutex_counter, 2000ull * 2 * ncpus);
}

#define RING 16
static struct { struct semaphore slots, items; struct spinlock lock; uint64_t buf[RING]; unsigned head, tail; } ring;
static void producer(void *arg)
{
    unsigned n = (uintptr_t)arg;
    for (unsigned i = 1; i <= n; i++) {
        sem_down(&ring.slots);
        spin_lock_irq(&ring.lock);
        ring.buf[ring.head++ % RING] = i;
        spin_unlock_irq(&ring.lock);
        sem_up(&ring.items);
    }
}

KTEST(semaphore_bounded_buffer)
{
    const unsigned per = 3000;
    sem_init(&ring.slots, RING, "slots");
    sem_init(&ring.items, 0, "items");
    spin_init(&ring.lock, "ring");
    ring.head = ring.tail = 0;
    struct thread *p[2];
    for (int i = 0; i < 2; i++)
        p[i] = thread_create("kt-producer", producer, (void *)(uintptr_t)per);
    uint64_t sum = 0;
    for (unsigned i = 0; i < 2 * per; i++) {
        sem_down(&ring.items);
        spin_lock_irq(&ring.lock);
        sum += ring.buf[ring.tail++ % RING];
        spin_unlock_irq(&ring.lock);
        sem_up(&ring.slots);
    }
    for (int i = 0; i < 2; i++)
        if (p[i]) thread_join(p[i]);
    KT_EQ(sum, 2ull * per * (per + 1) / 2);
}

static volatile uint64_t spins[2];
static volatile bool stop_spinning;
static void spin_forever(void *arg)
{
    unsigned i = (uintptr_t)arg;
    while (!stop_spinning)
        spins[i]++;                        /* never yields: only preemption interleaves */
}

KTEST(preemption_time_slices)
{
    stop_spinning = false;
    spins[0] = spins[1] = 0;
    unsigned cpu = ncpus - 1;
    struct thread *a = thread_create_on("kt-hog", spin_forever, (void *)0, (cpumask_t)1 << cpu);
    struct thread *b = thread_create_on("kt-hog", spin_forever, (void *)1, (cpumask_t)1 << cpu);
    KT_ASSERT(a && b);
    thread_sleep_ns(300 * MS);
    uint64_t s0 = spins[0], s1 = spins[1];
    stop_spinning = true;
    thread_join(a);
    thread_join(b);
    KT_ASSERT(s0 > 0 && s1 > 0);
}

KTEST(detached_threads_reaped)
{
    uint64_t before = thread_count();
    for (int i = 0; i < 50; i++) {
        struct thread *t = thread_create("kt-detached", exit_with, 0);
        KT_ASSERT(t);
        thread_detach(t);
    }
    for (int wait = 0; wait < 100 && thread_count() != before; wait++)
        thread_sleep_ns(10 * MS);
    KT_EQ(thread_count(), before);
}

KTEST(many_threads)
{
    for (int round = 0; round < 10; round++) {
        struct thread *t[50];
        for (int i = 0; i < 50; i++)
            t[i] = thread_create("kt-many", exit_with, (void *)(uintptr_t)i);
        for (int i = 0; i < 50; i++) {
            KT_ASSERT(t[i]);
            KT_EQ(thread_join(t[i]), i);
        }
    }
}
