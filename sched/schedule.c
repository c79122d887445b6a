/*
 * Switching.  A thread that leaves the CPU may need something done once it
 * is off its stack — a lock released (sleep), a hand-over to another CPU
 * (affinity), freeing (exit).  finish_switch() does that, in the next
 * thread's context.  A thread with hooks (sched/thread.h: a vCPU) hears
 * of its own switches.
 */
#include "sched/priv.h"
#include "smp/lapic.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "kernel/vm.h"

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
        sched_send(to, prev);
    }
}

/* Put the outgoing thread back where it belongs, if it is still runnable. */
static void requeue(struct cpu *c, struct sched_cpu *s, struct thread *prev)
{
    if (prev->state != T_RUNNING || prev->idle)
        return;
    prev->state = T_RUNNABLE;
    if (prev->rq.affinity & cpu_bit(c->id)) {
        runq_push(&s->rq, &prev->rq);
        return;
    }
    int to = sched_first_online(prev->rq.affinity);
    if (to < 0)
        panic("thread %s: affinity %lx names no online CPU", prev->name, prev->rq.affinity);
    prev->migrate_to = to;
}

static struct thread *pick_next(struct cpu *c, struct sched_cpu *s)
{
    struct runq_entry *e = runq_pop(&s->rq);
    return e ? container_of(e, struct thread, rq) : c->idle;
}

void schedule(struct spinlock *handoff)
{
    pushcli();
    struct cpu *c = this_cpu();
    struct sched_cpu *s = sched_cpu(c->id);
    struct thread *prev = c->current;
    if (c->ncli != 1 + (handoff != 0))
        panic("schedule: thread %s switches holding a spinlock (ncli %d)", prev->name, c->ncli);
    if (prev->stack && *(uint64_t *)prev->stack != STACK_CANARY)
        panic("thread %s overflowed its stack", prev->name);
    __atomic_and_fetch(&c->hazard, ~HAZARD_RESCHED, __ATOMIC_RELAXED);
    sched_drain_inbox(s);
    sched_serve_steals(s);
    requeue(c, s, prev);
    struct thread *next = pick_next(c, s);
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
        s->idle_streak = 0;
        lapic_timer_start();
    }
    next->state = T_RUNNING;
    next->cpu = c->id;
    next->slice = SLICE_TICKS;
    next->ran_on |= cpu_bit(c->id);
    next->switches++;
    c->current = next;
    c->switches++;
    c->tss.rsp[0] = next->stack ? (uint64_t)next->stack + THREAD_STACK_PAGES * 4096 : 0;
    uint64_t root = next->cr3 ? next->cr3 : vm_kernel_root();
    if (read_cr3() != root)
        write_cr3(root);                     /* the upper half is shared: we keep running */
    int intena = c->intena;                  /* belongs to the thread, not the CPU */
    if (prev->hooks)
        prev->hooks->switch_out(prev->ext);  /* e.g. a guest's segment registers are its own */
    prev = swtch(prev, next);
    c = this_cpu();                          /* we may have resumed elsewhere */
    c->intena = intena;
    if (c->current->hooks)
        c->current->hooks->switch_in(c->current->ext);
    finish_switch(prev);
    popcli();
}

void sched_preempt(void)
{
    schedule(0);
}

void thread_yield(void)
{
    schedule(0);
}

void thread_start(struct thread *prev)
{
    this_cpu()->intena = 1;
    finish_switch(prev);
    popcli();
    struct thread *t = current_thread();
    t->fn(t->arg);
    thread_exit(0);
}

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
void sched_place(struct thread *t)
{
    pushcli();
    struct cpu *c = this_cpu();
    if (t->rq.affinity & cpu_bit(c->id)) {
        t->cpu = c->id;
        runq_push(&sched_cpu(c->id)->rq, &t->rq);
    } else {
        sched_send(sched_first_online(t->rq.affinity), t);
    }
    popcli();
}
