/*
 * Spinlocks (test-and-test-and-set: see spinlock.c for why not tickets) that help you debug: each records its name, the owner CPU
 * and the caller that took it; acquiring one you already hold, or releasing
 * one held by another CPU, panics with both call sites.
 *
 *   spin_lock/spin_unlock          disable preemption, not interrupts
 *   spin_lock_irq/spin_unlock_irq  also disable interrupts (nesting, pushcli)
 *
 * Code that runs in interrupt handlers takes only the _irq kind.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>

struct spinlock {
    volatile uint32_t held;      /* 1 while held */
    const char *name;
    int owner;                   /* CPU id, -1 when free */
    void *caller;                /* return address of the acquirer */
    uint64_t contended;          /* acquisitions that had to wait */
};

#define SPINLOCK_INIT(n) { 0, (n), -1, 0, 0 }

void spin_init(struct spinlock *l, const char *name);
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
void spin_lock_irq(struct spinlock *l);
void spin_unlock_irq(struct spinlock *l);
bool spin_held(const struct spinlock *l);   /* by this CPU */

/* Interrupt disabling that nests (xv6 pushcli/popcli). */
void pushcli(void);
void popcli(void);
/* Long work inside a trap (hashing, scanning, a native): interrupts back
 * on for it where nothing forbids them — no spinlock held, no pushcli —
 * so the host's timer and IPIs get in.  Returns whether it turned them on,
 * for irq_window_close. */
bool irq_window_open(void);
void irq_window_close(bool opened);
void preempt_disable(void);
void preempt_enable(void);
/* A reschedule asked for (HAZARD_RESCHED) while preemption was off happens
 * in preempt_enable, and on the way out of an interrupt (kernel/trap.c),
 * through the scheduler's call, registered once: smp/ names no scheduler. */
void preempt_on_resched(void (*fn)(void));
void preempt_resched(void);
