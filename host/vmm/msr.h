/*
 * The virtual CPU's model-specific registers: rdmsr and wrmsr fault in
 * ring 1 (#GP(0)) and are answered from this table (docs/hosting.md, "The
 * virtual CPU", lists it with the reasons).  Every MSR not in it raises
 * #GP(0) in the guest, as a CPU does for one it does not implement; a
 * kernel probes with the _safe accessors and takes that for "absent".
 * Pure: unit-tested (tests/unit/test_cpu.c).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>

/* rdmsr of msr, the host's TSC being tsc now: false for #GP(0). */
bool msr_read(uint32_t msr, uint64_t tsc, uint64_t *val);
/* wrmsr of val to msr: false for #GP(0) (else it was taken or dropped). */
bool msr_write(uint32_t msr, uint64_t val);
