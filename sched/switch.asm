; struct thread *swtch(struct thread *prev, struct thread *next);
;   Save prev's callee-saved registers on its stack and its stack pointer in
;   prev->rsp, resume next.  Returns, in next's context, the thread we
;   switched away from (the scheduler finishes that one's hand-off).
; void thread_trampoline(void);
;   Where a new thread's first swtch "returns": calls thread_start(prev).

%include "kernel/asm-offsets.inc"
global swtch, thread_trampoline
extern thread_start

section .text
swtch:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi + THREAD_RSP], rsp
    mov rsp, [rsi + THREAD_RSP]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    mov rax, rdi
    ret

thread_trampoline:
    mov rdi, rax
    xor ebp, ebp                        ; the first frame of a thread
    call thread_start
    ud2
