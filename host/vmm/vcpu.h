/*
 * The virtual CPU of a hosted guest.  The guest kernel runs in ring 1,
 * 32-bit compatibility mode, with the real IF always on and IOPL 0, so every
 * privileged instruction faults to the host, which emulates it against this
 * state (host/vmm/emulate.c).  Interrupts from virtual devices are delivered
 * through the guest's own IDT when the virtual IF allows.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/trap.h"
#include "kernel/x86-defs.h"
#include "host/vmm/fpu.h"

/* Why the guest left ring 1, counted for `guest N stats`. */
enum vcpu_exit {
    VEXIT_PRIV,        /* an emulated privileged instruction */
    VEXIT_PATCH,          /* a patched pushf/popf/iret */
    VEXIT_INT,            /* int n reflected to the guest */
    VEXIT_EXCEPTION,      /* a guest exception reflected */
    VEXIT_HOST_IRQ,       /* a host interrupt arrived while the guest ran */
    VEXIT_CODEPAGE,       /* scan on execute: a fetch or write fault of the host's own */
    VEXIT_KINDS
};

struct guest;
#define VCPU_NSEGS 6

struct vcpu {
    struct guest *guest;
    unsigned index;                  /* 0: the boot vCPU; others are made by the sched peel */
    unsigned sched_slot;             /* its thread's slot in the sched peel (host/natives/classic/sched.c) */
    struct thread *thread;           /* the host thread running it */
    uint64_t ran_on;                 /* cpumask: the CPUs its thread has run on */
    unsigned preempt_deferred;       /* host ticks that wanted it off its CPU while it held the lock */
    struct trapframe *tf;            /* the trap being handled, for natives that need the frame */
    bool frame_set;                  /* a native set tf itself: no `ret` after it */
    bool vif;                        /* the guest's IF */
    uint64_t vif_writes;             /* cli, sti, popf, iret, delivery: any change of mind */
    uint64_t now_hint;                    /* guest time when this trap took the GKL, or 0 */
    bool relocked;                        /* this trap let the GKL go and took it again */
    uint32_t cr0, cr2, cr3, cr4;
    struct shadow *shadow;           /* its virtual TLB once its guest turned paging on (host/vmm/shadow.c) */
    uint32_t dr[8];                  /* debug registers as the guest reads them (host/vmm/dreg.c) */
    struct fpu fpu;                  /* its x87 state (host/vmm/fpu.c) */
    uint32_t gdt_base, idt_base;
    uint16_t gdt_limit, idt_limit;
    uint16_t tr, ldtr;
    uint32_t tr_base, tr_limit;      /* the TSS descriptor's, as ltr cached them */
    uint32_t ldt_base, ldt_limit;    /* the LDT descriptor's, as lldt cached them */
    bool entered;                    /* has been in ring 1: the selectors below mean something */
    bool exited;                     /* its thread has ended */
    /* Segment registers, by enum insn_seg: the selectors while the thread
     * is switched out (CS and SS are in the frame otherwise); the
     * descriptor each holds, its cache, which a CPU keeps until the
     * register is reloaded; and for a register re-pointed at its shadow
     * slot because lgdt changed what its selector names, the selector the
     * guest loaded (vcpu.c repoint). */
    uint16_t sel[VCPU_NSEGS];
    uint64_t seg_desc[VCPU_NSEGS];
    uint16_t seg_shown[VCPU_NSEGS];
    bool reload_failed;              /* a switch-in could not load one: stop it */
    /* The CS and SS (selectors and descriptors) the last return checked and
     * found fine: the checks are a function of these four, and nearly every
     * return is to the same pair (vcpu_return_check). */
    uint16_t ok_cs, ok_ss;
    uint64_t ok_dcs, ok_dss;
    uint64_t gs_base;
    uint64_t exits[VEXIT_KINDS];
    uint64_t insn_count[64];         /* emulated, by decoder class */
    struct { uint16_t port; uint64_t in, out; } io[32];   /* port I/O by port, first come */
    unsigned nio;
    uint64_t io_other;               /* accesses to ports beyond the table */
    uint64_t irqs_delivered;
    uint64_t halts;
    struct trapframe boot;           /* the Multiboot entry state */
};

/* Real GDT slots 8176-8181, one per segment register (ES CS SS DS FS GS):
 * the descriptor a register keeps after lgdt changed what its selector
 * names, or Multiboot's flat segments before the guest has a GDT.  Guest
 * descriptors are mirrored below them, the host's own live above. */
#define VCPU_SHADOW_IDX GDT_SHADOW_IDX          /* kernel/x86-defs.h: the GDT layout */
_Static_assert(VCPU_NSEGS <= GDT_SHADOW_SLOTS, "a shadow slot per segment register");

void vcpu_init(struct vcpu *v, struct guest *g, uint32_t eip, uint32_t eax, uint32_t ebx);
/* Another vCPU of the same guest, its descriptor tables and segments those
 * of `from` now, starting at eip with stack esp and interrupts enabled. */
void vcpu_clone(struct vcpu *v, const struct vcpu *from, unsigned index, uint32_t eip, uint32_t esp);
/* On the vCPU's own host thread (its address space loaded): take the guest
 * kernel lock and enter ring 1.  Never returns: the thread ends in vcpu_exit. */
void vcpu_run(struct vcpu *v) __attribute__((noreturn));
/* Leave guest code for something long (the lock is free for other vCPUs),
 * and come back to it.  vcpu_unlock also wakes whoever should take a
 * virtual interrupt that is pending. */
void vcpu_unlock(struct vcpu *v);
/* May the host preempt the current thread, interrupted in guest code?  Not
 * while it holds the guest kernel lock that other vCPUs of its guest wait
 * for — a holder switched out stalls them all for whole time slices — but
 * at its next vcpu_unlock, or after a couple of ticks at most. */
bool vcpu_preemptible(void);
void vcpu_lock(struct vcpu *v);
/* The calling vCPU's thread ends here (its guest thread exited, or the
 * guest ended); the last vCPU of a guest gives back the guest's memory. */
void vcpu_exit(struct vcpu *v) __attribute__((noreturn));
struct vcpu *vcpu_current(void);
/* Add v's counters (exits, emulated instructions, port I/O) into `into`. */
void vcpu_add_counts(struct vcpu *into, const struct vcpu *v);
/* The scheduler's hooks: a vCPU thread leaves or takes a host CPU.  The
 * data segment registers and this CPU's GDT mirror belong to the guest. */
void vcpu_switch_out(struct vcpu *v);
void vcpu_switch_in(struct vcpu *v);
/* From trap(): a trap or interrupt that came from the guest. */
void vcpu_trap(struct trapframe *tf, bool host_irq);
/* The layer above's profile sample (guest_hooks->sample) for this trap
 * (trapped) or host interrupt. */
void vcpu_sample(struct vcpu *v, const struct trapframe *tf, bool trapped);
/* Deliver vector through the guest's IDT; false if that is impossible. */
bool vcpu_deliver(struct vcpu *v, struct trapframe *tf, unsigned vector, bool has_error, uint32_t error);
/* int n, int3, into (length bytes at EIP): as a software interrupt (the
 * gate's DPL is checked). */
void vcpu_soft_int(struct vcpu *v, struct trapframe *tf, unsigned vector, unsigned length);
uint32_t vcpu_linear_ip(const struct vcpu *v, const struct trapframe *tf);
/* Before every return to the guest: the frame is one the CPU can load. */
bool vcpu_return_check(struct vcpu *v, struct trapframe *tf);
/* The selector the guest believes a segment register holds, and the
 * descriptor a selector names in this CPU's GDT (0 beyond the guest's). */
uint16_t vcpu_guest_sel(const struct vcpu *v, uint16_t real);
/* The host's iretq to this thread's guest faulted (kernel/vectors.asm). */
void vcpu_return_failed(uint64_t vector, uint64_t error, const uint64_t *frame) __attribute__((noreturn));
uint64_t vcpu_descriptor(const struct vcpu *v, uint16_t sel);
/* Inside a trap (v->tf set): the selector segment register seg (enum
 * insn_seg) holds, and the descriptor in its cache (0 for a null one). */
uint16_t vcpu_seg_sel(const struct vcpu *v, unsigned seg);
uint64_t vcpu_seg_cache(const struct vcpu *v, unsigned seg);
/* Deliver, or failing that #DF, or failing that stop the guest (triple fault). */
void vcpu_reflect(struct vcpu *v, struct trapframe *tf, unsigned vector, bool has_error, uint32_t error);
/* Between a trap (vcpu.c) and delivery (vcpu_deliver.c): a virtual
 * interrupt the PIC has pending, delivered if the guest's IF allows; else
 * armed for a patch block to deliver; the INTA of one a block delivered;
 * and the guest stopped for a vector that could not be delivered (f1: the
 * fault delivering it raised, f2: the double fault's, 0 if none). */
bool vcpu_deliver_pending(struct vcpu *v, struct trapframe *tf);
/* Before a port access: an interrupt that came due while IF was set (true:
 * delivered, the access not carried out, it runs after the handler). */
bool vcpu_deliver_due(struct vcpu *v, struct trapframe *tf);
void vcpu_arm_pending(struct vcpu *v, struct trapframe *tf);
void vcpu_armed_taken(struct vcpu *v, int irq);
void vcpu_triple_fault(struct vcpu *v, struct trapframe *tf, unsigned vector, uint32_t f1, uint32_t f2,
                       const char *how);
void vcpu_halt(struct vcpu *v);             /* hlt with the virtual IF set: sleep till an IRQ is due */
/* Without the lock until a virtual interrupt is pending (or the guest ends,
 * or a peel request can be carried out), back with it.  kick, if given, is
 * the flag thread_wake_napper sets to cut the wait short. */
void vcpu_wait_interrupt(struct vcpu *v, volatile int *kick);
uint32_t vcpu_guest_eflags(struct vcpu *v, struct trapframe *tf);
struct gfault;
/* Through the guest's SS (host/vmm/gmem.h): false with *f the CPU's fault. */
bool vcpu_push(struct vcpu *v, struct trapframe *tf, uint32_t val, unsigned size, struct gfault *f);
bool vcpu_pop(struct vcpu *v, struct trapframe *tf, uint32_t *val, unsigned size, struct gfault *f);
/* ESP (SP with a 16-bit stack) moved up by bytes, as ret imm16 does. */
void vcpu_stack_release(struct vcpu *v, struct trapframe *tf, uint32_t bytes);
/* A push on a stack other than the frame's (descriptor d, *esp moved). */
bool vcpu_stack_push(struct vcpu *v, uint64_t d, uint32_t *esp, uint32_t val, unsigned size, bool user,
                     struct gfault *f);
void vcpu_mirror_gdt(struct vcpu *v);
/* Returning to guest ring 3: GDT entries the guest rewrote in memory since
 * the mirror was made (TLS) mirrored again (vcpu_seg.c). */
void vcpu_gdt_refresh(struct vcpu *v);
/* A #GP/#NP/#SS/#TS on a GDT entry rewritten since this CPU's mirror was
 * made: mirrored again, true (the instruction runs again). */
bool vcpu_gdt_stale_fault(struct vcpu *v, const struct trapframe *tf);
/* Before the host loads sel for the guest: its GDT entry mirrored again
 * if it was rewritten since (what vcpu_gdt_stale_fault would have done). */
void vcpu_gdt_reread(struct vcpu *v, uint16_t sel);
/* lldt: the LDT (ldtr, its descriptor's base and limit) becomes the
 * vCPU's, and goes into this CPU's real one (vcpu_seg.c). */
void vcpu_mirror_ldt(struct vcpu *v, uint16_t ldtr, uint32_t base, uint32_t limit);
/* A delivery's or call gate's stack switch from guest ring 3: the guest
 * TSS's ss0:esp0, its SS checked (real selector and descriptor).  0, or
 * the fault the CPU raises (SEG_FAULT). */
uint32_t vcpu_tss_stack(struct vcpu *v, uint16_t *ss, uint64_t *d, uint32_t *esp);
uint64_t *vcpu_gpr(struct trapframe *tf, unsigned reg);
