/*
 * The CPU a hosted guest sees through `cpuid`: one documented virtual CPU,
 * the same on every host, never the host's own (docs/hosting.md, "The
 * virtual CPU", gives every bit and why).  `cpuid` does not fault in
 * ring 1 and CPUID faulting is not available under TCG, so the scanner
 * patches it like pushf (host/vmm/scan.c) and host/vmm/emulate.c answers
 * from here.  Pure: no kernel headers, unit-tested (tests/unit/test_cpu.c).
 */
#pragma once
#include <stdint.h>

struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };

#define CPUID_MAX_BASIC     1u
#define CPUID_HV_LEAF       0x40000000u
#define CPUID_MAX_EXTENDED  0x80000004u
/* Family 6, model 6, stepping 3: the signature of QEMU's qemu32 model, the
 * bare-metal reference of tests/guests/bare-oracle.sh and issue 13, so a
 * kernel that branches on the model takes the same branch bare and hosted;
 * it is a P6 (the first family with cmov) that no errata table of Linux
 * or GNU Mach singles out. */
#define CPUID_SIGNATURE     0x00000663u

/* Leaf 1 EDX and ECX bits (SDM Vol. 2A, CPUID, tables 3-10 and 3-11) */
#define CPUID_EDX_FPU   (1u << 0)
#define CPUID_EDX_VME   (1u << 1)
#define CPUID_EDX_DE    (1u << 2)
#define CPUID_EDX_PSE   (1u << 3)
#define CPUID_EDX_TSC   (1u << 4)
#define CPUID_EDX_MSR   (1u << 5)
#define CPUID_EDX_PAE   (1u << 6)
#define CPUID_EDX_MCE   (1u << 7)
#define CPUID_EDX_CX8   (1u << 8)
#define CPUID_EDX_APIC  (1u << 9)
#define CPUID_EDX_SEP   (1u << 11)
#define CPUID_EDX_MTRR  (1u << 12)
#define CPUID_EDX_PGE   (1u << 13)
#define CPUID_EDX_MCA   (1u << 14)
#define CPUID_EDX_CMOV  (1u << 15)
#define CPUID_EDX_PAT   (1u << 16)
#define CPUID_EDX_MMX   (1u << 23)
#define CPUID_EDX_FXSR  (1u << 24)
#define CPUID_EDX_SSE   (1u << 25)
#define CPUID_ECX_HYPERVISOR (1u << 31)

/* What leaf 1 advertises: each is an instruction the guest runs natively
 * in ring 1 (x87, cmov, cmpxchg8b, rdtsc) or one the host emulates in full
 * (rdmsr/wrmsr from host/vmm/msr.c). */
#define CPUID_POLICY_EDX (CPUID_EDX_FPU | CPUID_EDX_PSE | CPUID_EDX_TSC | CPUID_EDX_MSR | CPUID_EDX_CX8 | \
                          CPUID_EDX_PGE | CPUID_EDX_CMOV)
#define CPUID_POLICY_ECX CPUID_ECX_HYPERVISOR

#define CPUID_VENDOR     "GenuineIntel"
#define CPUID_HV_VENDOR  "PeelPeelPeel"
#define CPUID_BRAND      "Peel virtual 32-bit CPU"

/* The answer to cpuid with EAX = leaf (no leaf advertised takes ECX). */
void cpuid_policy(uint32_t leaf, struct cpuid_regs *r);
