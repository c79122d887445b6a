/*
 * Between the files of the peel framework (host/peel/); its users see
 * host/peel/peel.h.
 */
#pragma once
#include "host/peel/peel.h"

/* arm.c: the trap at a peeled entry, and the bytes it displaced */
unsigned peel_patch_length(struct guest *g, uint32_t addr, uint32_t size);
void peel_arm(struct guest *g, const struct peel_site *s);
extern bool peel_by_syscall;           /* peel sites enter by syscall, not int 15 (host/peel/plug.c) */
void peel_unarm(struct guest *g, const struct peel_site *s);

/* request.c: the VMM calls peel_safe_point from now on (until it settles) */
void peel_want_safe_points(struct guest *g);

/* swap.c: a drain site stays while its native side owns objects */
bool peel_still_owns(struct guest *g, const struct peel_site *site);
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
