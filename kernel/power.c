#include "kernel/power.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/x86.h"
#include "smp/lapic.h"

/* QEMU's isa-debug-exit device, if present (-device isa-debug-exit,iobase=0xf4). */
void qemu_exit(enum exit_code code)
{
    outb(0xf4, code);
}

void power_panic_exit(void)
{
    if (cmdline.panic_exit)
        qemu_exit(EXIT_PANIC);
}

void power_off(void)
{
    kprintf("peel: powering off\n");
    /* QEMU's PIIX4 PM: SLP_TYPa=0, SLP_EN in PM1a_CNT at 0x604 (i440fx "pc"),
     * then Bochs/old-QEMU's 0xb004; a real machine would need the FADT/_S5. */
    outw(0x604, 0x2000);
    udelay(500000);                     /* QEMU acts on the request asynchronously */
    outw(0xb004, 0x2000);
    udelay(500000);
    kprintf("peel: ACPI power-off did not happen; halting\n");
    qemu_exit(EXIT_PASS);
    for (;;) { cli(); hlt(); }
}
