#include "smp/spinlock.h"
#include "smp/percpu.h"
#include "kernel/x86.h"
#include "kernel/panic.h"

void spin_init(struct spinlock *l, const char *name)
{
    l->held = 0;
    l->name = name;
    l->owner = -1;
    l->caller = 0;
    l->contended = 0;
}

bool spin_held(const struct spinlock *l)
{
    return l->owner == (int)this_cpu()->id && l->held;
}

/* Test-and-test-and-set, not tickets.  A ticket lock hands the lock to the
 * next waiter in line even when that vCPU is not running — and under QEMU
 * TCG a vCPU is a host thread that the host may deschedule at any moment
 * (more vCPUs than cores, or a busy machine).  Then every other waiter
 * spins, interrupts off, until the host runs it again: hosted classic with
 * every peel took 15-40 s at -smp 2 instead of 1.4 s (hprof: the time went
 * to spinning on the native buffer cache's locks).  Here whoever runs when
 * the lock comes free takes it; waiters spin on a read, not a locked
 * write. */
static void take(struct spinlock *l, void *caller)
{
    if (spin_held(l))
        panic("spinlock %s: recursive acquire at %p, held since %p", l->name, caller, l->caller);
    if (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE)) {
        l->contended++;
        do {
            for (unsigned turn = 1; __atomic_load_n(&l->held, __ATOMIC_RELAXED); turn++)
                spin_turn(turn);
        } while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE));
    }
    l->owner = this_cpu()->id;
    l->caller = caller;
}

static void give(struct spinlock *l, void *caller)
{
    if (l->owner != (int)this_cpu()->id || !l->held)
        panic("spinlock %s: released at %p by cpu %u, owner cpu %d (taken at %p)",
              l->name, caller, this_cpu()->id, l->owner, l->caller);
    l->owner = -1;
    __atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
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
    bool was_enabled = read_flags() & EFLAGS_IF;
    cli();
    struct cpu *c = this_cpu();
    if (c->ncli++ == 0)
        c->intena = was_enabled;
}

void popcli(void)
{
    if (read_flags() & EFLAGS_IF)
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
    if (c->preempt == 0 && c->ncli == 0 && (c->hazard & HAZARD_RESCHED) && (read_flags() & EFLAGS_IF))
        preempt_resched();
}

static void (*resched_fn)(void);

void preempt_on_resched(void (*fn)(void))
{
    resched_fn = fn;
}

void preempt_resched(void)
{
    if (resched_fn)
        resched_fn();
}

bool irq_window_open(void)
{
    bool open = !(read_flags() & EFLAGS_IF) && this_cpu()->ncli == 0;
    if (open)
        sti();
    return open;
}

void irq_window_close(bool opened)
{
    if (opened)
        cli();
}
