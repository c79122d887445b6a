/* console: 16550 UART on COM1, mirrored to VGA text memory. */
#ifndef CLASSIC_CONSOLE_H
#define CLASSIC_CONSOLE_H
#include "types.h"

void console_init(void);
void console_putc(char c);
void console_write(const char *s, size_t n);
int console_printf(const char *fmt, ...) PRINTF(1, 2);
int console_vprintf(const char *fmt, va_list ap);

extern uint32_t console_vga_pos;    /* next VGA cell, 0 .. 80*25-1 */
extern uint32_t console_chars;      /* characters written since boot */

#endif
