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
