/*
 * The MSR table (host/vmm/msr.h).  Only what the advertised CPU has and a
 * legacy kernel touches unconditionally: the leaf-1 MSR bit promises
 * rdmsr/wrmsr and the TSC MSR; a P6 kernel also reads the microcode
 * revision (Linux's intel_get_microcode_revision: wrmsr 0x8b, cpuid,
 * rdmsr 0x8b, without the _safe variants) and the platform ID.  The MSRs
 * of features the CPUID policy leaves out (APIC base, SYSENTER, MTRR, MCA,
 * PAT, EFER, MISC_ENABLE) raise #GP: a kernel must not find half a feature.
 */
#include "host/vmm/msr.h"
#include "kernel/x86-defs.h"

bool msr_read(uint32_t msr, uint64_t tsc, uint64_t *val)
{
    switch (msr) {
    case MSR_TSC:
        *val = tsc;              /* what rdtsc reads at the same moment */
        return true;
    case MSR_PLATFORM_ID:        /* platform bits 52:50 zero: no microcode update is meant for it */
    case MSR_BIOS_SIGN_ID:       /* microcode revision 0 in EDX: none loaded */
    case MSR_DEBUGCTL:           /* no last-branch recording, no branch single-step */
        *val = 0;
        return true;
    default:
        return false;
    }
}

bool msr_write(uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_TSC:                /* dropped: the TSC is the host's, read natively by rdtsc, and cannot be offset */
    case MSR_BIOS_SIGN_ID:       /* the write before cpuid that latches the revision: nothing to latch */
        return true;
    case MSR_DEBUGCTL:           /* LBR and BTF are not implemented: only turning them off is taken */
        return val == 0;
    default:                     /* the platform ID is read-only; the rest are absent */
        return false;
    }
}
