/* Bringing the other CPUs up. */
#pragma once
#include "smp/acpi.h"

/* Start every processor the MADT lists (at most max_cpus in all), one at a
 * time, each bounded; prints "smp: N of M CPUs online".  Each AP, its
 * per-CPU data, GDT, IDT and local APIC set up, calls ap_start (the
 * scheduler's: smp/ names none), which must call smp_cpu_online and never
 * return. */
void smp_boot(const struct acpi_info *acpi, unsigned max_cpus, void (*ap_start)(void));
void smp_cpu_online(void);           /* this CPU takes work from now on; its starter stops waiting */
void smp_init_bsp(void);
unsigned smp_listed_cpus(void);      /* processors the MADT listed (within smp=) */            /* per-CPU data, GDT, IDT on the boot CPU */
