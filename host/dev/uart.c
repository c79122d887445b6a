/*
 * uart.c — 16550A after the National PC16550D datasheet.
 *
 * Interrupt identification, highest priority first (datasheet table 4):
 *   0110 receiver line status (OE/PE/FE/BI)     cleared by reading LSR
 *   0100 received data available (>= trigger)   cleared when below trigger
 *   1100 character timeout (data below trigger)  cleared by reading RBR
 *   0010 THR empty          cleared by reading IIR (if it is the source) or writing THR
 *   0000 modem status       cleared by reading MSR
 * We signal the timeout as soon as data sits below the trigger level rather
 * than after four character times: drivers handle 0100 and 1100 alike.
 */
#include "host/dev/uart.h"
#include "host/dev/ports.h"

enum {
    IER_RDA = 0x01, IER_THRE = 0x02, IER_RLS = 0x04, IER_MSI = 0x08,
    LCR_DLAB = 0x80,
    MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10,
    LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE = 0x20, LSR_TEMT = 0x40,
    FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02,
    IIR_NONE = 0x01,
};

static bool uart_fifo_on(const struct uart *u)
{
    return u->fcr & FCR_ENABLE;
}

static unsigned uart_capacity(const struct uart *u)
{
    return uart_fifo_on(u) ? UART_FIFO : 1;
}

static unsigned uart_trigger(const struct uart *u)
{
    static const uint8_t level[4] = { 1, 4, 8, 14 };
    return uart_fifo_on(u) ? level[u->fcr >> 6] : 1;
}

static uint8_t uart_iir_id(const struct uart *u)
{
    if ((u->ier & IER_RLS) && u->lsr_err)
        return 0x06;
    if ((u->ier & IER_RDA) && u->rx_len)
        return u->rx_len >= uart_trigger(u) ? 0x04 : 0x0C;
    if ((u->ier & IER_THRE) && u->thre_pending)
        return 0x02;
    if ((u->ier & IER_MSI) && u->msr_delta)
        return 0x00;
    return IIR_NONE;
}

static void uart_update(struct uart *u)
{
    bool gate = !u->irq_needs_out2 || (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
    int level = gate && uart_iir_id(u) != IIR_NONE;
    if (level == u->level)
        return;
    u->level = level;
    vdev_irq_drive(&u->irq, u->irq_num, level);
}

/* Modem status lines as seen in MSR bits 4..7; loopback wires them to MCR:
 * CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2. */
static uint8_t uart_lines(const struct uart *u)
{
    uint8_t m = u->mcr;
    if (!(m & MCR_LOOP))
        return u->msr_in & 0xF0;
    return (uint8_t)((m & MCR_RTS) << 3 | (m & MCR_DTR) << 5 | (m & MCR_OUT1) << 4 |
             (m & MCR_OUT2) << 4);
}

static void uart_lines_changed(struct uart *u, uint8_t old)
{
    uint8_t now = uart_lines(u), diff = old ^ now;
    u->msr_delta |= (diff >> 4) & 0x0B;             /* DCTS, DDSR, DDCD */
    if ((old & 0x40) && !(now & 0x40))
        u->msr_delta |= 0x04;                   /* TERI: RI trailing edge */
}

static bool uart_rx_put(struct uart *u, uint8_t byte)
{
    if (u->rx_len >= uart_capacity(u)) {
        u->lsr_err |= LSR_OE;   /* the new character is lost */
        u->rx_overruns++;
        return false;
    }
    u->rx[(u->rx_head + u->rx_len) % UART_FIFO] = byte;
    u->rx_len++;
    return true;
}

static uint8_t uart_rx_get(struct uart *u)
{
    if (u->rx_len) {        /* empty: RBR still holds the last character */
        u->rx_last = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % UART_FIFO;
        u->rx_len--;
    }
    return u->rx_last;
}

bool uart_push(struct uart *u, uint8_t byte)
{
    bool ok = uart_rx_put(u, byte);
    uart_update(u);
    return ok;
}

unsigned uart_rx_room(const struct uart *u)
{
    return uart_capacity(u) - u->rx_len;
}

void uart_set_modem(struct uart *u, uint8_t msr_lines)
{
    uint8_t old = uart_lines(u);
    u->msr_in = msr_lines & 0xF0;
    uart_lines_changed(u, old);
    uart_update(u);
}

static void uart_thr(struct uart *u, uint8_t byte)
{
    if (u->mcr & MCR_LOOP) {
        uart_rx_put(u, byte);
    } else {
        u->tx_bytes++;
        if (u->tx)
            u->tx(u->tx_ctx, byte);
    }
    /* Writing THR clears the THRE interrupt; the byte leaves at once and THR
     * is empty again — a fresh edge, which an edge-triggered PIC needs. */
    u->thre_pending = false;
    uart_update(u);
    u->thre_pending = true;
}

static void uart_fcr(struct uart *u, uint8_t val)
{
    /* Changing FIFO enable resets both FIFOs; bits 1-2 self-clear. */
    if ((val ^ u->fcr) & FCR_ENABLE || (val & FCR_CLEAR_RX))
        u->rx_len = 0;
    u->fcr = val & 0xC9;
}

static void uart_ier(struct uart *u, uint8_t val)
{
    /* Enabling the THRE interrupt while THR is empty raises it at once. */
    if ((val & IER_THRE) && !(u->ier & IER_THRE))
        u->thre_pending = true;
    u->ier = val & 0x0F;
}

static void uart_mcr(struct uart *u, uint8_t val)
{
    uint8_t old = uart_lines(u);
    u->mcr = val & 0x1F;
    uart_lines_changed(u, old);
}

void uart_out(void *uart, uint16_t port, int size, uint32_t val, uint64_t now)
{
    struct uart *u = uart;
    bool dlab = u->lcr & LCR_DLAB;
    (void)size, (void)now;
    switch (port & 7) {
    case 0: if (dlab) u->dll = (uint8_t)val; else uart_thr(u, (uint8_t)val); break;
    case 1: if (dlab) u->dlm = (uint8_t)val; else uart_ier(u, (uint8_t)val); break;
    case 2: uart_fcr(u, (uint8_t)val); break;
    case 3: u->lcr = (uint8_t)val; break;
    case 4: uart_mcr(u, (uint8_t)val); break;
    case 7: u->scr = (uint8_t)val; break;
    default: break;         /* LSR and MSR are read only */
    }
    uart_update(u);
}

static uint8_t uart_iir(struct uart *u)
{
    uint8_t id = uart_iir_id(u);
    if (id == 0x02)
        u->thre_pending = false;
    return (uint8_t)(id | (uart_fifo_on(u) ? 0xC0 : 0));
}

int uart_lsr_peek(const struct uart *u)
{
    return u->lsr_err ? -1 : (u->rx_len ? LSR_DR : 0) | LSR_THRE | LSR_TEMT;
}

bool uart_thr_may_wait(const struct uart *u)
{
    return !(u->lcr & LCR_DLAB) && !(u->mcr & MCR_LOOP) && !(u->ier & IER_THRE);
}

static uint8_t uart_lsr(struct uart *u)
{
    uint8_t v = (uint8_t)((u->rx_len ? LSR_DR : 0) | u->lsr_err | LSR_THRE | LSR_TEMT);
    u->lsr_err = 0;
    return v;
}

static uint8_t uart_msr(struct uart *u)
{
    uint8_t v = uart_lines(u) | u->msr_delta;
    u->msr_delta = 0;
    return v;
}

uint32_t uart_in(void *uart, uint16_t port, int size, uint64_t now)
{
    struct uart *u = uart;
    bool dlab = u->lcr & LCR_DLAB;
    uint8_t v;
    (void)size, (void)now;
    switch (port & 7) {
    case 0: v = dlab ? u->dll : uart_rx_get(u); break;
    case 1: v = dlab ? u->dlm : u->ier; break;
    case 2: v = uart_iir(u); break;
    case 3: v = u->lcr; break;
    case 4: v = u->mcr; break;
    case 5: v = uart_lsr(u); break;
    case 6: v = uart_msr(u); break;
    default: v = u->scr; break;
    }
    uart_update(u);
    return v;
}

/* Power-on state; modem inputs read as a connected terminal (DCD DSR CTS). */
void uart_init(struct uart *u, struct vdev_irq irq, int irq_num, uart_tx_fn *tx, void *tx_ctx)
{
    *u = (struct uart){ .irq = irq, .irq_num = irq_num, .tx = tx, .tx_ctx = tx_ctx,
                .msr_in = 0xB0, .dll = 0x0C, .thre_pending = true,
                .irq_needs_out2 = true };
}

bool uart_attach(struct uart *u, struct ports *ports, uint16_t base)
{
    return ports_register(ports, base, base + 7, VDEV_W8, u, uart_in, uart_out);
}

/* Feed one output byte; true when l->text holds a complete line (no newline). */
bool uart_line_put(struct uart_line *l, uint8_t byte)
{
    if (l->done)
        l->len = 0, l->done = false;
    if (byte == '\r')
        return false;
    if (byte != '\n')
        l->text[l->len++] = (char)byte;
    l->done = byte == '\n' || l->len == UART_LINE_MAX;
    l->text[l->len] = '\0';
    return l->done;
}
