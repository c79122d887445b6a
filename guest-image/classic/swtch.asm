; void sched_swtch(uint32_t **save_sp, uint32_t *load_sp);
;   Save the callee-saved registers (cdecl: EBX ESI EDI EBP) on the current
;   stack, store ESP in *save_sp, switch to load_sp and pop the same four.
;   EFLAGS is not switched: callers hold interrupts off across the switch
;   and each thread's own POPF restores its IF afterwards.
;
; void sched_trampoline(void);
;   First "return address" of a new thread: the stack above it holds the
;   entry function and its argument (see sched_spawn).

section .text
global sched_swtch
global sched_trampoline
extern sched_exit

sched_swtch:
    mov eax, [esp + 4]
    mov edx, [esp + 8]
    push ebp
    push ebx
    push esi
    push edi
    mov [eax], esp
    mov esp, edx
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

sched_trampoline:
    sti                         ; a new thread starts with interrupts on
    pop eax                     ; entry function; ESP now points at its argument
    call eax
    call sched_exit             ; does not return
