/*
 * A per-CPU run queue: round-robin FIFO of runnable entries.  Pure logic
 * (no locking: only its own CPU touches it, with interrupts off), so the
 * host-side unit tests drive it directly.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/list.h"
#include "smp/cpumask.h"

struct runq_entry {
    struct list link;
    cpumask_t affinity;                  /* CPUs this entry may run on */
};

struct runq {
    struct list ready;
    unsigned nr;                         /* read racily by stealers as a load hint */
};

void runq_init(struct runq *rq);
void runq_push(struct runq *rq, struct runq_entry *e);
struct runq_entry *runq_pop(struct runq *rq);
/* Take the entry that has waited least (the back) and may run on `cpu`:
 * it has the coldest claim to this CPU's caches.  NULL if none may. */
struct runq_entry *runq_steal(struct runq *rq, unsigned cpu);
bool runq_remove(struct runq *rq, struct runq_entry *e);
