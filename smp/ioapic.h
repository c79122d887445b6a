/* The I/O APIC: legacy IRQ n -> vector 32 + n on a chosen CPU. */
#pragma once
#include <stdint.h>
#include "smp/acpi.h"

void ioapic_init(const struct acpi_info *acpi);
void ioapic_route(unsigned irq, unsigned cpu);
