/* trap: the kernel's own GDT and IDT, exception reports, IRQ dispatch. */
#ifndef CLASSIC_TRAP_H
#define CLASSIC_TRAP_H
#include "types.h"

#define KCODE_SEL 0x08
#define KDATA_SEL 0x10
#define TRAP_NVEC 48
#define IRQ_BASE  32    /* PIC vectors start here, above the exceptions */

/* Pushed by intr.asm: segment registers, PUSHAD, vector, error code, then
 * what the CPU pushed (no ESP/SS: everything runs in ring 0). */
struct trapframe {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
};

typedef void (*trap_irq_fn)(void);

void trap_init(void);
void trap_set_irq(int irq, trap_irq_fn fn);
void trap_dispatch(struct trapframe *tf);

extern trap_irq_fn trap_irq_handlers[16];
extern uint32_t trap_irq_counts[16];
extern uint32_t trap_spurious;

#endif
