/*
 * uart.h — 16550A UART (COM1 0x3F8/IRQ4, COM2 0x2F8/IRQ3, ...).
 *
 * Transmission is instantaneous: a byte written to THR goes straight to the
 * tx callback (the host prints it prefixed with the guest's name), so THR
 * and the transmitter always read empty.  The host feeds input with
 * uart_push().  On a PC the IRQ line is gated by MCR OUT2; irq_needs_out2
 * (default true) keeps that, false behaves like QEMU, which ignores OUT2.
 */
#ifndef PEEL_DEV_UART_H
#define PEEL_DEV_UART_H

#include "host/dev/vdev.h"

#define UART_FIFO     16
/* A guest console line longer than this is cut into several on the host's
 * console: room for Linux's longest boot lines (its version line is ~190
 * characters), and with "[name] " still within kprintf's 512 bytes. */
#define UART_LINE_MAX 400

struct ports;
typedef void uart_tx_fn(void *ctx, uint8_t byte);

struct uart {
    uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
    uint8_t lsr_err;        /* OE (the only error we can produce), sticky until LSR read */
    uint8_t msr_in;         /* modem inputs from the host: CTS DSR RI DCD in bits 4..7 */
    uint8_t msr_delta;      /* MSR bits 0..3 */
    uint8_t rx[UART_FIFO];
    uint8_t rx_head, rx_len, rx_last;
    bool thre_pending;      /* THR-empty interrupt not yet acknowledged */
    bool irq_needs_out2;
    int irq_num, level;
    struct vdev_irq irq;
    uart_tx_fn *tx;
    void *tx_ctx;
    uint64_t tx_bytes, rx_overruns;
};

/* Optional helper for the host: gather output bytes into lines. */
struct uart_line {
    char text[UART_LINE_MAX + 1];
    unsigned len;
    bool done;
};

void uart_init(struct uart *u, struct vdev_irq irq, int irq_num, uart_tx_fn *tx, void *tx_ctx);
bool uart_attach(struct uart *u, struct ports *ports, uint16_t base);
bool uart_push(struct uart *u, uint8_t byte);   /* false: FIFO full, byte lost (OE) */
unsigned uart_rx_room(const struct uart *u);
void uart_set_modem(struct uart *u, uint8_t msr_lines);  /* CTS DSR RI DCD, bits 4..7 */
uint32_t uart_in(void *uart, uint16_t port, int size, uint64_t now);
/* What a read of LSR returns now, or -1 if that read would change
 * something (it clears a line status error, and its interrupt). */
int uart_lsr_peek(const struct uart *u);
/* Would a write to port 0 now only send the byte (THR, not the divisor
 * latch; no loopback; no THR-empty interrupt to clear and raise again)?
 * Then it may wait for the host's next look (the patch blocks' log). */
bool uart_thr_may_wait(const struct uart *u);
void uart_out(void *uart, uint16_t port, int size, uint32_t val, uint64_t now);
bool uart_line_put(struct uart_line *l, uint8_t byte);

#endif
