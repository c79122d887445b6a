/* Emulating what a ring-1 guest kernel may not do itself. */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/trap.h"
#include "host/vmm/sites.h"

struct vcpu;
struct guest;

/* A trap from the guest kernel (vcpu_trap): classified once from the
 * guest's side table of trap sites (host/vmm/sites.h) and its vector, then
 * served by its class (docs/hosting.md, "One trap path"). */
void emulate_trap(struct vcpu *v, struct trapframe *tf);

/* For a subsystem: from now on a #GP(0) of guest g at addr (a trapping
 * byte the claimer wrote there itself), or the fetch fault of a page not
 * scanned there (host/vmm/codepage.h: the page stays data), goes to
 * handler(v, tf, owner) before anything else looks at it (sites.h:
 * site_handler_t); the scanner never follows code through addr.  Under the
 * guest kernel lock, or before the guest runs.  False if out of memory. */
bool site_claim(struct guest *g, uint32_t addr, site_handler_t handler, void *owner);
void site_unclaim(struct guest *g, uint32_t addr);
