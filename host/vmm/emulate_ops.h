/*
 * What the emulator's files share: emulate.c (the trap path, privileged
 * instructions), emulate_sys.c (the system state ones), emulate_io.c (port
 * I/O) and branch.c (the control transfers the host makes for the guest).  Private to host/vmm.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/trap.h"

struct vcpu;
struct insn;

/* How an emulation ended.  A single-step trap follows an instruction (or
 * one iteration of a rep) that was carried out, never one that raised a
 * fault of its own.  EMULATED is true: a bool return means it too. */
/* FAULTED: the guest's handler for a fault runs; INTERRUPTED: an interrupt
 * came before the instruction (vcpu_deliver_due), which runs after it */
enum emulated { NOT_OURS, EMULATED, FAULTED, INTERRUPTED };

/* The guest stopped with a sentence naming what it did at its EIP. */
void emulate_fail(struct vcpu *v, struct trapframe *tf, const char *what);
/* in's memory operand read through its segment; false if that faulted
 * (reflected to the guest, or the guest stopped). */
bool emulate_operand_read(struct vcpu *v, const struct insn *in, struct trapframe *tf, void *buf, uint32_t len);
bool emulate_operand_write(struct vcpu *v, const struct insn *in, struct trapframe *tf, const void *buf, uint32_t len);
/* The guest's flags under mask from eflags, its IF virtual. */
void emulate_set_flags(struct vcpu *v, struct trapframe *tf, uint32_t eflags, uint32_t mask);
/* popf and iret in guest ring 3 (IOPL 0) leave IF as it was. */
uint32_t emulate_user_if(const struct vcpu *v, const struct trapframe *tf, uint32_t eflags);
/* A general register's low size bytes (4, 2 or 1) set to val. */
void emulate_set_reg(struct trapframe *tf, unsigned reg, unsigned size, uint32_t val);

/* ---- emulate_sys.c ---- */
/* The system state instructions; each false if it faulted (the guest's
 * handler runs: EIP is its). */
bool emulate_descriptor_table(struct vcpu *v, const struct insn *in, struct trapframe *tf);   /* lgdt lidt sgdt sidt */
bool emulate_control_register(struct vcpu *v, const struct insn *in, struct trapframe *tf);   /* mov to/from CRn */
bool emulate_lmsw(struct vcpu *v, const struct insn *in, struct trapframe *tf);
bool emulate_load_ss(struct vcpu *v, const struct insn *in, struct trapframe *tf);            /* mov, pop, lss */
bool emulate_store_system(struct vcpu *v, const struct insn *in, struct trapframe *tf);       /* str sldt smsw */
bool emulate_load_system(struct vcpu *v, const struct insn *in, struct trapframe *tf);        /* ltr lldt */

/* ---- emulate_io.c ---- */
/* in or out: one device access. */
void emulate_io(struct vcpu *v, const struct insn *in, struct trapframe *tf);
/* An in/out/ins/outs from guest ring 3 its TSS's I/O bitmap allows */
bool emulate_io_permitted(struct vcpu *v, const struct insn *in, const struct trapframe *tf);
/* ins or outs: a chunk of a rep at most; STRING_MORE leaves EIP on it. */
enum string_end { STRING_DONE, STRING_MORE, STRING_FAULTED };
enum string_end emulate_string_io(struct vcpu *v, const struct insn *in, struct trapframe *tf);

/* ---- branch.c ---- */
/* iret, retf to the guest's own ring 0 (any retf, patched), a far call or
 * jmp through a call gate (NOT_OURS if the selector names none), a patched
 * far call or jmp (branch_far: a gate's or straight to code), and the near
 * branches the scanner patched: through a register or memory, and a ret to
 * an address from data.  Each lands where the CPU would, its target
 * scanned if new. */
enum emulated branch_iret(struct vcpu *v, const struct insn *in, struct trapframe *tf);
enum emulated branch_far_return(struct vcpu *v, const struct insn *in, struct trapframe *tf, bool patched);
enum emulated branch_call_gate(struct vcpu *v, const struct insn *in, struct trapframe *tf);
enum emulated branch_far(struct vcpu *v, const struct insn *in, struct trapframe *tf);
enum emulated branch_indirect(struct vcpu *v, const struct insn *in, struct trapframe *tf);
enum emulated branch_near_return(struct vcpu *v, const struct insn *in, struct trapframe *tf);
struct site;
/* After a jump table's jmp ran (site s, decoded as in): its entries
 * scanned, and the jmp put back for good. */
void branch_table_done(struct vcpu *v, const struct insn *in, const struct site *s);

