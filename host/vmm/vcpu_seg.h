/* Private to host/vmm/vcpu.c: a vCPU's segment registers (host/vmm/vcpu_seg.c). */
#pragma once
#include <stdbool.h>
#include "kernel/trap.h"

struct vcpu;
struct cpu;

void vseg_boot(struct vcpu *v);                          /* Multiboot's flat segments */
/* A boot loader's GDT loaded (the Linux boot protocol's, in guest memory
 * already), the registers flat and shown as its selectors cs and ds. */
void vseg_boot_gdt(struct vcpu *v, uint32_t base, uint16_t limit, uint16_t cs, uint16_t ds);
void vseg_clone(struct vcpu *v, const struct vcpu *from);  /* from: the calling vCPU, live */
/* Switching out: the registers and the descriptors they hold, into v. */
void vseg_save(struct vcpu *v, const struct trapframe *frame);
/* Switching in or entering first, on c: from v into the registers (CS and
 * SS into tf), c's mirror rewritten if stale. */
void vseg_restore(struct vcpu *v, struct cpu *c, struct trapframe *tf);
/* Inside a trap: does c hold an old copy of the guest's GDT, and rewrite
 * it keeping what the live registers hold. */
bool vseg_mirror_stale(const struct vcpu *v, const struct cpu *c);
void vseg_remirror(struct vcpu *v, struct cpu *c, struct trapframe *tf);
