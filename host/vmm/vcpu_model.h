/*
 * The instructions that read or change the virtual CPU's model rather than
 * the machine: cpuid (patched: host/vmm/scan.c), rdmsr/wrmsr, and the
 * CR0 writes that only touch its x87 switches (clts, lmsw).  The answers
 * come from host/vmm/cpuid.c and host/vmm/msr.c, the x87 side from
 * host/vmm/fpu.c; host/vmm/emulate.c calls these from its one switch.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct insn;
struct trapframe;

void model_cpuid(struct vcpu *v, struct trapframe *tf);
/* rdmsr or wrmsr: false if it raised #GP(0) (EIP is the handler's then). */
bool model_msr(struct vcpu *v, const struct insn *in, struct trapframe *tf);
void model_clts(struct vcpu *v);
/* lmsw with operand msw: PE, MP, EM and TS from it; it cannot clear PE. */
void model_lmsw(struct vcpu *v, uint16_t msw);
