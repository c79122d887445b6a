/*
 * The sched peel: the guest's threads become host threads, each with a vCPU
 * of its own, spread over every CPU and meeting at the guest kernel lock
 * whenever they run guest code.  Create, exit, join, yield, sleep and wakeup
 * are served by the host scheduler; the guest's own context switch is never
 * reached again.  Boot-only: a guest thread made by the guest's scheduler
 * lives on a stack the natives know nothing about.
 */
#pragma once
#include <stdbool.h>
#include "kernel/trap.h"

struct guest;
struct vcpu;

/* From vcpu_lock: v now holds the lock; the guest's "current thread"
 * variable (the manifest's keeps) names v's thread. */
void native_sched_running(struct guest *g, struct vcpu *v);
/* From vcpu_unlock: if a virtual interrupt is pending, wake the idle vCPU
 * so that somebody takes it even when every other vCPU is away. */
void native_sched_kick_if_pending(struct guest *g);
/* The guest ended: every vCPU asleep in a native wait wakes up and exits. */
void native_sched_guest_ended(struct guest *g);
void native_sched_release(struct guest *g);
/* The top of v's guest stack if the natives made it, else 0. */
uint32_t native_sched_stack_top(struct guest *g, const struct vcpu *v);
