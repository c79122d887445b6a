; void vcpu_enter(const struct trapframe *tf)
;   First entry into a guest.  Copies *tf to the top of this thread's kernel
;   stack (where the CPU will push the next trap from ring 1, TSS.rsp0) and
;   leaves through trap_return's iretq.  The guest's data segments and GS
;   bases are already loaded (host/vmm/vcpu.c restore_segments), and the frame
;   passed vcpu_return_check.

%include "kernel/asm-offsets.inc"
global vcpu_enter
extern trap_return

section .text
vcpu_enter:
    cli
    mov rsi, rdi                        ; tf
    mov rdi, [gs:0]                     ; struct cpu (for rsp0)
    mov rdi, [rdi + CPU_TSS_RSP0]
    sub rdi, TF_SIZE
    mov rsp, rdi
    mov rcx, TF_SIZE
    rep movsb
    jmp trap_return
