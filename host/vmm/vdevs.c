/*
 * Wiring of the virtual PC.  Every device's interrupt line goes to the 8259
 * pair; the guest's console (COM1) comes out on the host console, a line
 * at a time, prefixed with the guest's name.  Virtual time is host time
 * since the guest started: the models never read a clock themselves.
 */
#include "host/vmm/vdevs.h"
#include "host/vmm/guest.h"
#include "kernel/console.h"
#include "kernel/string.h"
#include "sched/sched.h"

static void com1_tx(void *ctx, uint8_t byte)
{
    struct vdevs *d = ctx;
    if (uart_line_put(&d->line, byte)) {             /* it starts the next line itself */
        kprintf("[%s] %s\n", d->name, d->line.text);
        d->lines++;
    }
}

uint64_t vdevs_now(const struct guest *g)
{
    return time_ns() - g->start_ns;
}

void vdevs_init(struct vdevs *d, struct guest *g)
{
    struct vdev_irq to_pic = { pic_set_irq, &d->pic };
    uint64_t now = 0;
    strncpy_safe(d->name, g->name, sizeof d->name);
    spin_init(&d->lock, "vdevs");
    ports_init(&d->ports);
    pic_init(&d->pic);
    pic_attach(&d->pic, &d->ports);
    pit_init(&d->pit, to_pic, now);
    pit_attach(&d->pit, &d->ports);
    uart_init(&d->com1, to_pic, 4, com1_tx, d);
    uart_attach(&d->com1, &d->ports, 0x3f8);
    rtc_init(&d->rtc, to_pic, 8, 1764000000, g->ram_size, now);   /* a fixed date: runs repeat */
    rtc_attach(&d->rtc, &d->ports);
    kbc_init(&d->kbc, to_pic);
    kbc_attach(&d->kbc, &d->ports);
    ata_init(&d->ata, to_pic, 14, g->disk, g->disk_size);
    ata_attach(&d->ata, &d->ports, 0x1f0, 0x3f6);
    vga_init(&d->vga, g->ram + 0xb8000);
    vga_attach(&d->vga, &d->ports);
}

/* Like a serial line with flow control: bytes wait here until the guest's
 * UART has room (one byte without its FIFO enabled, sixteen with). */
static void feed_input(struct vdevs *d)
{
    while (d->in_tail != d->in_head && uart_rx_room(&d->com1))
        uart_push(&d->com1, d->input[d->in_tail++ % sizeof d->input]);
}

unsigned vdevs_input(struct vdevs *d, const char *s, unsigned n)
{
    unsigned taken = 0;
    for (; taken < n && d->in_head - d->in_tail < sizeof d->input; taken++)
        d->input[d->in_head++ % sizeof d->input] = s[taken];
    feed_input(d);
    return taken;
}

void vdevs_advance(struct vdevs *d, uint64_t now)
{
    pit_advance(&d->pit, now);
    rtc_advance(&d->rtc, now);
    feed_input(d);
}

uint64_t vdevs_next_event(const struct vdevs *d, uint64_t now)
{
    uint64_t a = pit_next_irq(&d->pit, now), b = rtc_next_irq(&d->rtc, now);
    return a < b ? a : b;
}

void vdevs_unlock(struct vdevs *d, uint64_t now)
{
    d->hint_pending = pic_pending(&d->pic);
    d->hint_due = vdevs_next_event(d, now);
    spin_unlock_irq(&d->lock);
}
