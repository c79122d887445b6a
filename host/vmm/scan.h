/*
 * Scan-and-patch.  pushf, popf and iret behave wrongly in ring 1 without
 * faulting (they see or set the real IF, or return to the wrong ring), so
 * they are found by following the guest's control flow from its entry point
 * and its function symbols — never by sweeping over bytes that may be data —
 * and replaced, in the loaded copy only, by hlt (a #GP in ring 1).  The
 * original bytes stay in the guest's side table of trap sites
 * (host/vmm/sites.h, kind SITE_PATCH) for the emulator and for undoing.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct patches {
    uint32_t lo, hi;                 /* the image's code may lie in [lo, hi) */
    uint8_t *seen;                   /* one bit per byte: an instruction starts here */
    size_t n;                        /* patches made (their entries: host/vmm/sites.h) */
    uint64_t insns_seen;             /* instructions decoded by the scan */
    uint64_t undecodable;            /* paths that ran into bytes we could not decode */
};

struct guest;
/* Scan from each start address within [lo, hi) (the image's code) and patch. */
bool scan_and_patch(struct guest *g, const uint32_t *starts, size_t nstarts, uint32_t lo, uint32_t hi);
/* A new entry point found at run time (an IDT gate the guest installed):
 * scan from it before the guest first gets there.  Cheap if seen before. */
bool scan_entry(struct guest *g, uint32_t addr);
