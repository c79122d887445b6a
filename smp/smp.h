/* Bringing the other CPUs up. */
#pragma once
#include "smp/acpi.h"

/* Start every processor the MADT lists (at most max_cpus in all), one at a
 * time, each bounded; prints "smp: N of M CPUs online". */
void smp_boot(const struct acpi_info *acpi, unsigned max_cpus);
void smp_init_bsp(void);
unsigned smp_listed_cpus(void);      /* processors the MADT listed (within smp=) */            /* per-CPU data, GDT, IDT on the boot CPU */
