#include "sched/waitq.h"
#include "sched/sched.h"
#include "smp/percpu.h"
#include "kernel/panic.h"
#include "kernel/x86.h"

void waitq_init(struct waitq *wq, const char *name)
{
    spin_init(&wq->lock, name);
    list_init(&wq->waiters);
}

void waitq_sleep(struct waitq *wq, struct spinlock *held)
{
    bool own_lock = held != &wq->lock;
    if (own_lock)
        spin_lock_irq(&wq->lock);       /* before dropping held: no wakeup slips by */
    if (own_lock && held)
        spin_unlock_irq(held);
    struct thread *t = current_thread();
    t->state = T_SLEEPING;
    list_push_back(&wq->waiters, &t->wait_link);
    schedule(&wq->lock);                /* wq->lock is released once we are off-CPU */
    if (held)
        spin_lock_irq(held);
}

void waitq_sleep_adaptive(struct waitq *wq, struct spinlock *held, bool *spun,
                          bool (*ready)(const void *arg), const void *arg, const struct thread *holder)
{
    if (*spun) {
        waitq_sleep(wq, held);
        return;
    }
    *spun = true;
    spin_unlock_irq(held);
    uint64_t until = time_ns() + WAITQ_SPIN_NS;
    for (unsigned spins = 1; !ready(arg) && (!holder || thread_on_cpu(holder)); spins++) {
        spin_turn(spins);
        if (spins % SPIN_CLOCK_EVERY == 0 && time_ns() >= until)
            break;
    }
    spin_lock_irq(held);
}

bool waitq_wake_one_locked(struct waitq *wq)
{
    struct list *l = list_pop_front(&wq->waiters);
    if (!l)
        return false;
    sched_wake(container_of(l, struct thread, wait_link));
    return true;
}

unsigned waitq_wake_all_locked(struct waitq *wq)
{
    unsigned n = 0;
    while (waitq_wake_one_locked(wq))
        n++;
    return n;
}

bool waitq_wake_one(struct waitq *wq)
{
    spin_lock_irq(&wq->lock);
    bool woke = waitq_wake_one_locked(wq);
    spin_unlock_irq(&wq->lock);
    return woke;
}

unsigned waitq_wake_all(struct waitq *wq)
{
    spin_lock_irq(&wq->lock);
    unsigned n = waitq_wake_all_locked(wq);
    spin_unlock_irq(&wq->lock);
    return n;
}
