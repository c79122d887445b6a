/*
 * The scheduler.  Each CPU owns its run queue and touches it only with
 * interrupts off; other CPUs hand it threads through its locked inbox and a
 * reschedule IPI (NOVA's Scheduler::unblock).  An idle CPU asks the busiest
 * one for work by setting its bit in that CPU's steal_from_me word; the busy
 * CPU pushes a thread into the idle CPU's inbox at its next schedule.
 *
 * A thread that leaves the CPU may need something done once it is off its
 * stack — a lock released (sleep), a hand-over to another CPU (affinity),
 * freeing (exit).  finish_switch() does that, in the next thread's context.
 */
#include "sched/sched.h"
#include "smp/percpu.h"
#include "smp/ipi.h"
#include "smp/lapic.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "kernel/vm.h"
#include "kernel/heap.h"
#include "kernel/printf.h"
#include "host/vmm/vcpu.h"

#define STACK_CANARY 0x5ca1ab1e0ddba11ull

struct thread *swtch(struct thread *prev, struct thread *next);
void thread_finish_exit(struct thread *t);

static cpumask_t bit(unsigned cpu) { return (cpumask_t)1 << cpu; }

/* ---- time ---------------------------------------------------------------- */

static uint64_t tsc0, tsc_hz, ns_mult;       /* ns = (tsc delta * ns_mult) >> 32 */

void time_init(uint64_t hz)
{
    tsc_hz = hz;
    ns_mult = (1000000000ull << 32) / hz;
    tsc0 = rdtsc();
}

uint64_t time_tsc_hz(void) { return tsc_hz; }

uint64_t time_ns(void)
{
    return (uint64_t)(((unsigned __int128)(rdtsc() - tsc0) * ns_mult) >> 32);
}

/* ---- moving threads between CPUs ----------------------------------------- */

static void send_to(unsigned to, struct thread *t)
{
    struct cpu *dst = cpu_of(to);
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
    if (here->current->sync_wakeups && (t->rq.affinity & bit(here->id)))
        return here->id;
    if (last->current->idle)
        return t->cpu;
    for (unsigned i = 0; i < ncpus; i++) {
        struct cpu *c = cpu_of(i);
        if (c->online && (t->rq.affinity & bit(i)) && c->current->idle &&
            !__atomic_load_n(&c->rq.nr, __ATOMIC_RELAXED))
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
        send_to(to, t);
        return;
    }
    runq_push(&c->rq, &t->rq);
    if (c->current->idle)
        c->hazard |= HAZARD_RESCHED;
}

static void drain_inbox(struct cpu *c)
{
    struct list arrived;
    list_init(&arrived);
    spin_lock_irq(&c->inbox_lock);
    list_splice_back(&arrived, &c->inbox);
    spin_unlock_irq(&c->inbox_lock);
    struct list *l;
    while ((l = list_pop_front(&arrived)))
        runq_push(&c->rq, container_of(l, struct runq_entry, link));
}

static void serve_steal_requests(struct cpu *c)
{
    uint64_t askers = __atomic_exchange_n(&c->steal_from_me, 0, __ATOMIC_ACQ_REL);
    while (askers) {
        unsigned to = __builtin_ctzll(askers);
        askers &= askers - 1;
        struct runq_entry *e = runq_steal(&c->rq, to);
        if (e) {
            struct thread *t = container_of(e, struct thread, rq);
            t->migrations++;
            send_to(to, t);
        }
    }
}

/* Ask the most loaded CPU for one thread, if it has at least `excess` more
 * waiting than we do.  An idle CPU asks for any (excess 1); a busy one
 * evens out the queues (excess 2), since each CPU serves its own queue
 * round robin: a thread's share of time is one over its queue's length,
 * and workers of equal work would otherwise end far apart. */
static void ask_for_work(struct cpu *c, unsigned excess)
{
    unsigned best = c->id, most = __atomic_load_n(&c->rq.nr, __ATOMIC_RELAXED) + excess - 1;
    for (unsigned i = 0; i < ncpus; i++) {
        unsigned nr = __atomic_load_n(&cpu_of(i)->rq.nr, __ATOMIC_RELAXED);
        if (i != c->id && cpu_of(i)->online && nr > most) {
            most = nr;
            best = i;
        }
    }
    if (best == c->id)
        return;
    __atomic_or_fetch(&cpu_of(best)->steal_from_me, bit(c->id), __ATOMIC_RELEASE);
    ipi_resched(best);
}

static int first_online(cpumask_t mask)
{
    mask &= cpus_online();
    return mask ? __builtin_ctzll(mask) : -1;
}

/* ---- switching ------------------------------------------------------------ */

static void finish_switch(struct thread *prev)
{
    struct spinlock *handoff = prev->handoff;
    prev->handoff = 0;
    if (handoff)
        spin_unlock_irq(handoff);
    if (prev->state == T_ZOMBIE) {
        thread_finish_exit(prev);
    } else if (prev->migrate_to >= 0) {
        unsigned to = prev->migrate_to;
        prev->migrate_to = -1;
        prev->migrations++;
        send_to(to, prev);
    }
}

/* Put the outgoing thread back where it belongs, if it is still runnable. */
static void requeue(struct cpu *c, struct thread *prev)
{
    if (prev->state != T_RUNNING || prev->idle)
        return;
    prev->state = T_RUNNABLE;
    if (prev->rq.affinity & bit(c->id)) {
        runq_push(&c->rq, &prev->rq);
        return;
    }
    int to = first_online(prev->rq.affinity);
    if (to < 0)
        panic("thread %s: affinity %lx names no online CPU", prev->name, prev->rq.affinity);
    prev->migrate_to = to;
}

static struct thread *pick_next(struct cpu *c)
{
    struct runq_entry *e = runq_pop(&c->rq);
    return e ? container_of(e, struct thread, rq) : c->idle;
}

void schedule(struct spinlock *handoff)
{
    pushcli();
    struct cpu *c = this_cpu();
    struct thread *prev = c->current;
    if (c->ncli != 1 + (handoff != 0))
        panic("schedule: thread %s switches holding a spinlock (ncli %d)", prev->name, c->ncli);
    if (prev->stack && *(uint64_t *)prev->stack != STACK_CANARY)
        panic("thread %s overflowed its stack", prev->name);
    __atomic_and_fetch(&c->hazard, ~HAZARD_RESCHED, __ATOMIC_RELAXED);
    drain_inbox(c);
    serve_steal_requests(c);
    requeue(c, prev);
    struct thread *next = pick_next(c);
    if (next == prev) {
        prev->state = T_RUNNING;
        if (handoff)
            spin_unlock_irq(handoff);
        popcli();
        return;
    }
    prev->handoff = handoff;
    if (c->tick_stopped && !next->idle) {
        c->tick_stopped = false;             /* a thread to run: time slices again */
        c->idle_streak = 0;
        lapic_timer_start();
    }
    next->state = T_RUNNING;
    next->cpu = c->id;
    next->slice = SLICE_TICKS;
    next->ran_on |= bit(c->id);
    next->switches++;
    c->current = next;
    c->switches++;
    c->tss.rsp[0] = next->stack ? (uint64_t)next->stack + THREAD_STACK_PAGES * 4096 : 0;
    uint64_t root = next->cr3 ? next->cr3 : vm_kernel_root();
    if (read_cr3() != root)
        write_cr3(root);                     /* the upper half is shared: we keep running */
    int intena = c->intena;                  /* belongs to the thread, not the CPU */
    if (prev->vcpu)
        vcpu_switch_out(prev->vcpu);         /* a guest's segment registers are its own */
    prev = swtch(prev, next);
    c = this_cpu();                          /* we may have resumed elsewhere */
    c->intena = intena;
    if (c->current->vcpu)
        vcpu_switch_in(c->current->vcpu);
    finish_switch(prev);
    popcli();
}

void sched_preempt(void)
{
    schedule(0);
}

/* A new thread's first instructions, reached from thread_trampoline. */
void thread_start(struct thread *prev);
void thread_start(struct thread *prev)
{
    this_cpu()->intena = 1;
    finish_switch(prev);
    popcli();
    struct thread *t = current_thread();
    t->fn(t->arg);
    thread_exit(0);
}

void thread_stack_init(struct thread *t, void (*trampoline)(void));
void thread_stack_init(struct thread *t, void (*trampoline)(void))
{
    uint64_t *top = (uint64_t *)(t->stack + THREAD_STACK_PAGES * 4096);
    *(uint64_t *)t->stack = STACK_CANARY;
    *--top = (uint64_t)trampoline;          /* swtch's ret lands here, rsp 16-aligned */
    for (int i = 0; i < 6; i++)
        *--top = 0;                         /* rbp rbx r12-r15 */
    t->rsp = (uint64_t)top;
}

/* Queue a new or migrating runnable thread on a CPU it may run on. */
void sched_place(struct thread *t);
void sched_place(struct thread *t)
{
    pushcli();
    struct cpu *c = this_cpu();
    if (t->rq.affinity & bit(c->id)) {
        t->cpu = c->id;
        runq_push(&c->rq, &t->rq);
    } else {
        send_to(first_online(t->rq.affinity), t);
    }
    popcli();
}

/* ---- timer, sleeping, idle ------------------------------------------------ */

/* Sleep up to ns on this CPU's timed sleepers, unless flag is given and
 * already set: it is checked under the timer lock a waker also takes, so a
 * wakeup that sets it before the sleep begins is never lost. */
static void timed_sleep(uint64_t ns, volatile int *flag)
{
    pushcli();
    struct cpu *c = this_cpu();
    spin_lock_irq(&c->timer_lock);
    popcli();
    if (flag && __atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
        spin_unlock_irq(&c->timer_lock);
        return;
    }
    struct thread *t = c->current;
    t->wake_at = time_ns() + ns;
    struct list *pos = c->sleepers.next;
    while (pos != &c->sleepers && container_of(pos, struct thread, timer_link)->wake_at <= t->wake_at)
        pos = pos->next;
    list_insert_between(&t->timer_link, pos->prev, pos);
    t->state = T_SLEEPING;
    schedule(&c->timer_lock);
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
    struct cpu *c = cpu_of(cpu);
    spin_lock_irq(&c->timer_lock);
    for (struct list *pos = c->sleepers.next; pos != &c->sleepers; pos = pos->next)
        if (pos == &t->timer_link) {
            list_remove(&t->timer_link);
            sched_wake(t);
            break;
        }
    spin_unlock_irq(&c->timer_lock);
}

static void expire_sleepers(struct cpu *c)
{
    uint64_t now = time_ns();
    spin_lock_irq(&c->timer_lock);
    while (!list_empty(&c->sleepers)) {
        struct thread *t = container_of(c->sleepers.next, struct thread, timer_link);
        if (t->wake_at > now)
            break;
        list_remove(&t->timer_link);
        sched_wake(t);
        c->hazard |= HAZARD_RESCHED;
    }
    spin_unlock_irq(&c->timer_lock);
}

/* Tickless idle.  A CPU that has idled for IDLE_TICKS_BEFORE_STOP ticks
 * with nothing queued and no timed sleeper stops its timer until it runs a
 * thread again (schedule()): work reaches it by IPI (a wakeup prefers an
 * idle CPU; a busy CPU hands it a queued thread at its own tick).  Under
 * QEMU a ticking idle CPU is not free: its 100 wakeups a second cost a busy
 * CPU of the same machine about 2.5% (classic unpeeled, -smp 2). */
#define IDLE_TICKS_BEFORE_STOP 2

static void stop_tick_if_quiet(struct cpu *c)
{
    if (c->rq.nr || !list_empty(&c->sleepers) || ++c->idle_streak < IDLE_TICKS_BEFORE_STOP)
        return;
    c->tick_stopped = true;
    lapic_timer_stop();
}

/* A busy CPU with threads waiting gives one to a CPU whose tick is stopped
 * (it will not come asking). */
static void feed_stopped(struct cpu *c)
{
    for (unsigned i = 0; c->rq.nr && i < ncpus; i++) {
        struct cpu *o = cpu_of(i);
        if (i != c->id && o->online && o->tick_stopped && !__atomic_load_n(&o->rq.nr, __ATOMIC_RELAXED)) {
            __atomic_or_fetch(&c->steal_from_me, bit(i), __ATOMIC_RELEASE);
            c->hazard |= HAZARD_RESCHED;     /* served in schedule(), on the way out */
        }
    }
}

void sched_tick(void)
{
    struct cpu *c = this_cpu();
    c->ticks++;
    c->heartbeat++;
    expire_sleepers(c);
    struct thread *cur = c->current;
    if (cur->idle) {
        c->idle_ticks++;
        if (c->rq.nr)
            c->hazard |= HAZARD_RESCHED;
        else {
            ask_for_work(c, 1);
            stop_tick_if_quiet(c);
        }
    } else {
        c->idle_streak = 0;
        ask_for_work(c, 2);
        feed_stopped(c);
        if (--cur->slice <= 0) {
            cur->slice = SLICE_TICKS;
            if (c->rq.nr)
                c->hazard |= HAZARD_RESCHED;
        }
    }
}

void sched_resched_ipi(void)
{
    this_cpu()->hazard |= HAZARD_RESCHED;
}

void thread_sync_wakeups(bool on)
{
    current_thread()->sync_wakeups = on;
}

void thread_yield(void)
{
    schedule(0);
}

void sched_idle(void)
{
    for (;;) {
        schedule(0);
        cli();
        struct cpu *c = this_cpu();
        if (c->rq.nr == 0 && !(c->hazard & HAZARD_RESCHED)) {
            ask_for_work(c, 1);                /* now, not at the next tick */
            sti_hlt();                      /* the wakeup interrupt cannot slip in between */
        }
        else
            sti();
    }
}

void sched_init_cpu(void)
{
    struct thread *t = kzalloc(sizeof *t);
    if (!t)
        panic("sched: no memory for the idle thread of cpu %u", this_cpu()->id);
    char name[THREAD_NAME];
    snprintf(name, sizeof name, "idle/%u", this_cpu()->id);
    thread_adopt_boot(t, name);
}
