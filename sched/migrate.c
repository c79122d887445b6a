/*
 * Moving threads between CPUs.  Each CPU owns its run queue and touches it
 * only with interrupts off; other CPUs hand it threads through its locked
 * inbox and a reschedule IPI (NOVA's Scheduler::unblock).  An idle CPU
 * asks the busiest one for work by setting its bit in that CPU's
 * steal_from_me word; the busy CPU pushes a thread into the idle CPU's
 * inbox at its next schedule.
 */
#include "sched/priv.h"
#include "smp/ipi.h"
#include "kernel/panic.h"

void sched_send(unsigned to, struct thread *t)
{
    struct sched_cpu *dst = sched_cpu(to);
    t->cpu = to;
    spin_lock_irq(&dst->inbox_lock);
    list_push_back(&dst->inbox, &t->rq.link);
    spin_unlock_irq(&dst->inbox_lock);
    ipi_resched(to);
}

/* Where a woken thread should run: where it last ran, unless that CPU is
 * busy and another one it may use sits idle — then there, at once, rather
 * than after the busy one's slice or the idle one's next tick. */
static unsigned wake_cpu(struct thread *t)
{
    struct cpu *here = this_cpu(), *last = cpu_of(t->cpu);
    if (here->current->sync_wakeups && (t->rq.affinity & cpu_bit(here->id)))
        return here->id;
    if (last->current->idle)
        return t->cpu;
    for (unsigned i = 0; i < ncpus; i++) {
        struct cpu *c = cpu_of(i);
        if (c->online && (t->rq.affinity & cpu_bit(i)) && c->current->idle &&
            !__atomic_load_n(&sched_cpu(i)->rq.nr, __ATOMIC_RELAXED))
            return i;
    }
    return t->cpu;
}

void sched_wake(struct thread *t)
{
    if (t->state != T_SLEEPING)
        panic("sched_wake: thread %s is %s, not sleeping", t->name, thread_state_name(t->state));
    t->state = T_RUNNABLE;
    struct cpu *c = this_cpu();
    unsigned to = wake_cpu(t);
    if (to != c->id) {
        sched_send(to, t);
        return;
    }
    runq_push(&sched_cpu(c->id)->rq, &t->rq);
    if (c->current->idle)
        c->hazard |= HAZARD_RESCHED;
}

void sched_drain_inbox(struct sched_cpu *s)
{
    struct list arrived;
    list_init(&arrived);
    spin_lock_irq(&s->inbox_lock);
    list_splice_back(&arrived, &s->inbox);
    spin_unlock_irq(&s->inbox_lock);
    struct list *l;
    while ((l = list_pop_front(&arrived)))
        runq_push(&s->rq, container_of(l, struct runq_entry, link));
}

void sched_serve_steals(struct sched_cpu *s)
{
    uint64_t askers = __atomic_exchange_n(&s->steal_from_me, 0, __ATOMIC_ACQ_REL);
    while (askers) {
        unsigned to = __builtin_ctzll(askers);
        askers &= askers - 1;
        struct runq_entry *e = runq_steal(&s->rq, to);
        if (e) {
            struct thread *t = container_of(e, struct thread, rq);
            t->migrations++;
            sched_send(to, t);
        }
    }
}

/* Ask the most loaded CPU for one thread, if it has at least `excess` more
 * waiting than we do.  An idle CPU asks for any (excess 1); a busy one
 * evens out the queues (excess 2), since each CPU serves its own queue
 * round robin: a thread's share of time is one over its queue's length,
 * and workers of equal work would otherwise end far apart. */
void sched_ask_for_work(struct cpu *c, struct sched_cpu *s, unsigned excess)
{
    unsigned best = c->id, most = __atomic_load_n(&s->rq.nr, __ATOMIC_RELAXED) + excess - 1;
    for (unsigned i = 0; i < ncpus; i++) {
        unsigned nr = __atomic_load_n(&sched_cpu(i)->rq.nr, __ATOMIC_RELAXED);
        if (i != c->id && cpu_of(i)->online && nr > most) {
            most = nr;
            best = i;
        }
    }
    if (best == c->id)
        return;
    __atomic_or_fetch(&sched_cpu(best)->steal_from_me, cpu_bit(c->id), __ATOMIC_RELEASE);
    ipi_resched(best);
}

int sched_first_online(cpumask_t mask)
{
    mask &= cpus_online();
    return mask ? __builtin_ctzll(mask) : -1;
}

unsigned sched_queued(unsigned cpu)
{
    return __atomic_load_n(&sched_cpu(cpu)->rq.nr, __ATOMIC_RELAXED);
}
