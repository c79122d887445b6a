/*
 * What boot/entry.asm exports to C, and what it calls.
 */
#pragma once
#include <stdint.h>

/* The boot page tables' top level: the first 1 GiB identity-mapped and at
 * KERNEL_VMA; kept alive for the AP trampoline's bring-up. */
extern uint64_t boot_pml4[];

/* The kernel's C entry, on the boot stack in long mode (kernel/main.c). */
void kmain(uint32_t magic, uint32_t info_phys);
