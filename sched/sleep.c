/*
 * Timed sleeps.  Each CPU keeps its sleepers in deadline order under its
 * timer lock; its tick (sched/tick.c) wakes those whose time has come.
 */
#include "sched/priv.h"
#include "kernel/clock.h"

/* Sleep up to ns on this CPU's timed sleepers, unless flag is given and
 * already set: it is checked under the timer lock a waker also takes, so a
 * wakeup that sets it before the sleep begins is never lost. */
static void timed_sleep(uint64_t ns, volatile int *flag)
{
    pushcli();
    struct cpu *c = this_cpu();
    struct sched_cpu *s = sched_cpu(c->id);
    spin_lock_irq(&s->timer_lock);
    popcli();
    if (flag && __atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
        spin_unlock_irq(&s->timer_lock);
        return;
    }
    struct thread *t = c->current;
    t->wake_at = time_ns() + ns;
    struct list *pos = s->sleepers.next;
    while (pos != &s->sleepers && container_of(pos, struct thread, timer_link)->wake_at <= t->wake_at)
        pos = pos->next;
    list_insert_between(&t->timer_link, pos->prev, pos);
    t->state = T_SLEEPING;
    schedule(&s->timer_lock);
}

void thread_sleep_ns(uint64_t ns)
{
    timed_sleep(ns, 0);
}

/* A nap: thread_sleep_ns that thread_wake_napper can cut short. */
void thread_nap_ns(uint64_t ns, volatile int *flag)
{
    timed_sleep(ns, flag);
}

/* Set *flag, then end t's nap if it is in one. */
void thread_wake_napper(struct thread *t, volatile int *flag)
{
    __atomic_store_n(flag, 1, __ATOMIC_RELEASE);
    unsigned cpu = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
    struct sched_cpu *s = sched_cpu(cpu);
    spin_lock_irq(&s->timer_lock);
    for (struct list *pos = s->sleepers.next; pos != &s->sleepers; pos = pos->next)
        if (pos == &t->timer_link) {
            list_remove(&t->timer_link);
            sched_wake(t);
            break;
        }
    spin_unlock_irq(&s->timer_lock);
}

void sched_expire_sleepers(struct cpu *c, struct sched_cpu *s)
{
    uint64_t now = time_ns();
    spin_lock_irq(&s->timer_lock);
    while (!list_empty(&s->sleepers)) {
        struct thread *t = container_of(s->sleepers.next, struct thread, timer_link);
        if (t->wake_at > now)
            break;
        list_remove(&t->timer_link);
        sched_wake(t);
        c->hazard |= HAZARD_RESCHED;
    }
    spin_unlock_irq(&s->timer_lock);
}
