/*
 * Symbols the link defines rather than C: boundaries from boot/linker.ld,
 * and the function-symbol table kernel/ksyms.sh generates after the first
 * link (the Makefile's two-pass link).
 */
#pragma once
#include <stdint.h>

extern char _etext[];                   /* end of .text */
extern char _end[];                     /* end of the kernel image, bss included */

/* Sorted by address, for backtraces (ksym_lookup in kernel/panic.c). */
struct ksym { uint64_t addr; const char *name; };
struct ksym_table { uint64_t count; struct ksym sym[]; };
extern const struct ksym_table ksyms;
