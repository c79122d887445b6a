/*
 * The AP trampoline.  smp.c copies trampoline.asm's code to
 * TRAMPOLINE_PHYS (the SIPI vector is its page number) and fills the
 * parameter block at TRAMPOLINE_PHYS + TRAMPOLINE_PARAMS before each
 * INIT-SIPI-SIPI.  The AP goes real mode -> protected -> long mode with
 * `cr3`, switches to `stack`, and calls `entry(cpu)`; entry() acknowledges
 * by setting cpu_of(cpu)->online, which the BSP waits for, bounded.
 */
#pragma once
#include <stdint.h>

#define TRAMPOLINE_PHYS   0x8000
#define TRAMPOLINE_PARAMS 0xf00

struct trampoline_params {
    uint64_t cr3;        /* kernel page tables (with the low identity map during bring-up) */
    uint64_t stack;      /* top of the AP's boot stack */
    uint64_t entry;      /* void entry(uint64_t cpu), higher half */
    uint64_t cpu;        /* logical CPU index */
};

extern const char trampoline_start[], trampoline_end[];   /* smp/trampoline.asm: the code to copy */
