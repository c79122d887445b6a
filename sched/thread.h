/* Kernel threads: each has its own stack and runs on one CPU at a time. */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/list.h"
#include "sched/runq.h"
#include "sched/waitq.h"

enum thread_state { T_RUNNABLE, T_RUNNING, T_SLEEPING, T_ZOMBIE, T_DEAD };

#define THREAD_STACK_PAGES 4
#define THREAD_NAME 24

struct spinlock;
struct thread;

/* A client's hooks on one thread (the hypervisor's vCPU threads), as
 * Linux's preempt notifiers: the scheduler and the trap path call them and
 * name no client.  All three are called on the thread's CPU with
 * interrupts off; data is the thread's ext. */
struct thread_hooks {
    void (*switch_out)(void *data);     /* about to leave its CPU */
    void (*switch_in)(void *data);      /* back on a CPU (maybe another), before it runs on */
    bool (*preemptible)(void *data);    /* a tick would preempt it: false spares it this tick */
};

struct thread {
    uint64_t rsp;                   /* saved by swtch; offset shared with NASM */
    struct runq_entry rq;           /* in a run queue or an inbox */
    uint64_t tid;
    char name[THREAD_NAME];
    volatile enum thread_state state;
    unsigned cpu;                   /* where it runs or last ran */
    int migrate_to;                 /* -1, or a CPU to hand it to after switching away */
    uint8_t *stack;                 /* THREAD_STACK_PAGES, NULL for a CPU's boot thread */
    struct spinlock *handoff;       /* released by whoever runs after us (sleep) */
    int slice;                      /* ticks left before preemption */
    bool detached;                  /* freed on exit instead of joined */
    bool sync_wakeups;              /* about to block: whom it wakes runs here, after it */
    bool idle;
    int exit_code;
    void (*fn)(void *);
    void *arg;
    uint64_t cr3;                   /* address space; 0 = the kernel's */
    const struct thread_hooks *hooks;   /* NULL for a plain kernel thread */
    void *ext;                      /* the hooks' per-thread data (a vCPU) */

    struct list wait_link;          /* in a waitq while sleeping */
    struct list timer_link;         /* in a CPU's sleepers while in thread_sleep */
    uint64_t wake_at;               /* ns */
    struct waitq joiners;
    struct list all_link;           /* in the global thread list */

    uint64_t switches, migrations;
    cpumask_t ran_on;               /* every CPU it has run on */
};

/* Is t running on a CPU now (so that waiting for it by spinning makes sense)? */
static inline bool thread_on_cpu(const struct thread *t) { return t->state == T_RUNNING; }

/* Create a runnable thread on the calling CPU (idle CPUs will steal it). */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
struct thread *thread_create_on(const char *name, void (*fn)(void *), void *arg, cpumask_t affinity);
void thread_detach(struct thread *t);
int thread_join(struct thread *t);            /* waits for exit, frees, returns the code */
void thread_exit(int code) __attribute__((noreturn));
void thread_yield(void);
void thread_sleep_ns(uint64_t ns);
/* The caller is about to block (or is a short errand that will): threads
 * it wakes meanwhile should run on this CPU once it is gone, not cost an
 * IPI and another CPU's wakeup.  On until turned off. */
void thread_sync_wakeups(bool on);
/* Sleep up to ns unless *flag is (or becomes) set by thread_wake_napper. */
void thread_nap_ns(uint64_t ns, volatile int *flag);
void thread_wake_napper(struct thread *t, volatile int *flag);
void thread_set_affinity(cpumask_t mask);
/* Give the calling thread hooks and their data (NULL, NULL: none again). */
void thread_set_hooks(const struct thread_hooks *hooks, void *ext);     /* of the calling thread; moves it if needed */
void thread_adopt_boot(struct thread *t, const char *name);   /* a CPU's boot context becomes its idle thread */
void thread_free(struct thread *t);
uint64_t thread_count(void);

typedef void (*thread_visit_t)(struct thread *t, void *arg);
void thread_for_each(thread_visit_t fn, void *arg);   /* under the thread-list lock */
const char *thread_state_name(enum thread_state s);
