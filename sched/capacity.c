/*
 * The capacity probe (sched/capacity.h): at boot every CPU runs the same
 * fixed loop at once, and the time that takes against one CPU alone says
 * how many of them the machine beneath really ran in parallel.  Under QEMU
 * with four vCPUs on a two-core host it reads 2; on a host with cores to
 * spare it reads every CPU.  Five rounds 10 ms apart, the fastest of each
 * measurement kept: other work on the host can only make one look worse
 * than the machine is.
 *
 * One measurement, at boot: the host's load may change later, and a
 * capacity= on the command line overrides what was measured.
 */
#include "sched/capacity.h"
#include "sched/priv.h"
#include "smp/percpu.h"
#include "kernel/clock.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/x86.h"

#define ROUNDS       5
#define ROUND_GAP_NS 10000000ull              /* between rounds: a passing load may pass */
#define LOOP_MIN_NS  3000000ull              /* the loop alone: long against a tick, short at boot */
#define LOOP_MAX     (1ull << 30)

static unsigned capacity = 1;

struct round {
    uint64_t iterations;
    unsigned n;
    volatile unsigned arrived;
    volatile int go;
    uint64_t start[MAX_CPUS], end[MAX_CPUS];
};

static volatile uint64_t sink;

/* A dependency chain TCG cannot shorten: xorshift64. */
static uint64_t loop_ns(uint64_t iterations)
{
    uint64_t x = 88172645463325252ull, t0 = time_ns();
    for (uint64_t i = 0; i < iterations; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    sink = x;
    return time_ns() - t0;
}

/* One per CPU, pinned: the last to arrive starts them all. */
static void together(void *arg)
{
    struct round *r = arg;
    unsigned me = this_cpu()->id;
    if (__atomic_add_fetch(&r->arrived, 1, __ATOMIC_ACQ_REL) == r->n)
        __atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
        cpu_relax();
    r->start[me] = time_ns();
    loop_ns(r->iterations);
    r->end[me] = time_ns();
}

/* The span from the first start to the last end, or 0 if a thread could
 * not be made. */
static uint64_t run_together(struct round *r)
{
    struct thread *t[MAX_CPUS];
    r->arrived = 0;
    r->go = 0;
    for (unsigned i = 0; i < r->n; i++) {
        t[i] = thread_create_on("capacity", together, r, cpu_bit(i));
        if (!t[i]) {
            __atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);   /* the others need not wait */
            for (unsigned j = 0; j < i; j++)
                thread_join(t[j]);
            return 0;
        }
    }
    uint64_t first = UINT64_MAX, last = 0;
    for (unsigned i = 0; i < r->n; i++) {
        thread_join(t[i]);
        first = r->start[i] < first ? r->start[i] : first;
        last = r->end[i] > last ? r->end[i] : last;
    }
    return last - first;
}

static void print_ms(const char *before, uint64_t ns)
{
    kprintf("%s%lu.%lu ms", before, ns / 1000000, ns / 100000 % 10);
}

void sched_probe_capacity(void)
{
    unsigned n = ncpus;
    if (cmdline.capacity) {
        capacity = cmdline.capacity == CAPACITY_ALL || cmdline.capacity > n ? n : cmdline.capacity;
        kprintf("capacity: %u of %u CPUs (capacity=", capacity, n);
        if (cmdline.capacity == CAPACITY_ALL)
            kprintf("all)\n");
        else
            kprintf("%u%s)\n", cmdline.capacity, cmdline.capacity > n ? ", more than are online" : "");
        return;
    }
    if (n <= 1)
        return;
    static struct round r;
    r.n = n;
    r.iterations = 1u << 14;
    uint64_t alone = loop_ns(r.iterations);
    while (alone < LOOP_MIN_NS && r.iterations < LOOP_MAX) {
        r.iterations *= 2;
        alone = loop_ns(r.iterations);
    }
    /* Other work on the host only ever slows a measurement down: the
     * fastest loop alone and the shortest span together, each from
     * whichever round was least disturbed, spread over ~50 ms. */
    uint64_t best_alone = alone, best_span = UINT64_MAX;
    for (int round = 0; round < ROUNDS; round++) {
        if (round)
            thread_sleep_ns(ROUND_GAP_NS);
        uint64_t a = loop_ns(r.iterations), span = run_together(&r);
        if (!span) {
            kprintf("capacity: no memory for the probe's threads; using all %u CPUs\n", n);
            capacity = n;
            return;
        }
        best_alone = a < best_alone ? a : best_alone;
        best_span = span < best_span ? span : best_span;
    }
    capacity = capacity_estimate(n, best_alone, best_span);
    kprintf("capacity: %u of %u CPUs run at once (", capacity, n);
    print_ms("a loop of ", best_alone);
    print_ms(" took ", best_span);
    kprintf(" on %u CPUs at once)\n", n);
}

unsigned sched_capacity(void)
{
    return capacity;
}

cpumask_t sched_capacity_mask(void)
{
    cpumask_t m = cpus_online(), keep = 0;
    for (unsigned i = 0; i < capacity && m; i++) {
        cpumask_t low = m & -m;
        keep |= low;
        m &= ~low;
    }
    return keep ? keep : cpus_online();
}
