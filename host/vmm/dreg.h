/*
 * The guest's debug registers DR0-DR7, kept per vCPU: `mov` to and from
 * them faults in ring 1 and is emulated here (host/vmm/emulate.c).  They
 * read back what was written, with DR6's and DR7's fixed bits as a P6
 * shows them; DR4/DR5 alias DR6/DR7 while CR4.DE is clear and raise #UD
 * once it is set; DR7.GD makes the next access a #DB with DR6.BD.  The
 * breakpoints themselves never fire (the real DR7 stays the host's): the
 * CPUID policy does not advertise DE, and docs/hosting.md says so.  DR6
 * gains BS when the guest's own single step traps.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/x86-defs.h"

struct vcpu;
struct insn;
struct trapframe;

/* What DR6 and DR7 read after a mov of val to them. */
static inline uint32_t dreg_dr6(uint32_t val) { return (val & (DR6_B0_3 | DR6_BD | DR6_BS | DR6_BT)) | DR6_FIXED_1; }
static inline uint32_t dreg_dr7(uint32_t val) { return (val & DR7_WRITABLE) | DR7_FIXED_1; }

/* DR0-DR7 as at power-up (SDM Vol. 3A, table 9-1). */
void dreg_reset(struct vcpu *v);
/* mov to or from DRn: false if it raised #UD or #DB instead (EIP is then
 * the handler's). */
bool dreg_mov(struct vcpu *v, const struct insn *in, struct trapframe *tf);
/* A #DB from the guest's own code is about to be delivered: DR6 gets the
 * status bits the CPU set (single step), the real DR6 is cleared again. */
void dreg_debug_trap(struct vcpu *v);
/* An instruction the host emulated with the guest's TF set traps: BS. */
static inline void dreg_note_step(uint32_t *dr6) { *dr6 |= DR6_BS; }
