#include "smp/ioapic.h"
#include "smp/percpu.h"
#include "kernel/trap.h"
#include "kernel/vm.h"
#include "kernel/x86.h"
#include "kernel/console.h"

#define IOREGSEL 0x00
#define IOWIN    0x10
#define REG_VER  0x01
#define REG_REDTBL(n) (0x10 + 2 * (n))

static volatile uint32_t *ioapic;
static uint32_t gsi_base, nr_pins;
static const struct acpi_info *acpi_info;
static struct spinlock ioapic_lock = SPINLOCK_INIT("ioapic");

static uint32_t rd(uint32_t reg) { ioapic[IOREGSEL / 4] = reg; return ioapic[IOWIN / 4]; }
static void wr(uint32_t reg, uint32_t v) { ioapic[IOREGSEL / 4] = reg; ioapic[IOWIN / 4] = v; }

void ioapic_init(const struct acpi_info *acpi)
{
    /* The 8259 pair is remapped away from the exception vectors and masked:
     * an unmasked PIC in virtual-wire mode would deliver through LINT0. */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 0x04); outb(0xa1, 0x02);
    outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xff); outb(0xa1, 0xff);
    acpi_info = acpi;
    if (!acpi || !acpi->nioapics) {
        kprintf("ioapic: none described; device interrupts stay off\n");
        return;
    }
    ioapic = phys_to_virt(acpi->ioapics[0].addr);
    gsi_base = acpi->ioapics[0].gsi_base;
    nr_pins = ((rd(REG_VER) >> 16) & 0xff) + 1;
    for (uint32_t i = 0; i < nr_pins; i++) {
        wr(REG_REDTBL(i), 1u << 16);            /* masked */
        wr(REG_REDTBL(i) + 1, 0);
    }
    kprintf("ioapic: id %u at 0x%x, %u pins\n", acpi->ioapics[0].id, acpi->ioapics[0].addr, nr_pins);
}

/* ISA IRQs are edge/active-high unless an interrupt source override says
 * otherwise (ACPI 5.2.12.5; QEMU moves the PIT's IRQ 0 to GSI 2). */
void ioapic_route(unsigned irq, unsigned cpu)
{
    if (!ioapic)
        return;
    uint32_t gsi = irq, flags = 0;
    for (unsigned i = 0; i < acpi_info->nisos; i++)
        if (acpi_info->isos[i].source == irq) {
            gsi = acpi_info->isos[i].gsi;
            flags = acpi_info->isos[i].flags;
        }
    if (gsi < gsi_base || gsi - gsi_base >= nr_pins)
        return;
    uint32_t low = VEC_IRQ0 + irq;
    if ((flags & 3) == 3) low |= 1u << 13;      /* active low */
    if (((flags >> 2) & 3) == 3) low |= 1u << 15;   /* level triggered */
    spin_lock_irq(&ioapic_lock);
    wr(REG_REDTBL(gsi - gsi_base) + 1, cpu_of(cpu)->apic_id << 24);
    wr(REG_REDTBL(gsi - gsi_base), low);
    spin_unlock_irq(&ioapic_lock);
}
