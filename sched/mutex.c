#include "sched/mutex.h"
#include "sched/thread.h"
#include "smp/percpu.h"
#include "kernel/panic.h"

void mutex_init(struct mutex *m, const char *name)
{
    waitq_init(&m->wq, name);
    m->owner = 0;
    m->name = name;
    m->contended = 0;
}

void mutex_lock(struct mutex *m)
{
    struct thread *self = current_thread();
    spin_lock_irq(&m->wq.lock);
    if (m->owner == self)
        panic("mutex %s: recursive lock by %s", m->name, self->name);
    if (m->owner)
        m->contended++;
    while (m->owner)
        waitq_sleep(&m->wq, &m->wq.lock);
    m->owner = self;
    spin_unlock_irq(&m->wq.lock);
}

void mutex_unlock(struct mutex *m)
{
    struct thread *self = current_thread();
    spin_lock_irq(&m->wq.lock);
    if (m->owner != self)
        panic("mutex %s: unlocked by %s, owner %s", m->name, self->name,
              m->owner ? m->owner->name : "nobody");
    m->owner = 0;
    waitq_wake_one_locked(&m->wq);
    spin_unlock_irq(&m->wq.lock);
}

bool mutex_held(const struct mutex *m) { return m->owner == current_thread(); }

void sem_init(struct semaphore *s, long count, const char *name)
{
    waitq_init(&s->wq, name);
    s->count = count;
}

void sem_down(struct semaphore *s)
{
    spin_lock_irq(&s->wq.lock);
    while (s->count <= 0)
        waitq_sleep(&s->wq, &s->wq.lock);
    s->count--;
    spin_unlock_irq(&s->wq.lock);
}

bool sem_trydown(struct semaphore *s)
{
    spin_lock_irq(&s->wq.lock);
    bool ok = s->count > 0;
    if (ok)
        s->count--;
    spin_unlock_irq(&s->wq.lock);
    return ok;
}

void sem_up(struct semaphore *s)
{
    spin_lock_irq(&s->wq.lock);
    s->count++;
    waitq_wake_one_locked(&s->wq);
    spin_unlock_irq(&s->wq.lock);
}
