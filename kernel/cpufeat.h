/* CPU features the host turns on for every CPU. */
#pragma once
#include <stdbool.h>

/* UMIP (CR4 bit 11): sgdt, sidt, sldt, str and smsw fault outside ring 0,
 * so a ring-1 guest cannot read the host's tables; without it the scanner
 * patches those instructions too. */
extern bool cpu_has_umip;
void cpufeat_init(void);            /* on each CPU */

/* The vendor string of CPUID leaf 0 (EBX, EDX, ECX): "AuthenticAMD", say. */
void cpu_vendor(char out[13]);

/* Does `syscall` work from compatibility mode on this vendor's CPUs?  AMD's
 * and Hygon's take it through CSTAR (APM vol. 3, SYSCALL); Intel's raise
 * #UD outside 64-bit mode (SDM vol. 2B, SYSCALL: "IF (CS.L != 1) or
 * (IA32_EFER.LMA != 1) or (IA32_EFER.SCE != 1) THEN #UD").  Anyone else's:
 * not known, so no. */
bool cpu_vendor_syscall_compat(const char *vendor);
