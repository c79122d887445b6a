/* pic: 8259A programming.  The BIOS leaves the master on vectors 8-15,
 * which collide with CPU exceptions in protected mode, so both chips are
 * re-initialised with ICW1-ICW4 to put IRQ 0-15 on vectors 32-47. */
#include "pic.h"
#include "trap.h"
#include "x86.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI   0x20
#define OCW3_READ_ISR 0x0b

unsigned char pic_mask_master = 0xff, pic_mask_slave = 0xff;

API __init void pic_init(void)
{
    outb(PIC1_CMD, 0x11);           /* ICW1: edge triggered, cascade, ICW4 follows */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, IRQ_BASE);      /* ICW2: vector base */
    outb(PIC2_DATA, IRQ_BASE + 8);
    outb(PIC1_DATA, 1 << 2);        /* ICW3: slave on master's IRQ2 */
    outb(PIC2_DATA, 2);             /* ICW3: slave's cascade identity */
    outb(PIC1_DATA, 0x01);          /* ICW4: 8086 mode, normal EOI */
    outb(PIC2_DATA, 0x01);
    pic_mask_master = 0xff & ~(1 << 2); /* cascade line open, all else masked */
    pic_mask_slave = 0xff;
    outb(PIC1_DATA, pic_mask_master);
    outb(PIC2_DATA, pic_mask_slave);
}

API void pic_unmask(int irq)
{
    uint32_t f = irq_save();
    if (irq < 8) {
        pic_mask_master &= ~(1 << irq);
        outb(PIC1_DATA, pic_mask_master);
    } else {
        pic_mask_slave &= ~(1 << (irq - 8));
        outb(PIC2_DATA, pic_mask_slave);
    }
    irq_restore(f);
}

API void pic_eoi(int irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}

/* IRQ 7 and 15 also arrive when a request vanished before the CPU
 * acknowledged it; the in-service register tells the two apart.  A
 * spurious IRQ 15 still needs an EOI on the master for the cascade. */
API int pic_spurious(int irq)
{
    if (irq == 7) {
        outb(PIC1_CMD, OCW3_READ_ISR);
        return !(inb(PIC1_CMD) & 0x80);
    }
    if (irq == 15) {
        outb(PIC2_CMD, OCW3_READ_ISR);
        if (!(inb(PIC2_CMD) & 0x80)) {
            outb(PIC1_CMD, PIC_EOI);
            return 1;
        }
    }
    return 0;
}
