/* Interrupt and exception entry: the frame the vector stubs build. */
#pragma once
#include <stdint.h>
#include <stdbool.h>

struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;             /* error is 0 where the CPU pushes none */
    uint64_t rip, cs, rflags, rsp, ss;  /* pushed by the CPU */
};

/* Vector map */
#define VEC_GUEST_ENTRY 15              /* reserved: an entry the host placed in guest code, `int 15` (DPL-1 gate) or syscall */
#define ERROR_BY_SYSCALL 1              /* the error code of syscall_entry's VEC_GUEST_ENTRY frames (the gate's: 0) */
#define VEC_IRQ0        32              /* legacy IRQ n arrives at 32 + n */
#define VEC_TIMER       0xf0
#define VEC_RESCHED     0xf1
#define VEC_CALL        0xf2
#define VEC_TLB         0xf3
#define VEC_SPURIOUS    0xff

typedef void (*irq_handler_t)(struct trapframe *tf);

void trap_init(void);                   /* build the IDT once */
void trap_load(void);                   /* lidt and the syscall MSRs on this CPU */
/* syscall from compatibility mode may enter the host too (as
 * VEC_GUEST_ENTRY), if this CPU's vendor takes it: decided before the APs
 * start (INIT_EARLY).  Whether it may. */
bool trap_enable_syscall(void);
extern bool trap_syscall_on;
/* Open the entry on this CPU (EFER.SCE) or close it, before returning to
 * a guest: open only for one whose code enters by it, while it runs ring
 * 1 code (a guest without such code sees syscall #UD, as a CPU with SCE
 * off gives it).  A no-op where it may not be opened.  Interrupts off. */
void trap_syscall_open(bool open);
void trap_register(unsigned vector, irq_handler_t h);
void trap_dump(const struct trapframe *tf);
void trap(struct trapframe *tf);        /* called by the stubs */
extern const uint64_t vector_table[256];   /* kernel/vectors.asm: the stubs, for the IDT */
void syscall_entry(void);               /* kernel/vectors.asm */
void trap_return_failed(uint64_t vector, uint64_t error, const uint64_t *frame) __attribute__((noreturn));

/* The exception table: a host instruction that may fault on a guest's
 * behalf, and where to go on when it does (entries are emitted with
 * `.pushsection .extable`; boot/linker.ld gathers them). */
struct extable_entry { uint64_t insn, fixup; };
extern const struct extable_entry __extable_start[], __extable_end[];

/* Rings above 0 belong to a client (the hypervisor), which registers once,
 * before anything runs there; the core names none. */
struct trap_client {
    /* every trap from ring 1-3, after the host's own handler (host_irq) or
     * instead of it; runs the thread's way back to that ring */
    void (*trap)(struct trapframe *tf, bool host_irq);
    /* kernel/vectors.asm: an iretq to ring 1-3 faulted; frame is the iret
     * frame the CPU refused (rip, cs, rflags, rsp, ss).  Never returns. */
    void (*return_failed)(uint64_t vector, uint64_t error, const uint64_t *frame);
};
void trap_set_client(const struct trap_client *client);
