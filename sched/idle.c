/*
 * A CPU joins the scheduler: its boot context becomes its idle thread, it
 * registers the tick and the preemption call with smp/ (which names no
 * scheduler), and idles until there is work.
 */
#include "sched/priv.h"
#include "smp/lapic.h"
#include "smp/smp.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "kernel/heap.h"
#include "kernel/printf.h"

struct sched_cpu sched_cpus[MAX_CPUS];

void thread_sync_wakeups(bool on)
{
    current_thread()->sync_wakeups = on;
}

void sched_idle(void)
{
    for (;;) {
        schedule(0);
        cli();
        struct cpu *c = this_cpu();
        struct sched_cpu *s = sched_cpu(c->id);
        if (s->rq.nr == 0 && !(c->hazard & HAZARD_RESCHED)) {
            sched_ask_for_work(c, s, 1);             /* now, not at the next tick */
            sti_hlt();                      /* the wakeup interrupt cannot slip in between */
        }
        else
            sti();
    }
}

void sched_init_cpu(void)
{
    unsigned id = this_cpu()->id;
    struct sched_cpu *s = sched_cpu(id);
    runq_init(&s->rq);
    list_init(&s->sleepers);
    list_init(&s->inbox);
    spin_init(&s->inbox_lock, "inbox");
    spin_init(&s->timer_lock, "timers");
    if (id == 0) {
        lapic_on_tick(sched_tick);
        preempt_on_resched(sched_preempt);
    }
    struct thread *t = kzalloc(sizeof *t);
    if (!t)
        panic("sched: no memory for the idle thread of cpu %u", id);
    char name[THREAD_NAME];
    snprintf(name, sizeof name, "idle/%u", id);
    thread_adopt_boot(t, name);
}

/* An AP's last step of bring-up (smp_boot's ap_start): online, then idle. */
void sched_start_ap(void)
{
    sched_init_cpu();
    smp_cpu_online();
    sched_idle();
}
