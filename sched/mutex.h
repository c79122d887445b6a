/* Sleeping locks: a mutex (owned; recursion and foreign release panic) and a
 * counting semaphore. */
#pragma once
#include <stdint.h>
#include "sched/waitq.h"

struct thread;

struct mutex {
    struct waitq wq;                /* wq.lock guards owner */
    struct thread *owner;
    const char *name;
    uint64_t contended;
};

struct semaphore {
    struct waitq wq;
    long count;
};

void mutex_init(struct mutex *m, const char *name);
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held(const struct mutex *m);

void sem_init(struct semaphore *s, long count, const char *name);
void sem_down(struct semaphore *s);
bool sem_trydown(struct semaphore *s);
void sem_up(struct semaphore *s);
