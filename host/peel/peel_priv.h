/*
 * Between the files of the peel framework (host/peel/); its users see
 * host/peel/peel.h.
 */
#pragma once
#include "host/peel/peel.h"

struct vcpu;

/* arm.c: the trap at a peeled entry, and the bytes it displaced */
unsigned peel_patch_length(struct guest *g, uint32_t addr, uint32_t size);
void peel_arm(struct guest *g, const struct peel_site *s);
extern bool peel_by_syscall;           /* peel sites enter by syscall, not int 15 (host/peel/plug.c) */
void peel_unarm(struct guest *g, const struct peel_site *s);

/* request.c: the VMM calls peel_safe_point from now on (until it settles) */
void peel_want_safe_points(struct guest *g);

/* swap.c: a drain site stays while its native side owns objects */
bool peel_still_owns(struct guest *g, const struct peel_site *site);
/* Take out the sites which() picks, bytes back. */
void peel_sites_remove(struct guest *g, bool (*which)(struct guest *, const struct peel_site *, void *), void *arg);
/* Restore the subsystem's sites, but for drain sites still owning objects
 * if keep_draining. */
void peel_disarm(struct guest *g, unsigned idx, bool keep_draining);

/* symbols.c: the subsystem's functions' bytes and idle words' addresses */
void peel_learn_subsystem(struct guest *g, unsigned idx);
bool peel_in_code(struct guest *g, unsigned idx, uint32_t addr);
/* The index in the subsystem's manifest functions of the one holding addr, or -1. */
int peel_fn_at(struct guest *g, unsigned idx, uint32_t addr);

/* quiesce.c: may the subsystem change hands now?  If not, what it waits
 * for goes into g->peels->waiting (a sentence's end: "... for X"). */
bool peel_quiet(struct guest *g, unsigned idx);
/* Is vCPU v (stopped in the host) inside one of the subsystems of set: its
 * EIP if at_eip, or a return address on its stack?  If say, what it found
 * goes into g->peels->waiting. */
bool peel_vcpu_inside(struct guest *g, struct vcpu *v, uint32_t set, bool at_eip, bool say);

/* frames.c: the code active on a stopped vCPU's stack: its EIP (if
 * at_eip), the return addresses its frame-pointer chain links, and every
 * code-looking word of the stretches the chain cannot account for.  True as
 * soon as visit does. */
void frames_init(struct guest *g);               /* the image's functions, at its start */
typedef bool (*frame_visit)(struct guest *g, uint32_t addr, bool at_eip, void *arg);
bool frames_visit(struct guest *g, struct vcpu *v, bool at_eip, frame_visit visit, void *arg);

/* gate.c: a busy subsystem's entries closed to new callers while a change
 * waits (the lock holder closes and opens them) */
bool peel_gates_close(struct guest *g, unsigned idx, int request);
void peel_gates_open(struct guest *g);
void peel_gates_kick(struct guest *g);           /* the waiters look again (from any thread) */
bool peel_parked(struct guest *g, const struct vcpu *v);
/* A call at site s: true if it waited at a gate and is made again */
bool peel_gate(struct guest *g, struct peel_site *s);
