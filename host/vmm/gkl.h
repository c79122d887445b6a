/*
 * The guest kernel lock (GKL): a guest image written for one CPU keeps its
 * uniprocessor assumptions because at most one of its vCPUs executes guest
 * code at a time.  A vCPU holds the lock from the moment it enters guest
 * code until it leaves it for something that may take long: a native
 * replacement whose manifest says outside-gkl, a native sleep, yield, join
 * or idle (the sched peel), a hlt.  Giant and the BKL, per guest.
 *
 * Holding it is what makes a trap a safe point for peeling, and what makes
 * the guest's own "interrupts off" a lock again: a virtual interrupt is
 * delivered only to the holder, and only when its virtual IF is set.
 *
 * Hand-offs are frequent (a guest thread that waits for its disk gives the
 * lock away and takes it back), and a sleep and wakeup across CPUs costs an
 * IPI and a switch each way; so a taker first spins briefly while the holder
 * is on a CPU, and sleeps only when it is not or the wait drags on.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "sched/waitq.h"

struct vcpu;

struct gkl {
    struct vcpu *volatile holder;
    volatile unsigned sleepers;      /* takers asleep in wq (or about to be) */
    struct waitq wq;
    uint64_t since;                  /* ns, when the holder took it (or got its CPU back) */
    uint64_t held_ns;                /* total, over the guest's life, while the holder ran */
    bool paused;                     /* the holder is switched out: the time is not work */
    uint64_t acquisitions, handoffs; /* handoffs: taken by a vCPU other than the last holder */
    uint64_t spun, slept;            /* acquisitions that waited, by how */
    struct vcpu *last;
};

void gkl_init(struct gkl *l);
void gkl_acquire(struct gkl *l, struct vcpu *v);
void gkl_release(struct gkl *l, struct vcpu *v);
bool gkl_held_by(const struct gkl *l, const struct vcpu *v);
/* The scheduler takes the holder off its CPU / gives it one back: held
 * time counts only while the holder runs, so that at -smp 1 it measures
 * the work done under the lock (the serial fraction), not the time the
 * holder waited behind threads running outside it. */
void gkl_pause(struct gkl *l, const struct vcpu *v);
void gkl_resume(struct gkl *l, const struct vcpu *v);
/* Somebody is waiting to take it (and will find a pending interrupt). */
bool gkl_contended(const struct gkl *l);
/* Time held so far, the current holding included. */
uint64_t gkl_held_ns(const struct gkl *l);
