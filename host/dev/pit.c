/*
 * pit.c — 8254 model, after the Intel 8254 datasheet (order 231164): the
 * programming interface (control words, counts, latches, read-back, GATE)
 * and IRQ0.  What a channel reads at a given time is pit_count.c's job.
 */
#include "host/dev/pit.h"
#include "host/dev/pit_count.h"
#include "host/dev/ports.h"

enum { ACCESS_LO = 1, ACCESS_HI = 2, ACCESS_LOHI = 3 };

static void pit_drive0(struct pit *p, int level)
{
    if (level == p->out0)
        return;
    p->out0 = level;
    if (level)
        p->irq0_edges++;
    vdev_irq_drive(&p->irq, 0, level);
}

void pit_advance(struct pit *p, uint64_t now)
{
    uint64_t rises;
    if (now < p->last)
        now = p->last;          /* virtual time never runs backwards */
    rises = pit_rises_between(&p->ch[0], p->last, now);
    for (int i = 0; i < 3; i++)
        pit_settle(&p->ch[i], now);
    p->last = now;
    if (rises) {
        pit_drive0(p, 0);
        pit_drive0(p, 1);
        p->irq0_missed += rises - 1;
    }
    pit_drive0(p, pit_out_level(&p->ch[0], now));
}

uint64_t pit_next_irq(const struct pit *p, uint64_t now)
{
    const struct pit_channel *c = &p->ch[0];
    if (now < p->last)
        now = p->last;
    if (pit_rises_between(c, p->last, now))
        return now;             /* due already: advance now */
    return pit_next_edge(c, now);
}

static void pit_start(struct pit_channel *c, uint32_t n, uint64_t now)
{
    c->n = n;
    c->base = 0;
    c->load_ns = now;
    c->armed = true;
    c->pending = false;
    c->null_count = false;
}

static uint32_t pit_decode(const struct pit_channel *c, uint16_t cr)
{
    uint32_t v = cr, m = pit_modulus(c);
    if (c->bcd)
        v = (cr >> 12 & 15) * 1000 + (cr >> 8 & 15) * 100 + (cr >> 4 & 15) * 10 + (cr & 15);
    v %= m;
    return v ? v : m;       /* "0 is the maximum count": 65536, or 10^4 in BCD */
}

static uint16_t pit_encode(const struct pit_channel *c, uint32_t v)
{
    if (!c->bcd)
        return (uint16_t)v;
    return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

/* A complete count arrived in CR: when it reaches the CE depends on the mode. */
static void pit_load(struct pit_channel *c, uint64_t now)
{
    uint32_t n = pit_decode(c, c->cr);
    int64_t d;
    c->null_count = true;
    switch (c->mode) {
    case 1: case 5:
        break;          /* loaded by the next trigger on GATE */
    case 2: case 3:
        /* "a new count ... will be loaded at the end of the current period" */
        if (c->armed && c->gate) {
            d = pit_raw(c, now);
            if (!c->pending)
                c->pending_at = pit_next_rise(c->mode, c->n, d);
            c->pending = true;
            c->pending_n = n;
            break;
        }
        pit_start(c, n, now);
        break;
    default:
        pit_start(c, n, now);
        break;
    }
}

static void pit_write_count(struct pit_channel *c, uint8_t byte, uint64_t now)
{
    switch (c->access) {
    case ACCESS_LO:
        c->cr = byte;
        break;
    case ACCESS_HI:
        c->cr = (uint16_t)(byte << 8);
        break;
    default:
        if (!c->write_hi) {
            c->write_lsb = byte;
            c->write_hi = true;
            return;
        }
        c->cr = (uint16_t)(c->write_lsb | byte << 8);
        c->write_hi = false;
        break;
    }
    pit_load(c, now);
}

static uint8_t pit_status(const struct pit_channel *c, uint64_t now)
{
    bool null = c->null_count;
    if (c->pending)
        null = pit_raw(c, now) < c->pending_at;
    return (uint8_t)(pit_out_level(c, now) << 7 | null << 6 | c->access << 4 |
             c->mode_bits << 1 | c->bcd);
}

static void pit_latch_count(struct pit_channel *c, uint64_t now)
{
    /* "If a Counter is latched and then, some time later, latched again
     * before the count is read, the second Counter Latch Command is ignored." */
    if (c->count_latched)
        return;
    c->latch = pit_encode(c, pit_value(c, now));
    c->count_latched = true;
}

static void pit_readback(struct pit *p, uint8_t val, uint64_t now)
{
    for (int i = 0; i < 3; i++) {
        struct pit_channel *c = &p->ch[i];
        if (!(val & (2 << i)))
            continue;
        if (!(val & 0x20))
            pit_latch_count(c, now);
        if (!(val & 0x10) && !c->status_latched) {
            c->status = pit_status(c, now);
            c->status_latched = true;
        }
    }
}

static void pit_control(struct pit *p, uint8_t val, uint64_t now)
{
    struct pit_channel *c;
    uint32_t v;
    if ((val >> 6) == 3) {
        pit_readback(p, val, now);
        return;
    }
    c = &p->ch[val >> 6];
    if (!(val & 0x30)) {
        pit_latch_count(c, now);
        return;
    }
    /* "When a Control Word is written to a Counter, all Control Logic is
     * immediately reset and OUT goes to a known initial state."  Counting
     * stops until a count is written; the CE keeps its value meanwhile. */
    v = pit_value(c, now);
    c->access = (val >> 4) & 3;
    c->mode_bits = (val >> 1) & 7;
    c->mode = c->mode_bits > 5 ? c->mode_bits - 4 : c->mode_bits;
    c->bcd = val & 1;
    c->n = v ? v : pit_modulus(c);
    c->base = 0;
    c->armed = c->pending = false;
    c->null_count = true;
    c->write_hi = c->read_hi = false;
    c->count_latched = c->status_latched = false;
}

static uint8_t pit_read_byte(struct pit_channel *c, uint16_t v)
{
    bool last = true;
    uint8_t b;
    if (c->access == ACCESS_LO) {
        b = (uint8_t)v;
    } else if (c->access == ACCESS_HI) {
        b = (uint8_t)(v >> 8);
    } else {
        b = c->read_hi ? (uint8_t)(v >> 8) : (uint8_t)v;
        last = c->read_hi;
        c->read_hi = !c->read_hi;
    }
    if (last)
        c->count_latched = false;
    return b;
}

static uint8_t pit_read(struct pit_channel *c, uint64_t now)
{
    if (c->status_latched) {
        c->status_latched = false;      /* status first, then a latched count */
        return c->status;
    }
    if (c->count_latched)
        return pit_read_byte(c, c->latch);
    return pit_read_byte(c, pit_encode(c, pit_value(c, now)));
}

static void pit_set_gate(struct pit_channel *c, bool gate, uint64_t now)
{
    if (gate == c->gate)
        return;
    if (!gate) {
        if (c->mode != 1 && c->mode != 5)
            c->base = pit_raw(c, now);      /* counting suspends */
        c->gate = false;
        return;
    }
    c->gate = true;
    if (c->mode == 1 || c->mode == 5) {
        pit_start(c, pit_decode(c, c->cr), now);        /* trigger */
    } else if (c->mode == 2 || c->mode == 3) {
        if (c->armed)           /* a rising GATE reloads */
            pit_start(c, c->pending ? c->pending_n : c->n, now);
    } else {
        c->load_ns = now;       /* modes 0, 4 resume */
    }
}

/* Port 0x61 bit 4 toggles with every DRAM refresh, 15.09 us (18 PIT clocks);
 * BIOSes and some kernels time short delays on it. */
static uint8_t pit_port61(const struct pit *p, uint64_t now)
{
    uint8_t refresh = (vdev_ticks(now, PIT_HZ) / 18) & 1;
    return (uint8_t)(p->ch[2].gate | (p->port61 & 0x0E) | refresh << 4 |
             pit_out_level(&p->ch[2], now) << 5);
}

uint32_t pit_in(void *pit, uint16_t port, int size, uint64_t now)
{
    struct pit *p = pit;
    (void)size;
    pit_advance(p, now);
    if (port == 0x61)
        return pit_port61(p, now);
    if (port == 0x43)
        return 0xFF;    /* the control word register is write only */
    return pit_read(&p->ch[port & 3], now);
}

void pit_out(void *pit, uint16_t port, int size, uint32_t val, uint64_t now)
{
    struct pit *p = pit;
    (void)size;
    pit_advance(p, now);
    if (port == 0x61) {
        p->port61 = val & 0x0E;
        pit_set_gate(&p->ch[2], val & 1, now);
    } else if (port == 0x43) {
        pit_control(p, (uint8_t)val, now);
    } else {
        pit_write_count(&p->ch[port & 3], (uint8_t)val, now);
    }
    pit_drive0(p, pit_out_level(&p->ch[0], now));
}

/* As a PC BIOS leaves it: channel 0 in mode 3 with count 0 (18.2 Hz), channel
 * 1 in mode 2 with 18 (refresh), channel 2 unprogrammed with GATE low. */
void pit_init(struct pit *p, struct vdev_irq irq, uint64_t now)
{
    *p = (struct pit){ .irq = irq, .last = now };
    for (int i = 0; i < 3; i++) {
        struct pit_channel *c = &p->ch[i];
        c->access = ACCESS_LOHI;
        c->gate = i != 2;
        c->n = 65536;
    }
    pit_control(p, 0x36, now);
    pit_write_count(&p->ch[0], 0, now);
    pit_write_count(&p->ch[0], 0, now);
    pit_control(p, 0x54, now);
    pit_write_count(&p->ch[1], 18, now);
    p->out0 = pit_out_level(&p->ch[0], now);
}

bool pit_attach(struct pit *p, struct ports *ports)
{
    return ports_register(ports, 0x40, 0x43, VDEV_W8, p, pit_in, pit_out) &&
           ports_register(ports, 0x61, 0x61, VDEV_W8, p, pit_in, pit_out);
}
