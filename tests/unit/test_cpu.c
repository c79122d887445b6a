/* Unit tests for the virtual CPU's tables (host/vmm/cpuid.c, msr.c,
 * dreg.h): what a guest reads, as docs/hosting.md "The virtual CPU"
 * documents it and the SDM defines the registers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host/vmm/cpuid.h"
#include "host/vmm/msr.h"
#include "host/vmm/dreg.h"

static struct cpuid_regs leaf(uint32_t l)
{
    struct cpuid_regs r;
    memset(&r, 0xa5, sizeof r);                /* every register must be written */
    cpuid_policy(l, &r);
    return r;
}

static void text(char *out, uint32_t a, uint32_t b, uint32_t c)
{
    memcpy(out, &a, 4); memcpy(out + 4, &b, 4); memcpy(out + 8, &c, 4);
    out[12] = 0;
}

static void vendor_and_max(void **state)
{
    (void)state;
    struct cpuid_regs r = leaf(0);
    char v[13];
    text(v, r.ebx, r.edx, r.ecx);              /* EBX EDX ECX: "Genu" "ineI" "ntel" */
    assert_string_equal(v, "GenuineIntel");
    assert_int_equal(r.eax, 1);
}

static void leaf1_is_a_plain_p6(void **state)
{
    (void)state;
    struct cpuid_regs r = leaf(1);
    assert_int_equal(r.eax >> 8 & 0xf, 6);     /* family */
    assert_int_equal(r.eax >> 4 & 0xf, 6);     /* model */
    assert_int_equal(r.eax & 0xf, 3);          /* stepping */
    assert_int_equal(r.ebx, 0);
    uint32_t want = CPUID_EDX_FPU | CPUID_EDX_PSE | CPUID_EDX_TSC | CPUID_EDX_MSR | CPUID_EDX_CX8 |
                    CPUID_EDX_PGE | CPUID_EDX_CMOV;    /* PSE, PGE: the shadow pager */
    assert_int_equal(r.edx, want);
    /* what issue 15 forbids until supported */
    uint32_t never = CPUID_EDX_PAE | CPUID_EDX_SEP | CPUID_EDX_APIC |
                     CPUID_EDX_MTRR | CPUID_EDX_MCE | CPUID_EDX_MCA | CPUID_EDX_PAT | CPUID_EDX_VME |
                     CPUID_EDX_DE | CPUID_EDX_FXSR | CPUID_EDX_SSE | CPUID_EDX_MMX;
    assert_int_equal(r.edx & never, 0);
    assert_int_equal(r.ecx, CPUID_ECX_HYPERVISOR);   /* and no XSAVE, no SSE3 */
}

static void hypervisor_leaf(void **state)
{
    (void)state;
    struct cpuid_regs r = leaf(0x40000000);
    char v[13];
    text(v, r.ebx, r.ecx, r.edx);              /* EBX ECX EDX, as KVM's "KVMKVMKVM" */
    assert_string_equal(v, "PeelPeelPeel");
    assert_int_equal(r.eax, 0x40000000);
}

static void extended_leaves(void **state)
{
    (void)state;
    assert_int_equal(leaf(0x80000000).eax, 0x80000004);
    struct cpuid_regs r = leaf(0x80000001);
    assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);   /* no long mode, no NX, no syscall */
    char brand[49];
    for (unsigned i = 0; i < 3; i++) {
        r = leaf(0x80000002 + i);
        memcpy(brand + i * 16, &r, 16);
    }
    brand[48] = 0;
    assert_string_equal(brand, CPUID_BRAND);
}

/* Intel: beyond a range, the highest basic leaf's data */
static void beyond_max_is_leaf1(void **state)
{
    (void)state;
    struct cpuid_regs one = leaf(1);
    uint32_t beyond[] = { 2, 4, 7, 0xb, 0xd, 0x3fffffff, 0x40000001, 0x4fffffff, 0x80000005,
                          0x80000008, 0xc0000000, 0xffffffff };
    for (unsigned i = 0; i < sizeof beyond / sizeof beyond[0]; i++) {
        struct cpuid_regs r = leaf(beyond[i]);
        assert_memory_equal(&one, &r, sizeof one);
    }
}

static void msr_table(void **state)
{
    (void)state;
    uint64_t v = 1;
    assert_true(msr_read(0x10, 0x123456789abull, &v));
    assert_int_equal(v, 0x123456789abull);                 /* the TSC rdtsc reads */
    v = 1;
    assert_true(msr_read(0x8b, 5, &v));
    assert_int_equal(v, 0);                                /* microcode revision 0 */
    assert_true(msr_write(0x8b, 0));
    assert_true(msr_read(0x17, 5, &v));
    assert_false(msr_write(0x17, 0));                      /* read-only */
    assert_true(msr_write(0x1d9, 0));
    assert_false(msr_write(0x1d9, 1));                     /* no LBR */
    assert_true(msr_write(0x10, 0));
    /* the MSRs of features the policy leaves out, and nonsense */
    uint32_t absent[] = { 0x1b, 0x174, 0x175, 0x176, 0xfe, 0x2ff, 0x179, 0x277, 0x1a0, 0x3a,
                          0xc0000080, 0xc0000081, 0xc0000100, 0x4b564d00, 0xffffffff };
    for (unsigned i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        assert_false(msr_read(absent[i], 5, &v));
        assert_false(msr_write(absent[i], 0));
    }
}

/* what the bare run of tests/guests/cpu.asm read back (QEMU's qemu32) */
static void debug_register_fixed_bits(void **state)
{
    (void)state;
    assert_int_equal(dreg_dr6(0), 0xffff0ff0);
    assert_int_equal(dreg_dr6(0xe00f), 0xffffefff);
    assert_int_equal(dreg_dr6(0xffffffff), 0xffffefff);
    assert_int_equal(dreg_dr7(0), 0x400);
    assert_int_equal(dreg_dr7(0xf0000), 0xf0400);
    assert_int_equal(dreg_dr7(0xffffffff), 0xffff27ff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vendor_and_max),
        cmocka_unit_test(leaf1_is_a_plain_p6),
        cmocka_unit_test(hypervisor_leaf),
        cmocka_unit_test(extended_leaves),
        cmocka_unit_test(beyond_max_is_leaf1),
        cmocka_unit_test(msr_table),
        cmocka_unit_test(debug_register_fixed_bits),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
