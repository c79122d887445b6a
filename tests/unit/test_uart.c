/* Unit tests for the 16550A model: driver probes, interrupts, FIFO. */
#include "tests/unit/dev_harness.h"
#include "host/dev/uart.h"
#include "host/dev/ports.h"

#define COM1 0x3F8

static struct uart com;
static struct ports io;
static struct irq_log irqs;
static char sent[256];
static size_t nsent;

static void tx(void *ctx, uint8_t byte)
{
    (void)ctx;
    if (nsent < sizeof sent - 1)
        sent[nsent++] = (char)byte;
}

static void outb(uint16_t port, uint8_t val) { ports_out(&io, port, 1, val, 0); }
static uint8_t inb(uint16_t port) { return (uint8_t)ports_in(&io, port, 1, 0); }

static int setup(void **state)
{
    (void)state;
    memset(&irqs, 0, sizeof irqs);
    memset(sent, 0, sizeof sent);
    nsent = 0;
    ports_init(&io);
    uart_init(&com, (struct vdev_irq){ irq_log_set, &irqs }, 4, tx, NULL);
    assert_true(uart_attach(&com, &io, COM1));
    return 0;
}

/* Linux 8250 autoconfig(): IER probe, loopback probe, FIFO type. */
static void test_linux_autoconfig(void **state)
{
    (void)state;
    outb(COM1 + 1, 0);
    assert_int_equal(inb(COM1 + 1) & 0x0F, 0);
    outb(COM1 + 1, 0x0F);
    assert_int_equal(inb(COM1 + 1) & 0x0F, 0x0F);
    outb(COM1 + 1, 0);
    outb(COM1 + 4, 0x10 | 0x0A);            /* LOOP | OUT2 | RTS */
    assert_int_equal(inb(COM1 + 6) & 0xF0, 0x90);   /* DCD | CTS */
    outb(COM1 + 4, 0);
    outb(COM1 + 2, 0x01);
    assert_int_equal(inb(COM1 + 2) >> 6, 3);        /* FIFO works: 16550A */
    outb(COM1 + 3, 0xBF);                   /* EFR probe reads IIR on a 16550A */
    assert_int_not_equal(inb(COM1 + 2), 0);
    outb(COM1 + 3, 0x80);
    outb(COM1 + 2, 0x21);                   /* 16750 64-byte FIFO bit stays 0 */
    assert_int_equal(inb(COM1 + 2) & 0x20, 0);
    outb(COM1 + 7, 0x55);
    assert_int_equal(inb(COM1 + 7), 0x55);
}

static void test_divisor_latch(void **state)
{
    (void)state;
    outb(COM1 + 3, 0x80);
    outb(COM1 + 0, 0x01);
    outb(COM1 + 1, 0x00);
    assert_int_equal(inb(COM1 + 0), 0x01);
    assert_int_equal(inb(COM1 + 1), 0x00);
    outb(COM1 + 3, 0x03);
    outb(COM1 + 0, 'A');                    /* THR again */
    assert_int_equal(nsent, 1);
    assert_int_equal(com.dll, 1);
}

/* xv6 uart.c: FIFO off, 9600 8N1, MCR 0, receive interrupts on. */
static void test_xv6_init_and_putc(void **state)
{
    static const char msg[] = "xv6...\n";
    (void)state;
    outb(COM1 + 2, 0);
    outb(COM1 + 3, 0x80);
    outb(COM1 + 0, 115200 / 9600);
    outb(COM1 + 1, 0);
    outb(COM1 + 3, 0x03);
    outb(COM1 + 4, 0);
    outb(COM1 + 1, 0x01);
    assert_int_not_equal(inb(COM1 + 5), 0xFF);      /* "no serial port" test */
    inb(COM1 + 2);
    inb(COM1 + 0);
    for (const char *c = msg; *c; c++) {
        int i;
        for (i = 0; i < 128 && !(inb(COM1 + 5) & 0x20); i++)
            ;
        assert_int_equal(i, 0);
        outb(COM1 + 0, (uint8_t)*c);
    }
    assert_string_equal(sent, msg);
    uart_push(&com, 'x');
    assert_int_equal(irqs.rises[4], 0);     /* MCR OUT2 = 0 gates IRQ4 on a PC */
    assert_int_equal(inb(COM1 + 5) & 0x01, 0x01);
    assert_int_equal(inb(COM1 + 0), 'x');
}

static void test_rx_interrupt_and_trigger(void **state)
{
    (void)state;
    outb(COM1 + 4, 0x0B);                   /* DTR RTS OUT2 */
    outb(COM1 + 2, 0xC7);                   /* FIFO, trigger 14 */
    outb(COM1 + 1, 0x01);
    for (int i = 0; i < 13; i++)
        assert_true(uart_push(&com, (uint8_t)('a' + i)));
    assert_int_equal(irqs.level[4], 1);
    assert_int_equal(inb(COM1 + 2), 0xCC);  /* below trigger: timeout id */
    uart_push(&com, 'n');
    assert_int_equal(inb(COM1 + 2), 0xC4);
    for (int i = 0; i < 14; i++)
        assert_int_equal(inb(COM1 + 0), 'a' + i);
    assert_int_equal(irqs.level[4], 0);
    assert_int_equal(inb(COM1 + 2), 0xC1);
    assert_int_equal(uart_rx_room(&com), UART_FIFO);
}

static void test_thre_interrupt_quirk(void **state)
{
    (void)state;
    outb(COM1 + 4, 0x08);
    outb(COM1 + 1, 0x02);                   /* enabling ETBEI with THR empty fires */
    assert_int_equal(irqs.rises[4], 1);
    assert_int_equal(inb(COM1 + 2), 0x02);
    assert_int_equal(irqs.level[4], 0);     /* reading IIR cleared it */
    assert_int_equal(inb(COM1 + 2), 0x01);
    outb(COM1 + 0, 'z');                    /* the byte leaves: THR empty again */
    assert_int_equal(irqs.rises[4], 2);
    assert_int_equal(inb(COM1 + 2), 0x02);
}

static void test_iir_priority(void **state)
{
    (void)state;
    outb(COM1 + 4, 0x08);
    outb(COM1 + 1, 0x0F);
    uart_set_modem(&com, 0xA0);             /* CTS dropped: modem status */
    uart_push(&com, '1');
    assert_false(uart_push(&com, '2'));     /* FIFO off: overrun */
    assert_int_equal(inb(COM1 + 2), 0x06);  /* line status first */
    assert_int_equal(inb(COM1 + 5) & 0x03, 0x03);   /* OE | DR, OE clears */
    assert_int_equal(inb(COM1 + 2), 0x04);
    assert_int_equal(inb(COM1 + 0), '1');
    assert_int_equal(inb(COM1 + 2), 0x02);  /* THRE, cleared by this read */
    assert_int_equal(inb(COM1 + 2), 0x00);  /* modem status */
    assert_int_equal(inb(COM1 + 6), 0xA1);  /* DCD DSR, delta CTS */
    assert_int_equal(inb(COM1 + 2), 0x01);
    assert_int_equal(irqs.level[4], 0);
}

static void test_loopback_stays_inside(void **state)
{
    (void)state;
    outb(COM1 + 2, 0x07);
    outb(COM1 + 4, 0x1F);
    outb(COM1 + 0, 0x5A);
    assert_int_equal(nsent, 0);
    assert_int_equal(inb(COM1 + 5) & 1, 1);
    assert_int_equal(inb(COM1 + 0), 0x5A);
    assert_int_equal(inb(COM1 + 6) & 0xF0, 0xF0);
}

static void test_qemu_style_irq_without_out2(void **state)
{
    (void)state;
    com.irq_needs_out2 = false;
    outb(COM1 + 1, 0x01);
    uart_push(&com, 'q');
    assert_int_equal(irqs.level[4], 1);
}

static void test_line_helper(void **state)
{
    struct uart_line l = { 0 };
    const char *in = "hello\r\nworld\n";
    int lines = 0;
    (void)state;
    for (const char *c = in; *c; c++)
        if (uart_line_put(&l, (uint8_t)*c))
            assert_string_equal(l.text, lines++ ? "world" : "hello");
    assert_int_equal(lines, 2);
    for (int i = 0; i < UART_LINE_MAX; i++)
        lines += uart_line_put(&l, 'x');
    assert_int_equal(lines, 3);             /* a full buffer ends a line too */
}

static void test_hostile_writes(void **state)
{
    uint32_t x = 99;
    (void)state;
    for (int i = 0; i < 100000; i++) {
        x = x * 1103515245 + 12345;
        uint16_t port = COM1 + ((x >> 8) & 7);
        if (x & 0x80000000)
            outb(port, (uint8_t)(x >> 16));
        else
            inb(port);
        if ((x & 0x300) == 0)
            uart_push(&com, (uint8_t)x);
        assert_true(com.rx_len <= UART_FIFO);
    }
}

/* uart_lsr_peek, the copy patch blocks answer LSR reads from: through
 * random port traffic and input, whenever it gives a value, a real read
 * returns that value and leaves the UART as it was (the interrupt line
 * too); when it declines, the read has something to clear. */
static void test_lsr_peek(void **state)
{
    uint32_t x = 7, answered = 0, declined = 0;
    (void)state;
    for (int i = 0; i < 100000; i++) {
        x = x * 1103515245 + 12345;
        uint16_t port = COM1 + ((x >> 8) & 7);
        if (port != COM1 + 5) {
            if (x & 0x80000000)
                outb(port, (uint8_t)(x >> 16));
            else
                inb(port);
        }
        if ((x & 0x700) == 0)
            uart_push(&com, (uint8_t)x);             /* sometimes past the FIFO: an overrun */
        int peek = uart_lsr_peek(&com);
        struct uart before = com;
        struct irq_log irq_before = irqs;
        uint8_t lsr = inb(COM1 + 5);
        if (peek < 0) {
            declined++;
            assert_int_not_equal(lsr & 0x1e, 0);     /* an error bit it cleared */
            continue;
        }
        answered++;
        assert_int_equal(lsr, peek);
        assert_memory_equal(&com, &before, sizeof com);
        assert_memory_equal(&irqs, &irq_before, sizeof irqs);
    }
    assert_true(answered > 1000 && declined > 10);
}

/* uart_thr_may_wait, which lets patch blocks log THR writes for later:
 * whenever it says so, a write to port 0 sends the byte and changes
 * nothing else (the interrupt line included); DLAB, loopback and the
 * THR-empty interrupt each make it say no. */
static void test_thr_may_wait(void **state)
{
    uint32_t x = 11, waited = 0;
    (void)state;
    for (int i = 0; i < 100000; i++) {
        x = x * 1103515245 + 12345;
        uint16_t port = COM1 + ((x >> 8) & 7);
        if (port != COM1) {
            if (x & 0x80000000)
                outb(port, (uint8_t)(x >> 16) & ((x & 0x3000) ? 0x7d : 0xff));   /* often no DLAB, no THRE interrupt */
            else
                inb(port);
        }
        if ((x & 0x700) == 0)
            uart_push(&com, (uint8_t)x);
        if (!uart_thr_may_wait(&com))
            continue;
        waited++;
        struct uart before = com;
        struct irq_log irq_before = irqs;
        size_t sent_before = nsent;
        outb(COM1, (uint8_t)(x >> 4));
        assert_int_equal(com.tx_bytes, before.tx_bytes + 1);
        assert_true(nsent == sent_before + 1 || nsent == sizeof sent - 1);
        before.tx_bytes = com.tx_bytes;
        before.thre_pending = com.thre_pending;      /* unseen while its interrupt is off: enabling it sets it */
        assert_memory_equal(&com, &before, sizeof com);
        assert_memory_equal(&irqs, &irq_before, sizeof irqs);
    }
    assert_true(waited > 1000);
    outb(COM1 + 3, 0x80);
    assert_false(uart_thr_may_wait(&com));                 /* DLAB: port 0 is the divisor latch */
    outb(COM1 + 3, 0x03);
    outb(COM1 + 4, 0x10);
    assert_false(uart_thr_may_wait(&com));                 /* loopback: the byte comes back as input */
    outb(COM1 + 4, 0x0b);
    outb(COM1 + 1, 0x02);
    assert_false(uart_thr_may_wait(&com));                 /* a THR-empty interrupt to clear and raise */
    outb(COM1 + 1, 0x00);
    assert_true(uart_thr_may_wait(&com));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_linux_autoconfig, setup),
        cmocka_unit_test_setup(test_divisor_latch, setup),
        cmocka_unit_test_setup(test_xv6_init_and_putc, setup),
        cmocka_unit_test_setup(test_rx_interrupt_and_trigger, setup),
        cmocka_unit_test_setup(test_thre_interrupt_quirk, setup),
        cmocka_unit_test_setup(test_iir_priority, setup),
        cmocka_unit_test_setup(test_loopback_stays_inside, setup),
        cmocka_unit_test_setup(test_qemu_style_irq_without_out2, setup),
        cmocka_unit_test_setup(test_line_helper, setup),
        cmocka_unit_test_setup(test_hostile_writes, setup),
        cmocka_unit_test_setup(test_lsr_peek, setup),
        cmocka_unit_test_setup(test_thr_may_wait, setup),
    };
    DEV_RUN_TESTS(tests, 12);
}
