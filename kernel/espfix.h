/*
 * espfix: an iretq to a 16-bit stack segment loads only SP, and ESP's bits
 * 16-31 keep those of the RSP the iretq ran on — the host's stack address,
 * leaked to the guest, and the guest's own bits lost.  So such a return is
 * made from a ministack whose address carries the guest's bits 16-31: each
 * CPU owns 4 GiB of upper-half address space in which every page is one
 * page of its own (Linux's espfix64 plays the same trick).
 * kernel/vectors.asm trap_return copies the iret frame there.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "smp/percpu.h"

#define ESPFIX_BASE  0xffffff0000000000ul   /* PML4 slot 510; CPU n at + n * 4 GiB */
#define ESPFIX_FRAME 0x800                  /* the frame's offset in the page: a fault pushes below */

void espfix_init(void);                     /* every online CPU's window, after smp_boot */

/* Before a return to ring 1 or 3: where trap_return builds the iret frame
 * (its top), or 0 for an ordinary return from the thread's stack. */
static inline void espfix_prepare(struct cpu *c, bool small_stack, uint32_t esp)
{
    c->espfix_top = small_stack ? c->espfix_base + (esp & 0xffff0000u) + ESPFIX_FRAME + 40 : 0;
}
