/*
 * The scheduler's tick, registered with the local APIC (lapic_on_tick):
 * sleepers whose time has come, time slices, load balancing, and
 * tickless idle.
 */
#include "sched/priv.h"
#include "smp/lapic.h"

/* Tickless idle.  A CPU that has idled for IDLE_TICKS_BEFORE_STOP ticks
 * with nothing queued and no timed sleeper stops its timer until it runs a
 * thread again (schedule()): work reaches it by IPI (a wakeup prefers an
 * idle CPU; a busy CPU hands it a queued thread at its own tick).  Under
 * QEMU a ticking idle CPU is not free: its 100 wakeups a second cost a busy
 * CPU of the same machine about 2.5% (classic unpeeled, -smp 2). */
#define IDLE_TICKS_BEFORE_STOP 2

static void stop_tick_if_quiet(struct cpu *c, struct sched_cpu *s)
{
    if (s->rq.nr || !list_empty(&s->sleepers) || ++s->idle_streak < IDLE_TICKS_BEFORE_STOP)
        return;
    c->tick_stopped = true;
    lapic_timer_stop();
}

/* A busy CPU with threads waiting gives one to a CPU whose tick is stopped
 * (it will not come asking). */
static void feed_stopped(struct cpu *c, struct sched_cpu *s)
{
    for (unsigned i = 0; s->rq.nr && i < ncpus; i++) {
        struct cpu *o = cpu_of(i);
        if (i != c->id && o->online && o->tick_stopped && !__atomic_load_n(&sched_cpu(i)->rq.nr, __ATOMIC_RELAXED)) {
            __atomic_or_fetch(&s->steal_from_me, cpu_bit(i), __ATOMIC_RELEASE);
            c->hazard |= HAZARD_RESCHED;     /* served in schedule(), on the way out */
        }
    }
}

/* From the timer interrupt, interrupts off; the LAPIC has counted the tick
 * (ticks, heartbeat). */
void sched_tick(void)
{
    struct cpu *c = this_cpu();
    struct sched_cpu *s = sched_cpu(c->id);
    sched_expire_sleepers(c, s);
    struct thread *cur = c->current;
    if (cur->idle) {
        c->idle_ticks++;
        if (s->rq.nr)
            c->hazard |= HAZARD_RESCHED;
        else {
            sched_ask_for_work(c, s, 1);
            stop_tick_if_quiet(c, s);
        }
    } else {
        s->idle_streak = 0;
        sched_ask_for_work(c, s, 2);
        feed_stopped(c, s);
        if (--cur->slice <= 0) {
            cur->slice = SLICE_TICKS;
            if (s->rq.nr)
                c->hazard |= HAZARD_RESCHED;
        }
    }
}
