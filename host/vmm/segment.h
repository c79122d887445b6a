/*
 * Guest segments: the one place where a descriptor or selector that came
 * from a guest is judged before the host places it in a real descriptor
 * table or loads it on the guest's behalf (docs/hosting.md, "The
 * containment rule").  Pure: unit-tested in tests/unit/test_segment.c.
 *
 * Privilege here is the real one: the guest kernel runs in ring 1, its
 * user code in ring 3.  A guest selector's RPL 0-2 becomes 1 before it is
 * checked (seg_compress).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/x86-defs.h"     /* descriptor and selector bits */

/* Guest RPL 0-2 is real RPL 1; 3 stays 3 (ring compression). */
static inline uint16_t seg_compress(uint16_t sel)
{
    return (sel & 3) == 3 ? sel : (uint16_t)((sel & ~3u) | 1);
}

/* A guest GDT entry as it may stand in the real GDT, or 0 for "not
 * mirrored" (a load through it faults as a system descriptor's would):
 * code and data only, DPL 0-2 made 1, L cleared (a 32-bit CPU ignores it;
 * a 64-bit one would run the guest in 64-bit mode), accessed set so the
 * CPU never writes the real table. */
uint64_t seg_mirror(uint64_t guest);

/* What a selector is being loaded as. */
enum seg_use {
    SEG_USE_DATA,      /* DS ES FS GS: null allowed */
    SEG_USE_SS,        /* stack: writable data, DPL = RPL = CPL */
    SEG_USE_CS_RET,    /* iret / retf / the host's return: CPL becomes RPL */
    SEG_USE_CS_GATE,   /* the code segment of an interrupt gate, reached from CPL */
};

/* The fault a CPU raises loading sel (descriptor d, 0 if none) for `use`
 * at real privilege cpl: 0 if none, else SEG_FAULT(vector, error). */
#define SEG_FAULT(vec, err) ((uint32_t)(vec) << 16 | (uint16_t)(err))
static inline unsigned seg_fault_vector(uint32_t f) { return f >> 16; }
static inline uint16_t seg_fault_error(uint32_t f) { return (uint16_t)f; }
uint32_t seg_check(uint16_t sel, uint64_t d, enum seg_use use, unsigned cpl);

/* Why seg_check refused, in words, for the sentence that stops a guest. */
const char *seg_why(uint16_t sel, uint64_t d, enum seg_use use, unsigned cpl);

/* An access of len bytes (len >= 1) at offset off through a segment
 * register whose cache holds d (0: a null selector), as a CPU checks it
 * (SDM Vol. 3A 5.3, 5.4): a write only to writable data, a read of code
 * only if readable, a fetch only from code; the access's last byte within
 * the limit, or above it up to 64 KiB or 4 GiB (B) for expand-down data.
 * 0 if allowed, else the fault: #SS(0) through SS (stack), #GP(0)
 * otherwise, a null selector #GP(0) always. */
enum seg_access { SEG_READ, SEG_WRITE, SEG_FETCH };
uint32_t seg_access(uint64_t d, uint32_t off, uint32_t len, enum seg_access a, bool stack);
