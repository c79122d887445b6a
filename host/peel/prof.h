/*
 * The guest profiler: which guest functions hold the CPU (with one vCPU per
 * guest, that is the guest kernel lock: every guest instruction runs under
 * it) and which trap to the host.  Sampled at every host interrupt that
 * finds the guest running, and at every trap; attributed to functions by
 * the image's own symbol table and to subsystems by its manifest.  It says
 * what to peel next.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include "host/peel/manifest.h"

struct guest;

struct prof_fn {
    uint32_t addr, size;
    const char *name;                /* inside the image module */
    uint64_t samples, traps;
};

struct prof {
    struct prof_fn *fns;             /* sorted by addr */
    size_t nfns;
    uint64_t samples, traps, unknown_samples;
    /* samples by the manifest subsystem the guest was inside (its innermost
     * function on the stack); [MANIFEST_MAX_SUBSYSTEMS]: none */
    uint64_t by_subsystem[MANIFEST_MAX_SUBSYSTEMS + 1];
};

void prof_init(struct guest *g);     /* from the image's symbol table */
/* At a trap (trap) or a host timer interrupt that found the guest running,
 * with the lock: eip and esp are the guest's. */
void prof_sample(struct guest *g, uint32_t eip, uint32_t esp, bool trap);
void prof_report(struct guest *g, unsigned top);
void prof_monitor_init(void);
