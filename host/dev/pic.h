/*
 * pic.h — the PC's two cascaded 8259A interrupt controllers plus the PIIX
 * edge/level control registers (ELCR, ports 0x4D0/0x4D1).
 *
 * Devices call pic_set_irq() with line levels (IRQ 0..15); the host asks
 * pic_pending() before it would deliver, and pic_ack() performs the INTA
 * cycle and yields the vector to push through the guest's IDT.
 */
#ifndef PEEL_DEV_PIC_H
#define PEEL_DEV_PIC_H

#include "host/dev/vdev.h"

struct ports;

struct pic_chip {
    uint8_t irr, isr, imr;
    uint8_t lines;                  /* input levels, for edge detection */
    uint8_t elcr, elcr_mask;        /* level-triggered inputs, and which may be */
    uint8_t base;                   /* ICW2 vector base (low 3 bits 0) */
    uint8_t icw3;
    uint8_t icw_step;               /* 0: operational, 2..4: expecting ICWn */
    uint8_t priority_add;           /* the lowest-priority input is priority_add - 1 */
    bool ltim, single, want_icw4, aeoi, rotate_aeoi, sfnm;
    bool special_mask, read_isr, poll;
};

struct pic {
    struct pic_chip chip[2];        /* master (0x20), slave (0xA0) on master IR2 */
    uint64_t spurious;              /* INTA cycles that found nothing: IRQ7/IRQ15 */
    uint32_t gen;                   /* changes with the state: what was foreseen at one gen holds */
};

void pic_init(struct pic *p);
bool pic_attach(struct pic *p, struct ports *ports);
void pic_set_irq(void *pic, int irq, int level);        /* a vdev_irq_fn */
bool pic_pending(const struct pic *p);
int pic_ack(struct pic *p);
/* The IRQ (0-15) pic_ack would take now, or -1 (nothing, or only a
 * spurious answer), changing nothing; its vector; and its INTA done later,
 * as pic_ack would have done it then (a patch block delivered it meanwhile:
 * host/vmm/blocks.h). */
int pic_peek(const struct pic *p);
/* Would an interrupt be pending after a non-specific EOI (out 0x20 or
 * 0xa0 of 0x20) to the master; to the slave; to the slave, then the
 * master (an IRQ 8-15 handler's order)?  Nothing changes. */
struct pic_forecast { bool master, slave, both; };
struct pic_forecast pic_forecast(const struct pic *p);
int pic_vector(const struct pic *p, int irq);
void pic_ack_irq(struct pic *p, int irq);
uint32_t pic_in(void *pic, uint16_t port, int size, uint64_t now);
void pic_out(void *pic, uint16_t port, int size, uint32_t val, uint64_t now);

#endif
