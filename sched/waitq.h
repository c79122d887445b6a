/*
 * Wait queues: sleep until woken, without lost wakeups.
 *
 * The sleeper checks its condition under a lock `held` (which may be the
 * queue's own lock) and calls waitq_sleep: the queue's lock is taken before
 * `held` is dropped, and is released only after the sleeper has switched
 * away (the scheduler's hand-off).  A waker takes the queue's lock too, so
 * it can neither slip between the check and the sleep nor wake a thread
 * that is still on its CPU.
 */
#pragma once
#include <stdbool.h>
#include "kernel/list.h"
#include "smp/spinlock.h"

struct waitq {
    struct spinlock lock;
    struct list waiters;
};

#define WAITQ_INIT(wq, n) { SPINLOCK_INIT(n), LIST_INIT((wq).waiters) }

struct thread;

void waitq_init(struct waitq *wq, const char *name);
/* held: an interrupt-safe lock the caller holds (or NULL); held again on return. */
void waitq_sleep(struct waitq *wq, struct spinlock *held);
bool waitq_wake_one(struct waitq *wq);
unsigned waitq_wake_all(struct waitq *wq);
/* waitq_sleep for a lock that is held briefly: the first time round a
 * caller's wait loop (*spun still false) spin instead, with `held` dropped
 * and interrupts on, until ready(arg) or the holder (when known) is off its
 * CPU, for WAITQ_SPIN_NS at most; sleep the times after.  Either way `held`
 * is held again on return and the caller checks its condition again.  A
 * sleep and its wakeup cost two context switches and an IPI, more than most
 * waits for such a lock last. */
#define WAITQ_SPIN_NS 30000ull
void waitq_sleep_adaptive(struct waitq *wq, struct spinlock *held, bool *spun,
                          bool (*ready)(const void *arg), const void *arg, const struct thread *holder);
/* The same, for a caller that already holds wq->lock. */
bool waitq_wake_one_locked(struct waitq *wq);
unsigned waitq_wake_all_locked(struct waitq *wq);
