#include "kernel/cpufeat.h"
#include "kernel/x86.h"
#include "kernel/string.h"

bool cpu_has_umip;

void cpufeat_init(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    bool has_leaf7 = r[0] >= 7;
    if (has_leaf7) {
        cpuid(7, 0, r);
        cpu_has_umip = r[2] >> 2 & 1;           /* CPUID.(EAX=7,ECX=0):ECX[2] */
    }
    write_cr4(read_cr4() | CR4_PGE | (cpu_has_umip ? CR4_UMIP : 0));
    /* The kernel never uses the FPU (-mgeneral-regs-only): TS makes the
     * first x87 instruction on this CPU trap (#NM) so that whoever owns
     * x87 state (a client's thread hooks) can load it first; MP makes
     * wait/fwait trap too while TS is set; NE reports x87 errors as #MF,
     * never as the PC's FERR# (IRQ 13 at the host's own interrupt
     * controller). */
    write_cr0(read_cr0() | CR0_MP | CR0_NE | CR0_TS);
}

void cpu_vendor(char out[13])
{
    uint32_t r[4];
    cpuid(0, 0, r);
    memcpy(out, &r[1], 4);
    memcpy(out + 4, &r[3], 4);
    memcpy(out + 8, &r[2], 4);
    out[12] = 0;
}

bool cpu_vendor_syscall_compat(const char *vendor)
{
    return !strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine");
}
