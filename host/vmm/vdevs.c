/*
 * Wiring of the virtual PC.  Every device's interrupt line goes to the 8259
 * pair, and the BIOS data area says which devices there are
 * (host/dev/bda.h).  The guest's console (COM1) comes out on the host
 * console, a line at a time, prefixed with the guest's name.  Virtual time
 * is host time since the guest started: the models never read a clock
 * themselves.
 */
#include "host/vmm/vdevs.h"
#include "host/vmm/guest.h"
#include "host/dev/bda.h"
#include "kernel/console.h"
#include "kernel/string.h"
#include "kernel/printf.h"
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
    pci_init(&d->pci);                   /* a PCI bus with nothing on it: what isapc's PCI BIOS reports */
    pci_attach(&d->pci, &d->ports);
    /* What a BIOS would have told the kernel about this PC: COM1 only, no
     * LPT, an FPU, the VGA in text mode, 639 KiB of base memory and a
     * 1 KiB EBDA at 0x9FC00 (the memory map reserves from there). */
    static const struct bda_pc pc = { .com = { 0x3f8 }, .fpu = true, .vga_text = true, .base_kib = 640 };
    bda_fill(g->ram, &pc);
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

/* The models' view of the guest's time for the next trap, without the
 * lock: an interrupt pending, the next timer due. */
void vdevs_unlock(struct vdevs *d, uint64_t now)
{
    d->hint_pending = pic_pending(&d->pic);
    d->hint_due = vdevs_next_event(d, now);
    if (d->hint_eoi_gen != d->pic.gen) {
        d->hint_eoi = pic_forecast(&d->pic);
        d->hint_eoi_gen = d->pic.gen;
    }
    bool acks, edge = !d->pic.chip[1].ltim && !(d->pic.chip[1].elcr & 1u << (14 - 8));
    int status = ata_status_read(&d->ata, &acks);
    d->hint_ata_status = status < 0 || (acks && !edge) ? 0x100u :            /* BLOCK_ATA_TRAP */
                         (uint32_t)status | (acks ? 0x200u : 0);             /* BLOCK_ATA_ACK */
    int lsr = uart_lsr_peek(&d->com1);
    d->hint_uart_lsr = (lsr < 0 ? 0x100u : (uint32_t)lsr) |                /* BLOCK_UART_TRAP */
                       (uart_thr_may_wait(&d->com1) ? 0x200u : 0);          /* BLOCK_UART_THR_LOG */
    spin_unlock_irq(&d->lock);
}

/* ---- the guest's port accesses ---------------------------------------------
 * Each takes the device lock, gives the models the guest's time, leaves the
 * hints for the next trap (vdevs_unlock), and then carries out what a
 * device asked of the machine: isa-debug-exit ends the guest as QEMU would
 * end its run; a reset request (8042 pulse, port 0x92) ends it too, since
 * the host has no way to restart an image yet. */

static void device_requests(struct guest *g)
{
    struct ports *p = &g->dev.ports;
    const struct kbc *k = &g->dev.kbc;
    char why[64];
    if (p->exit_requested) {
        int status = p->exit_status >> 1;
        snprintf(why, sizeof why, "wrote %d to the debug-exit port", status);
        guest_end(g, GUEST_EXITED, status, why);
        return;
    }
    switch (k->reset_requested) {
    case KBC_RESET_NONE: return;
    case KBC_RESET_PULSE: snprintf(why, sizeof why, "reset requested: 8042 command 0x%x", k->reset_command); break;
    case KBC_RESET_OUTPORT: snprintf(why, sizeof why, "reset requested: 8042 output port bit 0 written low"); break;
    default: snprintf(why, sizeof why, "reset requested: port 0x92 bit 0"); break;
    }
    guest_end(g, GUEST_DEAD, -1, why);
}

/* A port access sees the devices as they are now: a timer that came due
 * since the last trap raises its line first (the PIC's IRR, the RTC's
 * flags), as it would have on a PC, where lines rise with time and not
 * when the CPU could take an interrupt.  (Otherwise the models move only
 * when an interrupt may be delivered: a guest polling the PIC with IF
 * clear would wait for ever.) */
static void lock_now(struct vdevs *d, uint64_t now)
{
    spin_lock_irq(&d->lock);
    if (now >= d->hint_due)
        vdevs_advance(d, now);
}

uint32_t vdevs_in(struct guest *g, uint16_t port, unsigned size)
{
    struct vdevs *d = &g->dev;
    uint64_t now = vdevs_now(g);
    lock_now(d, now);
    uint32_t val = ports_in(&d->ports, port, size, now);
    vdevs_unlock(d, now);
    device_requests(g);
    return val;
}

void vdevs_out(struct guest *g, uint16_t port, unsigned size, uint32_t val)
{
    struct vdevs *d = &g->dev;
    uint64_t now = vdevs_now(g);
    lock_now(d, now);
    ports_out(&d->ports, port, size, val, now);
    vdevs_unlock(d, now);
    device_requests(g);
}

void vdevs_batch(struct guest *g, const struct vdevs_access *a, unsigned n)
{
    struct vdevs *d = &g->dev;
    uint64_t now = vdevs_now(g);
    lock_now(d, now);
    for (unsigned i = 0; i < n; i++) {
        if (a[i].read)
            (void)ports_in(&d->ports, a[i].port, 1, now);
        else
            ports_out(&d->ports, a[i].port, 1, a[i].val, now);
    }
    vdevs_unlock(d, now);
}

/* A console line was printed, or a device asked for the guest's end. */
static bool chunk_over(const struct vdevs *d, unsigned lines)
{
    return d->lines != lines || d->ports.exit_requested || d->kbc.reset_requested;
}

/* Element i of a string access lies at buf + i * size, or, running down,
 * at the top of buf less (i + 1) * size.  Element by element, stopping
 * after one that printed a line or asked for the guest's end; a device
 * that moves runs (the ATA data port: ports_register_runs) does neither,
 * and takes an ascending access whole (a sector is then one copy, not 256
 * calls of ~250 instructions each). */
static uint32_t string_io(struct guest *g, uint16_t port, unsigned size, uint8_t *buf, uint32_t n, bool down,
                          bool is_in)
{
    struct vdevs *d = &g->dev;
    uint64_t now = vdevs_now(g);
    uint32_t done = 0;
    spin_lock_irq(&d->lock);
    if (!down && ports_runs(&d->ports, port, (int)size, is_in)) {
        if (is_in) ports_ins(&d->ports, port, (int)size, buf, n, now);
        else ports_outs(&d->ports, port, (int)size, buf, n, now);
        done = n;
    }
    for (unsigned lines = d->lines; done < n && !chunk_over(d, lines); done++) {
        uint8_t *at = down ? buf + (uint64_t)n * size - (done + 1) * size : buf + done * size;
        if (is_in) ports_ins(&d->ports, port, size, at, 1, now);
        else ports_outs(&d->ports, port, size, at, 1, now);
    }
    vdevs_unlock(d, now);
    device_requests(g);
    return done;
}

uint32_t vdevs_ins(struct guest *g, uint16_t port, unsigned size, uint8_t *buf, uint32_t n, bool down)
{
    return string_io(g, port, size, buf, n, down, true);
}

uint32_t vdevs_outs(struct guest *g, uint16_t port, unsigned size, uint8_t *buf, uint32_t n, bool down)
{
    return string_io(g, port, size, buf, n, down, false);
}
