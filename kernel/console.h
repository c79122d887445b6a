/* The host console: COM1 and VGA text out, COM1 in. */
#pragma once
#include <stddef.h>

void console_init(void);
void console_enable_input(void);             /* after the IOAPIC is up */
void console_write(const char *s, size_t n);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For panic: no lock, since the lock holder may be the one that panicked. */
int console_printf_unlocked(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int console_getc(void);                      /* blocks the calling thread */
void console_irq(void);
