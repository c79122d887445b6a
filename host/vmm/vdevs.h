/* The virtual PC around a hosted guest: the device models of host/dev/
 * wired to one port table, one interrupt controller and one clock. */
#pragma once
#include <stdint.h>
#include "host/dev/ports.h"
#include "host/dev/pic.h"
#include "host/dev/pit.h"
#include "host/dev/uart.h"
#include "host/dev/rtc.h"
#include "host/dev/kbc.h"
#include "host/dev/ata.h"
#include "host/dev/vga.h"
#include "host/dev/pci.h"
#include "smp/spinlock.h"

struct guest;

struct vdevs {
    struct spinlock lock;            /* the guest's vCPU and the monitor (input) both reach in */
    struct ports ports;
    struct pic pic;
    struct pit pit;
    struct uart com1;
    struct rtc rtc;
    struct kbc kbc;
    struct ata ata;
    struct vga vga;
    struct pci pci;
    struct uart_line line;           /* guest console output, a line at a time */
    char input[256];                 /* host input waiting for room in COM1's receiver */
    unsigned in_head, in_tail;
    char name[32];
    /* Console lines printed.  A line costs the host ~0.4 ms under TCG (the
     * VGA text scroll, the polled UART), with interrupts off in the trap
     * that wrote its newline: string I/O ends its chunk at one (vdevs_ins). */
    unsigned lines;
    /* Written at every unlock (vdevs_unlock), read without the lock: may a
     * trap find work here (an interrupt pending, a timer due)?  A stale
     * answer costs one trip through the lock, or a delivery at the next
     * trap; it saves every other trap of every vCPU the lock. */
    volatile bool hint_pending;
    volatile uint64_t hint_due;
    volatile struct pic_forecast hint_eoi;  /* and after non-specific EOIs, */
    uint32_t hint_eoi_gen;                  /* foreseen at this pic.gen (costly: made only when it changes) */
    volatile uint32_t hint_ata_status;      /* a status read's answer, BLOCK_ATA_ACK, or BLOCK_ATA_TRAP */
    volatile uint32_t hint_uart_lsr;        /* COM1's LSR as a read would return it, or BLOCK_UART_TRAP */
};

void vdevs_init(struct vdevs *d, struct guest *g);
uint64_t vdevs_now(const struct guest *g);           /* the guest's virtual time, ns */
void vdevs_advance(struct vdevs *d, uint64_t now);   /* timers due, input the UART can take */
unsigned vdevs_input(struct vdevs *d, const char *s, unsigned n);   /* queue host input; returns bytes taken */
uint64_t vdevs_next_event(const struct vdevs *d, uint64_t now);
/* The guest's port accesses (from host/vmm/emulate.c): each one owns the
 * device lock, the guest's time and the hints it leaves, and ends the guest
 * if a device asked for that (isa-debug-exit, a reset).  A string access
 * moves at most n elements of size bytes between the port and buf
 * (downward from its top if down) and stops early after an element that
 * completed a console line or asked for the guest's end: the elements
 * moved. */
uint32_t vdevs_in(struct guest *g, uint16_t port, unsigned size);
void vdevs_out(struct guest *g, uint16_t port, unsigned size, uint32_t val);
uint32_t vdevs_ins(struct guest *g, uint16_t port, unsigned size, uint8_t *buf, uint32_t n, bool down);
uint32_t vdevs_outs(struct guest *g, uint16_t port, unsigned size, uint8_t *buf, uint32_t n, bool down);
/* Byte accesses made as one, under one lock: the patch blocks' log of
 * port writes (and status reads, for their effect), replayed at the next
 * trap (host/vmm/blocks.c).  Only for ports that cannot end the guest:
 * the hints are left once, at the end.  (COM1's THR prints a console line
 * at a newline: at most one line for each of the log's 16 entries.) */
struct vdevs_access {
    uint16_t port;
    uint8_t val;
    bool read;
};
void vdevs_batch(struct guest *g, const struct vdevs_access *a, unsigned n);
/* Release d->lock, leaving the hints for vdevs_may_have_work. */
void vdevs_unlock(struct vdevs *d, uint64_t now);
static inline bool vdevs_may_have_work(const struct vdevs *d, uint64_t now)
{
    return d->hint_pending || now >= d->hint_due;
}
