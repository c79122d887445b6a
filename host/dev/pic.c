/*
 * pic.c — 8259A pair, after the Intel 8259A datasheet (order 231468).
 *
 * Priority is a rotation: input (priority_add + k) & 7 has priority k, 0 the
 * highest.  A request interrupts the CPU when it is unmasked and of higher
 * priority than everything in service ("fully nested mode").  The slave's INT
 * output is the master's IR2 input, so a slave request becomes an edge on
 * the master like any other device.
 */
#include "host/dev/pic.h"
#include "host/dev/ports.h"

static uint8_t chip_level_mask(const struct pic_chip *c)
{
    return c->ltim ? 0xFF : c->elcr;
}

static int chip_priority(const struct pic_chip *c, uint8_t mask)
{
    for (int p = 0; p < 8; p++)
        if (mask & (1u << ((p + c->priority_add) & 7)))
            return p;
    return 8;
}

/* The input the chip would signal now, or -1. */
static int chip_best(const struct pic_chip *c, bool master)
{
    int p = chip_priority(c, c->irr & ~c->imr);
    uint8_t busy = c->isr;
    if (p == 8)
        return -1;
    /* Special mask mode: a masked level in service no longer holds off others. */
    if (c->special_mask)
        busy &= ~c->imr;
    /* Special fully nested mode lets the slave interrupt its own service. */
    if (master && c->sfnm)
        busy &= ~(1u << 2);
    return p < chip_priority(c, busy) ? (p + c->priority_add) & 7 : -1;
}

static void chip_set_line(struct pic_chip *c, int irq, int level)
{
    uint8_t bit = 1u << irq;
    if (chip_level_mask(c) & bit) {
        /* Level mode: IRR follows the input. */
        c->irr = level ? c->irr | bit : c->irr & ~bit;
    } else if (level && !(c->lines & bit)) {
        c->irr |= bit;  /* edge mode latches the low-to-high transition */
    }
    c->lines = level ? c->lines | bit : c->lines & ~bit;
}

/* Re-derive level-mode IRR bits after LTIM or ELCR changed. */
static void chip_relevel(struct pic_chip *c)
{
    uint8_t lvl = chip_level_mask(c);
    c->irr = (c->irr & ~lvl) | (c->lines & lvl);
}

static void chip_intack(struct pic_chip *c, int irq)
{
    if (c->aeoi) {
        if (c->rotate_aeoi)
            c->priority_add = (irq + 1) & 7;
    } else {
        c->isr |= 1u << irq;
    }
    /* A level input stays requested until the device drops it. */
    if (!(chip_level_mask(c) & (1u << irq)))
        c->irr &= ~(1u << irq);
}

static void pic_cascade(struct pic *p)
{
    chip_set_line(&p->chip[0], 2, chip_best(&p->chip[1], false) >= 0);
}

/* ICW1: "the edge sense circuit is reset ... the Interrupt Mask Register is
 * cleared ... Special Mask Mode is cleared and Status Read is set to IRR ...
 * if IC4 = 0, all functions selected in ICW4 are set to zero". */
static void chip_icw1(struct pic_chip *c, uint8_t val)
{
    c->irr = c->isr = c->imr = 0;
    c->priority_add = 0;
    c->special_mask = c->read_isr = c->poll = false;
    c->aeoi = c->rotate_aeoi = c->sfnm = false;
    c->want_icw4 = val & 0x01;
    c->single = val & 0x02;
    c->ltim = val & 0x08;
    c->icw_step = 2;
    chip_relevel(c);
}

static void chip_ocw2(struct pic_chip *c, uint8_t val)
{
    int irq = val & 7;
    int cmd = val >> 5;
    int p;
    switch (cmd) {
    case 0: case 4:         /* clear / set rotate in automatic EOI mode */
        c->rotate_aeoi = cmd == 4;
        break;
    case 1: case 5:         /* non-specific EOI: the highest level in service */
        p = chip_priority(c, c->isr);
        if (p == 8)
            break;
        irq = (p + c->priority_add) & 7;
        c->isr &= ~(1u << irq);
        if (cmd == 5)
            c->priority_add = (irq + 1) & 7;
        break;
    case 3: case 7:         /* specific EOI, optionally rotating */
        c->isr &= ~(1u << irq);
        if (cmd == 7)
            c->priority_add = (irq + 1) & 7;
        break;
    case 6:                 /* set priority: irq becomes the lowest */
        c->priority_add = (irq + 1) & 7;
        break;
    default:                /* 2: no operation */
        break;
    }
}

static void chip_ocw3(struct pic_chip *c, uint8_t val)
{
    if (val & 0x04)
        c->poll = true;
    if (val & 0x02)
        c->read_isr = val & 0x01;
    if (val & 0x40)
        c->special_mask = val & 0x20;
}

static void chip_data(struct pic_chip *c, uint8_t val)
{
    switch (c->icw_step) {
    case 2:
        c->base = val & 0xF8;
        c->icw_step = !c->single ? 3 : c->want_icw4 ? 4 : 0;
        break;
    case 3:
        c->icw3 = val;  /* wiring is fixed: slave on IR2, slave ID 2 */
        c->icw_step = c->want_icw4 ? 4 : 0;
        break;
    case 4:
        /* uPM (bit 0) = 0 selects 8080 mode, which we treat as 8086 mode. */
        c->aeoi = val & 0x02;
        c->sfnm = val & 0x10;
        c->icw_step = 0;
        break;
    default:
        c->imr = val;   /* OCW1 */
        break;
    }
}

/* Poll command: the next read is an INTA without the CPU's vector cycle. */
static uint8_t chip_poll(struct pic_chip *c)
{
    int irq = chip_best(c, false);
    c->poll = false;
    if (irq < 0)
        return 0;
    chip_intack(c, irq);
    return 0x80 | irq;
}

uint32_t pic_in(void *pic, uint16_t port, int size, uint64_t now)
{
    struct pic *p = pic;
    struct pic_chip *c = &p->chip[(port & 0x80) ? 1 : 0];
    uint32_t val;
    (void)size, (void)now;
    if (port == 0x4D0 || port == 0x4D1)
        return p->chip[port & 1].elcr;
    if (c->poll) {
        val = chip_poll(c);
        p->gen++;
    }
    else if (port & 1)
        val = c->imr;
    else
        val = c->read_isr ? c->isr : c->irr;
    pic_cascade(p);
    return val;
}

void pic_out(void *pic, uint16_t port, int size, uint32_t val, uint64_t now)
{
    struct pic *p = pic;
    struct pic_chip *c = &p->chip[(port & 0x80) ? 1 : 0];
    (void)size, (void)now;
    if (port == 0x4D0 || port == 0x4D1) {
        c = &p->chip[port & 1];
        c->elcr = val & c->elcr_mask;
        chip_relevel(c);
    } else if (port & 1) {
        chip_data(c, (uint8_t)val);
    } else if (val & 0x10) {
        chip_icw1(c, (uint8_t)val);
    } else if (val & 0x08) {
        chip_ocw3(c, (uint8_t)val);
    } else {
        chip_ocw2(c, (uint8_t)val);
    }
    pic_cascade(p);
    p->gen++;
}

void pic_set_irq(void *pic, int irq, int level)
{
    struct pic *p = pic;
    if (irq < 0 || irq > 15)
        return;
    struct pic_chip *c = &p->chip[irq >> 3];
    uint8_t irr = c->irr, lines = c->lines;
    chip_set_line(c, irq & 7, level != 0);
    pic_cascade(p);
    p->gen += c->irr != irr || c->lines != lines;    /* (the cascade follows the slave's IRR) */
}

bool pic_pending(const struct pic *p)
{
    return chip_best(&p->chip[0], true) >= 0;
}

/*
 * INTA.  With nothing to deliver the 8259A answers IR7 without setting its
 * ISR bit: a spurious IRQ7, or IRQ15 when the slave has nothing — then the
 * master's ISR bit 2 is set and needs an EOI, as on real hardware.
 */
int pic_ack(struct pic *p)
{
    struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
    int irq = chip_best(m, true);
    int sirq;
    p->gen++;
    if (irq < 0) {
        p->spurious++;
        return m->base | 7;
    }
    chip_intack(m, irq);
    if (irq != 2 || m->single)
        return m->base | irq;
    sirq = chip_best(s, false);
    if (sirq < 0) {
        p->spurious++;
        sirq = 7;
    } else {
        chip_intack(s, sirq);
    }
    pic_cascade(p);
    return s->base | sirq;
}

int pic_peek(const struct pic *p)
{
    const struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
    int irq = chip_best(m, true);
    if (irq < 0 || irq != 2 || m->single)
        return irq;
    int sirq = chip_best(s, false);
    return sirq < 0 ? -1 : 8 + sirq;
}

struct pic_forecast pic_forecast(const struct pic *p)
{
    /* An EOI changes no request and no mask: with nothing requested and
     * unmasked on either chip, nothing can be let through (the usual case
     * after an INTA; cheap, and the host asks at nearly every trap). */
    if (!((p->chip[0].irr & ~p->chip[0].imr) | (p->chip[1].irr & ~p->chip[1].imr)))
        return (struct pic_forecast){ false, false, false };
    struct pic m = *p, s = *p;
    pic_out(&m, 0x20, 1, 0x20, 0);
    pic_out(&s, 0xa0, 1, 0x20, 0);
    struct pic_forecast f = { .master = pic_pending(&m), .slave = pic_pending(&s) };
    pic_out(&s, 0x20, 1, 0x20, 0);
    f.both = pic_pending(&s);
    return f;
}

int pic_vector(const struct pic *p, int irq)
{
    return irq < 8 ? p->chip[0].base | irq : p->chip[1].base | (irq - 8);
}

void pic_ack_irq(struct pic *p, int irq)
{
    struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
    p->gen++;
    if (irq < 8 || m->single) {
        chip_intack(m, irq & 7);
        return;
    }
    chip_intack(m, 2);
    chip_intack(s, irq - 8);
    pic_cascade(p);
}

/* The state a PC BIOS leaves: vectors 0x08/0x70, cascade, edge triggered,
 * timer, keyboard and cascade unmasked, everything else masked. */
void pic_init(struct pic *p)
{
    *p = (struct pic){ .gen = 1 };
    p->chip[0] = (struct pic_chip){ .base = 0x08, .icw3 = 0x04, .imr = 0xF8,
                    .elcr_mask = 0xF8 };
    /* PIIX: IRQ 0, 1, 2, 8 and 13 are always edge triggered. */
    p->chip[1] = (struct pic_chip){ .base = 0x70, .icw3 = 0x02, .imr = 0xFF,
                    .elcr_mask = 0xDE };
}

bool pic_attach(struct pic *p, struct ports *ports)
{
    return ports_register(ports, 0x20, 0x21, VDEV_W8, p, pic_in, pic_out) &&
           ports_register(ports, 0xA0, 0xA1, VDEV_W8, p, pic_in, pic_out) &&
           ports_register(ports, 0x4D0, 0x4D1, VDEV_W8, p, pic_in, pic_out);
}
