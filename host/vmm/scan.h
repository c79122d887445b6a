/*
 * Scan-and-patch.  pushf, popf and iret behave wrongly in ring 1 without
 * faulting (they see or set the real IF, or return to the wrong ring), so
 * they are found by following the guest's control flow from its entry point
 * and its function symbols — never by sweeping over bytes that may be data —
 * and replaced, in the loaded copy only, by hlt (a #GP in ring 1).  The original bytes stay in
 * a side table for the emulator and for undoing.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct patch {
    uint32_t addr;
    uint8_t len;
    uint8_t orig[15];
};

struct patches {
    uint32_t lo, hi;                 /* the image's code may lie in [lo, hi) */
    uint8_t *seen;                   /* one bit per byte: an instruction starts here */
    struct patch *p;                 /* sorted by addr */
    size_t n, cap;
    uint64_t insns_seen;             /* instructions decoded by the scan */
    uint64_t undecodable;            /* paths that ran into bytes we could not decode */
};

struct guest;
/* Scan from each start address within [lo, hi) (the image's code) and patch. */
bool scan_and_patch(struct guest *g, const uint32_t *starts, size_t nstarts, uint32_t lo, uint32_t hi);
/* A new entry point found at run time (an IDT gate the guest installed):
 * scan from it before the guest first gets there.  Cheap if seen before. */
bool scan_entry(struct guest *g, uint32_t addr);
const struct patch *patch_find(const struct patches *t, uint32_t addr);
void patches_free(struct patches *t);
