#pragma once
#include <stdbool.h>
#include <stdint.h>

struct trapframe;

/* Print the message, a symbolized backtrace and stop every CPU. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void panic_trap(const struct trapframe *tf) __attribute__((noreturn));
void backtrace(uint64_t rbp, uint64_t rip);
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
extern volatile bool panicking;

#define assert(c) do { if (!(c)) panic("assertion failed: %s (%s:%d)", #c, __FILE__, __LINE__); } while (0)
