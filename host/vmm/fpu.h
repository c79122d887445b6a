/*
 * The guest's x87 state, per vCPU.  The host never uses the FPU (it is
 * built -mgeneral-regs-only), so the FPU of a CPU belongs to at most one
 * vCPU at a time, lazily: the real CR0.TS is set whenever the running
 * vCPU's state is not in the registers (and from boot on every CPU), the
 * guest's first x87 instruction then raises #NM, and fpu_trap loads the
 * state (fxrstor) and clears TS.  A vCPU leaving its CPU saves it (fxsave)
 * and sets TS again, so the next vCPU there, of this guest or another,
 * finds TS set and none of this one's state.
 *
 * The guest's own CR0.TS, EM and MP (v->cr0) are honoured on top of that:
 * while its TS or EM is set the real TS stays set, and the #NM that comes
 * is the guest's when the CPU would raise it (an x87 instruction with TS
 * or EM, wait/fwait with TS and MP), loaded-and-retried otherwise.  x87
 * errors raise #MF (the real CR0.NE is set): delivered as #MF to a guest
 * with CR0.NE set, as IRQ 13 of its PIC to one without, the PC's FERR#.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>

struct vcpu;
struct trapframe;

#define FPU_AREA 512                    /* an fxsave image (SDM Vol. 1, 10.5.1) */

struct fpu {
    uint8_t area[FPU_AREA + 16];        /* 16-byte aligned inside: fpu_image() */
    bool loaded;                        /* its state is in this CPU's registers now */
};

/* The x87 state as at power-up: FCW 0x0040, all registers empty. */
void fpu_reset(struct fpu *f);
/* The scheduler's switch hooks (host/vmm/vcpu.c) and the vCPU's end. */
void fpu_switch_out(struct fpu *f);
void fpu_switch_in(struct fpu *f);
/* The guest wrote its CR0 (mov, clts, lmsw): its TS/EM take effect now. */
void fpu_cr0_written(struct vcpu *v);
/* #NM from the guest: true if the host dealt with it (the instruction
 * runs again, or a wait was carried out), false if it is the guest's. */
bool fpu_trap(struct vcpu *v, struct trapframe *tf);
/* #MF from the guest: delivered as its CR0.NE says. */
void fpu_error(struct vcpu *v, struct trapframe *tf);
