/* The scheduler: per-CPU run queues, preemption, idle and work stealing. */
#pragma once
#include <stdint.h>
#include "sched/thread.h"

#define HZ 100                      /* LAPIC timer ticks per second */
#define SLICE_TICKS 2               /* 20 ms time slice */

struct spinlock;

void sched_init_cpu(void);          /* the running context becomes this CPU's idle thread */
void sched_idle(void) __attribute__((noreturn));
/* Switch to the next runnable thread.  handoff: an interrupt-safe lock the
 * caller holds, released once the caller is off its stack (see waitq.h). */
void schedule(struct spinlock *handoff);
void sched_preempt(void);           /* a reschedule asked for by an interrupt or a lock */
void sched_tick(void);              /* from the timer, interrupts off */
void sched_wake(struct thread *t);  /* SLEEPING -> RUNNABLE on its CPU; interrupts off */
void sched_resched_ipi(void);
uint64_t time_ns(void);
/* Under TCG a clock read takes a lock QEMU shares between all CPUs: a
 * spinner that read it every turn would slow the holder it waits for, so
 * spin loops look at the clock every SPIN_CLOCK_EVERY turns. */
#define SPIN_CLOCK_EVERY 32
void time_init(uint64_t tsc_hz);
uint64_t time_tsc_hz(void);
