/*
 * The virtual CPU's cpuid answers (host/vmm/cpuid.h).  A leaf beyond the
 * ranges the CPU reports gets what an Intel CPU gives there: "the data for
 * the highest basic information leaf" (SDM Vol. 2A, CPUID, "INPUT EAX =
 * 0"), so the hypervisor range past its own leaf and the extended range
 * past the brand string read as leaf 1.
 */
#include "host/vmm/cpuid.h"

/* Twelve characters in the order cpuid returns them: EBX, EDX, ECX. */
static void vendor(const char *s, uint32_t *b, uint32_t *d, uint32_t *c)
{
    uint32_t w[3] = { 0, 0, 0 };
    for (unsigned i = 0; i < 12; i++)
        w[i / 4] |= (uint32_t)(uint8_t)s[i] << (i % 4 * 8);
    *b = w[0]; *d = w[1]; *c = w[2];
}

/* Sixteen bytes of the brand string, NUL-padded to 48 (leaves 0x80000002-4). */
static void brand(unsigned part, struct cpuid_regs *r)
{
    static const char s[48] = CPUID_BRAND;
    uint32_t w[4] = { 0, 0, 0, 0 };
    for (unsigned i = 0; i < 16; i++)
        w[i / 4] |= (uint32_t)(uint8_t)s[part * 16 + i] << (i % 4 * 8);
    *r = (struct cpuid_regs){ w[0], w[1], w[2], w[3] };
}

void cpuid_policy(uint32_t leaf, struct cpuid_regs *r)
{
    *r = (struct cpuid_regs){ 0, 0, 0, 0 };
    if (leaf == 0) {
        r->eax = CPUID_MAX_BASIC;
        vendor(CPUID_VENDOR, &r->ebx, &r->edx, &r->ecx);
    } else if (leaf == CPUID_HV_LEAF) {
        r->eax = CPUID_HV_LEAF;                      /* the last hypervisor leaf: this one */
        vendor(CPUID_HV_VENDOR, &r->ebx, &r->ecx, &r->edx);   /* EBX ECX EDX, as KVM and Xen give theirs */
    } else if (leaf == 0x80000000u) {
        r->eax = CPUID_MAX_EXTENDED;
    } else if (leaf == 0x80000001u) {
        /* no NX, no long mode, no syscall, no lahf in 64-bit mode: all zero */
    } else if (leaf >= 0x80000002u && leaf <= CPUID_MAX_EXTENDED) {
        brand(leaf - 0x80000002u, r);
    } else {
        /* leaf 1, and every leaf beyond a range: the highest basic leaf.
         * EBX 0: brand index 0, no clflush line size, one logical
         * processor, and no initial APIC ID (no APIC is advertised) */
        r->eax = CPUID_SIGNATURE;
        r->ecx = CPUID_POLICY_ECX;
        r->edx = CPUID_POLICY_EDX;
    }
}
