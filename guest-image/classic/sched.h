/* sched: kernel threads on one CPU, round robin, preempted by the timer.
 * Mutual exclusion is the legacy kind: interrupts off.  sched_sleep must be
 * called with interrupts off, after the caller checked its condition, so a
 * wakeup from an interrupt handler cannot be lost in between. */
#ifndef CLASSIC_SCHED_H
#define CLASSIC_SCHED_H
#include "types.h"

#define SCHED_NTHREADS    40
#define SCHED_STACK_PAGES 2
#define SCHED_QUANTUM     1     /* timer ticks per time slice: a tick preempts */

enum thread_state { T_FREE, T_RUNNABLE, T_RUNNING, T_SLEEPING, T_ZOMBIE };

struct thread {
    uint32_t *sp;           /* saved stack pointer while switched out */
    enum thread_state state;
    void *chan;             /* what a sleeping thread waits for */
    uint32_t id;
    char name[16];
    void *stack;            /* lowest address of the stack pages */
    uint32_t switches;      /* times this thread was switched in */
};

/* A sleeping mutual-exclusion lock (Unix's B_BUSY/ILOCK pattern). */
struct sched_mutex {
    volatile int locked;
    struct thread *owner;
    const char *name;
};

void sched_init(void);
struct thread *sched_spawn(const char *name, void (*fn)(void *), void *arg);
NORETURN void sched_exit(void);
void sched_join(struct thread *t);
void sched_yield(void);
void sched_preempt(void);
void sched_sleep(void *chan);
void sched_wakeup(void *chan);
void sched_tick(void);
NORETURN void sched_idle(void);
void sched_mutex_lock(struct sched_mutex *m);
void sched_mutex_unlock(struct sched_mutex *m);

/* intr/swtch.asm */
void sched_swtch(uint32_t **save_sp, uint32_t *load_sp);
void sched_trampoline(void);

extern struct thread sched_threads[SCHED_NTHREADS];
extern struct thread *sched_current;
extern struct thread *sched_idle_thread;
extern volatile int sched_need_resched;
extern uint32_t sched_quantum_left;
extern uint32_t sched_context_switches;
extern uint32_t sched_preemptions;

#endif
