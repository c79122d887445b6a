/* Structure offsets for NASM, extracted at build time into
 * build/kernel/asm-offsets.inc (see the Makefile) — never written by hand. */
#include <stddef.h>
#include "kernel/trap.h"
#include "sched/thread.h"
#include "smp/trampoline.h"
#include "smp/percpu.h"
#include "kernel/x86-defs.h"

#define OFFSET(sym, type, member) \
    __asm__ volatile("@@OFFSET " #sym " %0" :: "i"(offsetof(type, member)))
#define DEFINE(sym, val) __asm__ volatile("@@OFFSET " #sym " %0" :: "i"(val))

__attribute__((used)) static void asm_offsets(void)
{
    DEFINE(TF_SIZE, sizeof(struct trapframe));
    OFFSET(TF_VECTOR, struct trapframe, vector);
    OFFSET(TF_CS, struct trapframe, cs);
    OFFSET(TF_RIP, struct trapframe, rip);
    OFFSET(TF_SS, struct trapframe, ss);
    OFFSET(TF_RBP, struct trapframe, rbp);
    OFFSET(THREAD_RSP, struct thread, rsp);
    OFFSET(TP_CR3, struct trampoline_params, cr3);
    OFFSET(TP_STACK, struct trampoline_params, stack);
    OFFSET(TP_ENTRY, struct trampoline_params, entry);
    OFFSET(TP_CPU, struct trampoline_params, cpu);
    DEFINE(TP_OFFSET, TRAMPOLINE_PARAMS);
    DEFINE(CPU_TSS_RSP0, offsetof(struct cpu, tss) + offsetof(struct tss, rsp));
    OFFSET(CPU_UPPER_CS, struct cpu, upper_cs);
    OFFSET(CPU_UPPER_SS, struct cpu, upper_ss);
    OFFSET(CPU_ENTRY_SCRATCH, struct cpu, entry_scratch);
    OFFSET(CPU_ESPFIX_TOP, struct cpu, espfix_top);
    OFFSET(TF_ERROR, struct trapframe, error);
    OFFSET(TF_RSP, struct trapframe, rsp);
    DEFINE(VEC_GUEST_ENTRY, VEC_GUEST_ENTRY);
    DEFINE(ERROR_BY_SYSCALL, ERROR_BY_SYSCALL);
    DEFINE(VEC_ERROR_CODE_SET, VEC_ERROR_CODE_SET);
    DEFINE(CR0_PE, CR0_PE);
    DEFINE(CR0_WP, CR0_WP);
    DEFINE(CR0_PG, CR0_PG);
    DEFINE(CR0_CD, CR0_CD);
    DEFINE(CR0_NW, CR0_NW);
    DEFINE(CR4_PAE, CR4_PAE);
    DEFINE(MSR_EFER, MSR_EFER);
    DEFINE(EFER_LME, EFER_LME);
    DEFINE(EFER_NXE, EFER_NXE);
    DEFINE(DESC_KCODE64, DESC_KCODE64);
    DEFINE(DESC_KDATA, DESC_KDATA);
    DEFINE(DESC_KCODE32, DESC_KCODE32);
    DEFINE(DESC_KDATA32, DESC_KDATA32);
}
