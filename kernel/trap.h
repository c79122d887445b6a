/* Interrupt and exception entry: the frame the vector stubs build. */
#pragma once
#include <stdint.h>

struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;             /* error is 0 where the CPU pushes none */
    uint64_t rip, cs, rflags, rsp, ss;  /* pushed by the CPU */
};

/* Vector map */
#define VEC_GUEST_SYSCALL 15            /* a reserved vector: syscall_entry's frames (a guest's syscall) */
#define VEC_IRQ0        32              /* legacy IRQ n arrives at 32 + n */
#define VEC_TIMER       0xf0
#define VEC_RESCHED     0xf1
#define VEC_CALL        0xf2
#define VEC_TLB         0xf3
#define VEC_SPURIOUS    0xff

typedef void (*irq_handler_t)(struct trapframe *tf);

void trap_init(void);                   /* build the IDT once */
void trap_load(void);                   /* lidt and the syscall MSRs on this CPU */
void trap_register(unsigned vector, irq_handler_t h);
void trap_dump(const struct trapframe *tf);
void trap(struct trapframe *tf);        /* called by the stubs */
void syscall_entry(void);               /* kernel/vectors.asm */
void trap_return_failed(uint64_t vector, uint64_t error, const uint64_t *frame) __attribute__((noreturn));
