/* The kernel's snprintf and vsnprintf: the one formatter (kernel/fmt.h)
 * under the C names, which only the kernel may define (a host-side unit
 * test has libc's). */
#pragma once
#include "kernel/fmt.h"

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
