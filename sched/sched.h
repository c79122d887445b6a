/*
 * The scheduler: per-CPU run queues, preemption, idle and work stealing.
 * Its files: migrate.c (moving threads between CPUs), schedule.c
 * (switching), sleep.c (timed sleeps), tick.c (the tick, tickless idle),
 * idle.c (a CPU joins: idle thread, idle loop), capacity.c (how many CPUs
 * the machine beneath runs at once); their shared state is in sched/priv.h.
 */
#pragma once
#include <stdint.h>
#include "sched/thread.h"
#include "kernel/clock.h"

#define SLICE_TICKS 2               /* 20 ms time slice */

struct spinlock;

void sched_init_cpu(void);          /* the running context becomes this CPU's idle thread */
void sched_start_ap(void) __attribute__((noreturn));   /* smp_boot's ap_start: join, then idle */
void sched_idle(void) __attribute__((noreturn));
/* Switch to the next runnable thread.  handoff: an interrupt-safe lock the
 * caller holds, released once the caller is off its stack (see waitq.h). */
void schedule(struct spinlock *handoff);
void sched_preempt(void);           /* a reschedule asked for by an interrupt or a lock */
void sched_tick(void);              /* from the timer, interrupts off */
void sched_wake(struct thread *t);  /* SLEEPING -> RUNNABLE on its CPU; interrupts off */
unsigned sched_queued(unsigned cpu);/* threads waiting in that CPU's run queue (racy: a hint) */
