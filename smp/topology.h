/* Where the CPUs and I/O APICs are: ACPI's MADT, or one CPU without it. */
#pragma once
#include "smp/acpi.h"
#include "boot/multiboot2.h"

/* NULL when there is no usable ACPI (a message says why): boot on one CPU. */
const struct acpi_info *topology_discover(const struct bootinfo *bi);
