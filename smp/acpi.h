/*
 * ACPI: RSDP -> RSDT/XSDT -> MADT, enough to find the CPUs and I/O APICs.
 * Pure logic: tables are reached through a caller-given map function, so the
 * unit tests parse table images taken from QEMU.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define ACPI_MAX_CPUS    256
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_ISOS    24

struct acpi_ioapic { uint8_t id; uint32_t addr, gsi_base; };
struct acpi_iso { uint8_t source; uint32_t gsi; uint16_t flags; };  /* interrupt source override */

struct acpi_info {
    uint64_t lapic_addr;
    unsigned ncpus;                          /* enabled (or online-capable) processors */
    uint32_t apic_ids[ACPI_MAX_CPUS];
    unsigned nioapics;
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    unsigned nisos;
    struct acpi_iso isos[ACPI_MAX_ISOS];
    bool pcat_compat;                        /* dual 8259s present: mask them */
    unsigned skipped_cpus;                   /* beyond ACPI_MAX_CPUS or disabled */
};

/* Map `len` bytes of physical memory at `phys`, or NULL if impossible. */
typedef const void *(*acpi_map_t)(uint64_t phys, size_t len, void *ctx);

/* rsdp: the RSDP's bytes (Multiboot2 hands us a copy).  Returns NULL on
 * success or a sentence saying what is wrong. */
const char *acpi_parse(const void *rsdp, size_t rsdp_len, acpi_map_t map, void *ctx,
                       struct acpi_info *out);
bool acpi_checksum_ok(const void *p, size_t len);
