/*
 * The one formatter, used by the kernel (kprintf, snprintf: kernel/printf.h),
 * the loader's refusals (loader/msg.h) and the line messages of manifests
 * and symbol maps.  Pure and freestanding, so the same code runs in the
 * kernel and in host-side unit tests (tests/unit/test_fmt.c), where libc's
 * snprintf is another program's and the fmt_ names keep the two apart.
 *
 * Conversions: %d %i %u %x %X %p %s %c %%, with flags '-' '0', a width, a
 * precision for strings, and length modifiers l, ll, z (any of them: 64
 * bits).  %p is 0x and 16 digits; %s of NULL prints "(null)"; an unknown
 * conversion prints itself.  Always NUL-terminates (if size > 0); returns
 * the length it would have written.
 */
#pragma once
#include <stdarg.h>
#include <stddef.h>

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
