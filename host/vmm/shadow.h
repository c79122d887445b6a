/*
 * Shadow page tables: a virtual TLB per vCPU for a guest that turned
 * paging on (CR0.PG).  The vCPU then runs on an address space of its own:
 * the host's upper half, shared as by every space, and a low 4 GiB filled
 * lazily from the guest's page tables (host/vmm/gpt.h) as its code faults,
 * with host frames of that guest's RAM only.  A guest with paging off runs
 * on the guest's identity space (g->root) and never comes here.  docs:
 * docs/hosting.md, "Shadow paging".
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/trap.h"

struct vcpu;
struct guest;

/* A #PF from guest code at linear address cr2 (read from CR2 before
 * anything could fault again).  False if the vCPU's paging is off (then
 * it is not the shadow's); true if it was served: the shadow entry filled
 * and the instruction retried, or the guest's own #PF reflected, or the
 * guest stopped with a sentence. */
bool shadow_page_fault(struct vcpu *v, struct trapframe *tf, uint32_t cr2);

/* After the guest's mov to CRn (v->crN holds the new value, old the
 * previous): PG on or off switches the vCPU's address space, and a change
 * the TLB depends on drops the shadow.  False if the guest was stopped. */
bool shadow_cr_written(struct vcpu *v, unsigned cr, uint32_t old);

/* The guest's invlpg of linear address lin. */
void shadow_invlpg(struct vcpu *v, uint32_t lin);

/* Every vCPU of g drops its whole shadow before it next runs guest code
 * (scan-on-execute: a page's permissions changed).  Called with g's
 * kernel lock held, as from any trap: the caller's own vCPU drops its
 * shadow at once, the others when they next take the lock. */
void shadow_flush_guest(struct guest *g);

/* On the vCPU's own thread, before it runs guest code: the right address
 * space loaded (the shadow's while paging is on) and the shadow dropped if
 * shadow_flush_guest asked.  False if the guest was stopped. */
bool shadow_enter(struct vcpu *v);

/* A vCPU that has a shadow (v->shadow) takes its guest's kernel lock:
 * dropped if shadow_flush_guest asked since. */
void shadow_sync(struct vcpu *v);

/* The vCPU's thread is leaving: back on the kernel's tables, shadow freed. */
void shadow_release(struct vcpu *v);
