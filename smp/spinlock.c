#include "smp/spinlock.h"
#include "smp/percpu.h"
#include "kernel/x86.h"
#include "kernel/panic.h"
#include "sched/sched.h"

void spin_init(struct spinlock *l, const char *name)
{
    l->next = l->serving = 0;
    l->name = name;
    l->owner = -1;
    l->caller = 0;
    l->contended = 0;
}

bool spin_held(const struct spinlock *l)
{
    return l->owner == (int)this_cpu()->id && l->next != l->serving;
}

/* The ticket lock is FIFO: a CPU can starve nobody, which the stress suite
 * relies on for bounded lock-torture rounds. */
static void take(struct spinlock *l, void *caller)
{
    if (spin_held(l))
        panic("spinlock %s: recursive acquire at %p, held since %p", l->name, caller, l->caller);
    uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket) {
        l->contended++;
        while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
            cpu_relax();
    }
    l->owner = this_cpu()->id;
    l->caller = caller;
}

static void give(struct spinlock *l, void *caller)
{
    if (l->owner != (int)this_cpu()->id || l->next == l->serving)
        panic("spinlock %s: released at %p by cpu %u, owner cpu %d (taken at %p)",
              l->name, caller, this_cpu()->id, l->owner, l->caller);
    l->owner = -1;
    __atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

void spin_lock(struct spinlock *l)
{
    preempt_disable();
    take(l, __builtin_return_address(0));
}

void spin_unlock(struct spinlock *l)
{
    give(l, __builtin_return_address(0));
    preempt_enable();
}

void spin_lock_irq(struct spinlock *l)
{
    pushcli();
    take(l, __builtin_return_address(0));
}

void spin_unlock_irq(struct spinlock *l)
{
    give(l, __builtin_return_address(0));
    popcli();
}

void pushcli(void)
{
    bool was_enabled = read_flags() & FLAGS_IF;
    cli();
    struct cpu *c = this_cpu();
    if (c->ncli++ == 0)
        c->intena = was_enabled;
}

void popcli(void)
{
    if (read_flags() & FLAGS_IF)
        panic("popcli: interrupts enabled");
    struct cpu *c = this_cpu();
    if (--c->ncli < 0)
        panic("popcli: unbalanced");
    if (c->ncli == 0 && c->intena)
        sti();
}

/* Preemption is per CPU: a thread holding a plain spinlock cannot be
 * switched away, so it cannot migrate and its owner CPU stays true. */
void preempt_disable(void)
{
    /* one gs-relative instruction: no window in which we could migrate */
    __asm__ volatile("incl %%gs:%c0" :: "i"(offsetof(struct cpu, preempt)) : "memory");
}

void preempt_enable(void)
{
    __asm__ volatile("decl %%gs:%c0" :: "i"(offsetof(struct cpu, preempt)) : "memory");
    struct cpu *c = this_cpu();
    if (c->preempt < 0)
        panic("preempt_enable: unbalanced");
    /* a reschedule requested while we held the lock happens now */
    if (c->preempt == 0 && c->ncli == 0 && (c->hazard & HAZARD_RESCHED) && (read_flags() & FLAGS_IF))
        sched_preempt();
}
