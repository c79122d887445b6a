/*
 * Host console.  Output goes to COM1 (polled: output must work in panic, with
 * interrupts off) and to VGA text memory.  Input arrives by COM1's receive
 * interrupt into a ring that the monitor thread sleeps on.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>
#include "kernel/console.h"
#include "kernel/printf.h"
#include "kernel/x86.h"
#include "kernel/vm.h"
#include "kernel/trap.h"
#include "smp/spinlock.h"
#include "smp/ioapic.h"
#include "sched/waitq.h"

#define COM1 0x3f8
enum { UART_DATA, UART_IER, UART_FCR, UART_LCR, UART_MCR, UART_LSR };
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20

static struct spinlock console_lock = SPINLOCK_INIT("console");
static volatile uint16_t *const vga = (uint16_t *)(KERNEL_VMA + 0xb8000);
static int vga_col, vga_row;

static char inbuf[256];
static unsigned in_head, in_tail;            /* under console_lock */
static struct waitq input_wq = WAITQ_INIT(input_wq, "console input");

void console_init(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, 0x80);                /* DLAB: divisor follows */
    outb(COM1 + UART_DATA, 1);                  /* 115200 baud */
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, 0x03);                /* 8N1 */
    outb(COM1 + UART_FCR, 0x07);                /* FIFO on, cleared */
    outb(COM1 + UART_MCR, 0x0b);                /* DTR, RTS, OUT2 (IRQ line) */
    for (int i = 0; i < 80 * 25; i++)
        vga[i] = 0x0720;
}

static void com1_irq(struct trapframe *tf)
{
    (void)tf;
    console_irq();
}

void console_enable_input(void)
{
    trap_register(VEC_IRQ0 + 4, com1_irq);
    outb(COM1 + UART_IER, 0x01);                /* received-data interrupt */
    ioapic_route(4, 0);
}

static void serial_putc(char c)
{
    for (int spin = 0; spin < 100000 && !(inb(COM1 + UART_LSR) & LSR_THR_EMPTY); spin++)
        cpu_relax();
    outb(COM1 + UART_DATA, c);
}

static void vga_putc(char c)
{
    if (c == '\n' || vga_col == 80) {
        vga_col = 0;
        if (++vga_row == 25) {
            for (int i = 0; i < 80 * 24; i++) vga[i] = vga[i + 80];
            for (int i = 80 * 24; i < 80 * 25; i++) vga[i] = 0x0720;
            vga_row = 24;
        }
        if (c == '\n') return;
    }
    if (c == '\r') { vga_col = 0; return; }
    vga[vga_row * 80 + vga_col++] = 0x0700 | (uint8_t)c;
}

static void write_raw(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') serial_putc('\r');
        serial_putc(s[i]);
        vga_putc(s[i]);
    }
}

void console_write(const char *s, size_t n)
{
    spin_lock_irq(&console_lock);
    write_raw(s, n);
    spin_unlock_irq(&console_lock);
}

static int vprint(bool locked, const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    size_t len = n < (int)sizeof buf ? (size_t)n : sizeof buf - 1;
    if (locked) console_write(buf, len);
    else write_raw(buf, len);
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprint(true, fmt, ap);
    va_end(ap);
    return n;
}

int console_printf_unlocked(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprint(false, fmt, ap);
    va_end(ap);
    return n;
}

void console_irq(void)
{
    spin_lock_irq(&console_lock);
    while (inb(COM1 + UART_LSR) & LSR_DATA_READY) {
        char c = inb(COM1 + UART_DATA);
        if (in_head - in_tail < sizeof inbuf)
            inbuf[in_head++ % sizeof inbuf] = c;
    }
    spin_unlock_irq(&console_lock);
    waitq_wake_all(&input_wq);
}

int console_getc(void)
{
    for (;;) {
        spin_lock_irq(&console_lock);
        if (in_head != in_tail) {
            int c = (unsigned char)inbuf[in_tail++ % sizeof inbuf];
            spin_unlock_irq(&console_lock);
            return c;
        }
        waitq_sleep(&input_wq, &console_lock);   /* drops console_lock while asleep */
        spin_unlock_irq(&console_lock);
    }
}
