#include "sched/runq.h"
#include <stddef.h>

void runq_init(struct runq *rq)
{
    list_init(&rq->ready);
    rq->nr = 0;
}

void runq_push(struct runq *rq, struct runq_entry *e)
{
    list_push_back(&rq->ready, &e->link);
    __atomic_store_n(&rq->nr, rq->nr + 1, __ATOMIC_RELAXED);
}

struct runq_entry *runq_pop(struct runq *rq)
{
    struct list *l = list_pop_front(&rq->ready);
    if (!l)
        return NULL;
    __atomic_store_n(&rq->nr, rq->nr - 1, __ATOMIC_RELAXED);
    return container_of(l, struct runq_entry, link);
}

struct runq_entry *runq_steal(struct runq *rq, unsigned cpu)
{
    for (struct list *l = rq->ready.prev; l != &rq->ready; l = l->prev) {
        struct runq_entry *e = container_of(l, struct runq_entry, link);
        if (e->affinity & ((cpumask_t)1 << cpu)) {
            runq_remove(rq, e);
            return e;
        }
    }
    return NULL;
}

bool runq_remove(struct runq *rq, struct runq_entry *e)
{
    for (struct list *l = rq->ready.next; l != &rq->ready; l = l->next) {
        if (l == &e->link) {
            list_remove(l);
            __atomic_store_n(&rq->nr, rq->nr - 1, __ATOMIC_RELAXED);
            return true;
        }
    }
    return false;
}
