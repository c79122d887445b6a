/*
 * What the scheduler's files share and nobody else uses: its per-CPU
 * state and the calls between migrate.c, schedule.c, sleep.c, tick.c,
 * idle.c and thread.c.
 */
#pragma once
#include <stdint.h>
#include "sched/sched.h"
#include "sched/runq.h"
#include "smp/percpu.h"

#define STACK_CANARY 0x5ca1ab1e0ddba11ull

/* The scheduler's half of a CPU, beside struct cpu (smp/ names no
 * scheduler type), indexed by the CPU's id: this CPU's is
 * sched_cpu(this_cpu()->id), the struct cpu it already holds. */
struct sched_cpu {
    struct runq rq;                 /* touched only by its CPU, interrupts off */
    struct spinlock timer_lock;     /* sleepers: this CPU's timed sleeps, deadline order */
    struct list sleepers;

    struct spinlock inbox_lock;     /* any CPU: threads handed to this CPU */
    struct list inbox;
    volatile uint64_t steal_from_me;/* bit n: CPU n is idle and asks for work */
    unsigned idle_streak;           /* ticks in a row that found it idle with nothing to do */
} __attribute__((aligned(CACHELINE)));

_Static_assert(sizeof(struct sched_cpu) % CACHELINE == 0, "struct sched_cpu must fill whole cache lines");

extern struct sched_cpu sched_cpus[MAX_CPUS];

static inline struct sched_cpu *sched_cpu(unsigned id) { return &sched_cpus[id]; }
static inline cpumask_t cpu_bit(unsigned cpu) { return (cpumask_t)1 << cpu; }

/* migrate.c: moving threads between CPUs */
void sched_send(unsigned to, struct thread *t);
void sched_drain_inbox(struct sched_cpu *s);
void sched_serve_steals(struct sched_cpu *s);
void sched_ask_for_work(struct cpu *c, struct sched_cpu *s, unsigned excess);
int sched_first_online(cpumask_t mask);

/* schedule.c and switch.asm: switching */
struct thread *swtch(struct thread *prev, struct thread *next);
void thread_trampoline(void);
void thread_start(struct thread *prev);        /* a new thread's first C, from thread_trampoline */
void thread_stack_init(struct thread *t, void (*trampoline)(void));
void sched_place(struct thread *t);            /* queue a new runnable thread where it may run */

/* sleep.c */
void sched_expire_sleepers(struct cpu *c, struct sched_cpu *s);

/* thread.c */
void thread_finish_exit(struct thread *t);     /* once an exited thread is off its stack */
