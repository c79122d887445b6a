/* console: every line goes to COM1 (the log the tests read) and to the VGA
 * text screen.  A whole formatted line is written inside one interrupt-off
 * section, so lines of different threads never interleave. */
#include "console.h"
#include "klib.h"
#include "x86.h"

#define COM1      0x3f8
#define UART_THR  0     /* transmit holding register (DLAB=0) */
#define UART_IER  1
#define UART_DLL  0     /* divisor latch (DLAB=1) */
#define UART_DLM  1
#define UART_FCR  2
#define UART_LCR  3
#define UART_MCR  4
#define UART_LSR  5
#define LSR_THRE  0x20  /* transmit holding register empty */

#define VGA_TEXT  ((volatile uint16_t *)0xb8000)
#define VGA_COLS  80
#define VGA_ROWS  25
#define VGA_ATTR  0x0700 /* light grey on black */

uint32_t console_vga_pos;
uint32_t console_chars;

API __init void console_init(void)
{
    outb(COM1 + UART_IER, 0x00);    /* polled output: no UART interrupts */
    outb(COM1 + UART_LCR, 0x80);    /* DLAB on to reach the divisor */
    outb(COM1 + UART_DLL, 1);       /* 115200 baud = 1.8432 MHz / 16 / 1 */
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, 0x03);    /* 8N1, DLAB off */
    outb(COM1 + UART_FCR, 0xc7);    /* enable and clear FIFOs */
    outb(COM1 + UART_MCR, 0x03);    /* DTR, RTS */
    for (uint32_t i = 0; i < VGA_COLS * VGA_ROWS; i++)
        VGA_TEXT[i] = VGA_ATTR | ' ';
    console_vga_pos = 0;
}

static void uart_putc(char c)
{
    /* Bounded wait: a missing UART (LSR reads 0xff or never drains) must
     * not hang the kernel; the character is then simply lost. */
    for (uint32_t spin = 0; spin < 100000; spin++)
        if (inb(COM1 + UART_LSR) & LSR_THRE)
            break;
    outb(COM1 + UART_THR, (uint8_t)c);
}

static void vga_putc(char c)
{
    if (c == '\n')
        console_vga_pos += VGA_COLS - console_vga_pos % VGA_COLS;
    else if (c != '\r')
        VGA_TEXT[console_vga_pos++] = VGA_ATTR | (uint8_t)c;
    if (console_vga_pos >= VGA_COLS * VGA_ROWS) {
        for (uint32_t i = 0; i < VGA_COLS * (VGA_ROWS - 1); i++)
            VGA_TEXT[i] = VGA_TEXT[i + VGA_COLS];
        for (uint32_t i = 0; i < VGA_COLS; i++)
            VGA_TEXT[VGA_COLS * (VGA_ROWS - 1) + i] = VGA_ATTR | ' ';
        console_vga_pos -= VGA_COLS;
    }
}

API void console_putc(char c)
{
    uint32_t f = irq_save();
    if (c == '\n')
        uart_putc('\r');
    uart_putc(c);
    vga_putc(c);
    console_chars++;
    irq_restore(f);
}

API void console_write(const char *s, size_t n)
{
    uint32_t f = irq_save();
    while (n--)
        console_putc(*s++);
    irq_restore(f);
}

API int console_vprintf(const char *fmt, va_list ap)
{
    char line[256];
    int n = kvsnprintf(line, sizeof line, fmt, ap);
    console_write(line, strlen(line));
    return n;
}

API int console_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = console_vprintf(fmt, ap);
    va_end(ap);
    return n;
}
