; void vcpu_enter(const struct trapframe *tf, uint64_t percpu, uint16_t data_sel)
;   First entry into a guest.  Copies *tf to the top of this thread's kernel
;   stack (where the CPU will push the next trap from ring 1, TSS.rsp0), loads
;   the guest's data segments, and leaves through trap_return's iretq.
;   Loading GS clears the GS base: the per-CPU pointer goes back into
;   GS_BASE and the guest's (0) into KERNEL_GS_BASE, so trap_return's swapgs
;   leaves each where it belongs.

%include "kernel/asm-offsets.inc"
global vcpu_enter
extern trap_return

section .text
vcpu_enter:
    cli
    mov r8, rdi                         ; tf
    mov r9, rsi                         ; percpu
    mov r10d, edx                       ; data selector
    mov rdi, [gs:0]                     ; struct cpu (for rsp0)
    mov rdi, [rdi + CPU_TSS_RSP0]
    sub rdi, TF_SIZE
    mov rsp, rdi
    mov rsi, r8
    mov rcx, TF_SIZE
    rep movsb
    mov ax, r10w
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ecx, 0xc0000101                 ; GS_BASE = per-CPU data
    mov rax, r9
    mov rdx, r9
    shr rdx, 32
    wrmsr
    mov ecx, 0xc0000102                 ; KERNEL_GS_BASE = the guest's GS base
    xor eax, eax
    xor edx, edx
    wrmsr
    jmp trap_return
