/*
 * pit.h — 8254 programmable interval timer at 1193182 Hz (ports 0x40-0x43)
 * and the channel 2 gate / OUT2 bits of system control port B (0x61).
 *
 * Counting is computed from virtual time, never stepped: a channel remembers
 * when its count was loaded, and everything (count, OUT, status) derives from
 * the ticks elapsed since.  Only channel 0's OUT is wired to IRQ0.
 *
 * The host calls pit_next_irq() to learn when IRQ0 is next due (to program a
 * real timer, or to let a hlt-ing guest sleep until then) and pit_advance()
 * when time has passed; every port access advances first.  Missed ticks: if
 * several rising edges of OUT0 happened since the last advance, the PIC gets
 * one edge (its IRR holds one request, exactly like hardware whose CPU ran
 * with interrupts off); the others are counted in irq0_missed.
 */
#ifndef PEEL_DEV_PIT_H
#define PEEL_DEV_PIT_H

#include "host/dev/vdev.h"

#define PIT_HZ 1193182u

struct ports;

struct pit_channel {
    uint8_t mode;           /* 0..5 */
    uint8_t mode_bits;      /* M2..M0 as written, for the status byte */
    uint8_t access;         /* 1 lobyte, 2 hibyte, 3 lobyte then hibyte */
    bool bcd;
    uint16_t cr;            /* count register as written */
    uint32_t n;             /* count in the counting element, 1..65536 */
    bool armed;             /* counting (modes 1 and 5: triggered) */
    bool gate;
    bool null_count;        /* CR written but not yet moved into the CE */
    /* A count written while modes 2/3 run takes over at the period's end. */
    bool pending;
    uint32_t pending_n;
    int64_t pending_at;     /* in ticks, same scale as base */
    /* ticks counted = base + ticks since load_ns (base alone when stopped) */
    int64_t base;
    uint64_t load_ns;
    bool write_hi;          /* lohi write flip-flop: next byte is the MSB */
    uint8_t write_lsb;
    bool read_hi;           /* lohi read flip-flop */
    bool count_latched, status_latched;
    uint16_t latch;
    uint8_t status;
};

struct pit {
    struct pit_channel ch[3];
    struct vdev_irq irq;
    uint64_t last;          /* time of the last advance */
    int out0;               /* level last driven on IRQ0 */
    uint8_t port61;         /* bits 1..3 of port 0x61 as written */
    uint64_t irq0_edges;    /* rising edges delivered to the PIC */
    uint64_t irq0_missed;   /* rising edges folded into a single delivery */
};

void pit_init(struct pit *p, struct vdev_irq irq, uint64_t now);
bool pit_attach(struct pit *p, struct ports *ports);
void pit_advance(struct pit *p, uint64_t now);
uint64_t pit_next_irq(const struct pit *p, uint64_t now);
uint32_t pit_in(void *pit, uint16_t port, int size, uint64_t now);
void pit_out(void *pit, uint16_t port, int size, uint32_t val, uint64_t now);

#endif
