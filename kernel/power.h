/* Leaving the machine: ACPI power-off and QEMU's isa-debug-exit. */
#pragma once
#include <stdint.h>

/* isa-debug-exit codes; QEMU exits with status (code << 1) | 1. */
enum exit_code { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_PANIC = 2, EXIT_HANG = 3 };

void power_off(void) __attribute__((noreturn));
void qemu_exit(enum exit_code code);
void power_panic_exit(void);          /* exits only if the command line asked */
