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
#include "host/vmm/guest.h"
#include "smp/percpu.h"

struct guest;

struct prof_fn {
    uint32_t addr, size;
    const char *name;                /* inside the image module */
    uint64_t samples;
};

/* One vCPU's trap counts, on a cache line of its own.  Every trap counts
 * one (a peel call's outside the guest kernel lock, when the call goes out),
 * and a counter the lock's last holder wrote on another CPU costs the next
 * holder a miss (a shared count and a search through a table of counters
 * made each hand-off of the lock ~0.75 us dearer: docs/bench.md, session
 * 19).  So a vCPU counts the traps in one function (most come in runs: a
 * loop calling one peeled function) here, and adds the run to the shared
 * fn_traps, atomically, when it traps elsewhere. */
struct prof_vcpu {
    uint64_t traps;
    size_t last;                     /* index + 1 of the function its last trap was in */
    uint64_t run;                    /* its traps there not yet in fn_traps */
} __attribute__((aligned(CACHELINE)));

struct prof {
    struct prof_fn *fns;             /* sorted by addr; after prof_init only samples change */
    uint64_t *fn_traps;              /* [nfns]: traps in each, but the runs the vCPUs still hold */
    size_t nfns;
    struct prof_vcpu vcpu[GUEST_MAX_VCPUS];
    uint64_t samples, unknown_samples;
    /* samples by the manifest subsystem the guest was inside (its innermost
     * function on the stack); [MANIFEST_MAX_SUBSYSTEMS]: none */
    uint64_t by_subsystem[MANIFEST_MAX_SUBSYSTEMS + 1];
};

void prof_init(struct guest *g);     /* from the image's symbol table */
/* At a trap (trap) or a host timer interrupt that found the guest running,
 * with the lock: eip and esp are the guest's. */
void prof_sample(struct guest *g, uint32_t eip, uint32_t esp, bool trap);
/* A trap of vCPU v at eip, with the lock or without (a peel call's). */
void prof_count_trap(struct guest *g, const struct vcpu *v, uint32_t eip);
void prof_report(struct guest *g, unsigned top);
void prof_monitor_init(void);
