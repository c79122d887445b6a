#include "smp/topology.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/vm.h"

static struct acpi_info info;

static const void *map_phys(uint64_t phys, size_t len, void *ctx)
{
    (void)ctx;
    if (phys + len < phys || phys + len > (64ul << 30))
        return 0;
    if (cmdline.acpidump && len > 36) {        /* a whole table: hex-dump it once */
        const uint8_t *p = phys_to_virt(phys);
        kprintf("ACPI %lx %zu ", phys, len);
        for (size_t i = 0; i < len; i++)
            kprintf("%02x", p[i]);
        kprintf("\n");
    }
    return phys_to_virt(phys);
}

const struct acpi_info *topology_discover(const struct bootinfo *bi)
{
    if (cmdline.noacpi || !bi->rsdp) {
        kprintf("acpi: %s; booting on one CPU without I/O APIC\n",
                cmdline.noacpi ? "disabled by noacpi" : "the boot loader found no ACPI RSDP");
        return 0;
    }
    if (cmdline.acpidump) {
        kprintf("ACPI RSDP %zu ", bi->rsdp_len);
        for (size_t i = 0; i < bi->rsdp_len; i++)
            kprintf("%02x", ((const uint8_t *)bi->rsdp)[i]);
        kprintf("\n");
    }
    const char *err = acpi_parse(bi->rsdp, bi->rsdp_len, map_phys, 0, &info);
    if (err) {
        kprintf("acpi: %s; booting on one CPU without I/O APIC\n", err);
        return 0;
    }
    kprintf("acpi: %u CPUs, %u I/O APICs, local APIC at 0x%lx\n", info.ncpus, info.nioapics, info.lapic_addr);
    if (info.skipped_cpus)
        kprintf("acpi: %u processor entries disabled or beyond %u\n", info.skipped_cpus, ACPI_MAX_CPUS);
    return &info;
}
