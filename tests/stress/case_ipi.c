/*
 * IPI storm: every CPU calls every other CPU at once, alternating ipi_call
 * to each target and ipi_call_all.  A call must run exactly once, on the
 * CPU it was sent to, with interrupts off: each sender counts what it sent
 * per target, each handler counts what it ran per (sender, target), and
 * the two tables must agree to the last call.
 */
#include "tests/stress/stress.h"
#include "smp/ipi.h"
#include "smp/percpu.h"
#include "kernel/heap.h"
#include "kernel/x86.h"

struct ipi_counts {
    uint64_t sent[MAX_CPUS][MAX_CPUS];   /* [sender][target], by the sender */
    uint64_t ran[MAX_CPUS][MAX_CPUS];    /* [sender][target], by the target */
    uint64_t misdelivered, irqs_on;
};

static struct ipi_counts *k;

/* arg: sender id, and the intended target or ~0 for "all" */
struct call_arg { unsigned sender, target; };

static void handler(void *arg)
{
    const struct call_arg *a = arg;
    unsigned self = this_cpu()->id;
    if (a->target != ~0u && a->target != self)
        __atomic_add_fetch(&k->misdelivered, 1, __ATOMIC_RELAXED);
    if (read_flags() & EFLAGS_IF)
        __atomic_add_fetch(&k->irqs_on, 1, __ATOMIC_RELAXED);
    k->ran[a->sender][self]++;           /* only `self` writes this column */
}

static void storm(struct stress_run *r, unsigned cpu, unsigned slot)
{
    (void)slot;
    uint64_t calls = 0;
    while (stress_running(r)) {
        for (unsigned t = 0; t < r->ncpus; t++) {
            struct call_arg a = { cpu, t };
            ipi_call(t, handler, &a);
            k->sent[cpu][t]++;
            calls++;
        }
        struct call_arg all = { cpu, ~0u };
        ipi_call_all(handler, &all);
        for (unsigned t = 0; t < r->ncpus; t++)
            k->sent[cpu][t]++;
        calls += r->ncpus;
    }
    stress_add_ops(r, calls);
}

static bool setup(struct stress_run *r)
{
    k = kzalloc(sizeof *k);
    if (!k)
        stress_fail(r, "no memory for the counters");
    return k != 0;
}

static void finish(struct stress_run *r)
{
    if (!k)
        return;
    unsigned bad = 0;
    for (unsigned s = 0; s < r->ncpus; s++) {
        for (unsigned t = 0; t < r->ncpus; t++) {
            if (k->sent[s][t] == k->ran[s][t])
                continue;
            if (!bad++)
                stress_fail(r, "cpu %u -> cpu %u: %lu calls sent, %lu ran", s, t, k->sent[s][t], k->ran[s][t]);
        }
    }
    if (k->misdelivered || k->irqs_on)
        stress_fail(r, "%lu calls ran on the wrong CPU, %lu with interrupts on", k->misdelivered, k->irqs_on);
    stress_note(r, "every (sender, target) pair exact over %u x %u", r->ncpus, r->ncpus);
    kfree(k);
    k = 0;
}

const struct stress_case stress_ipi_storm =
    { "ipi-storm", 1, 1, 0, false, false, setup, storm, finish };
