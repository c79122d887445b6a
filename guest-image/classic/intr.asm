; Interrupt and exception entry.
;   extern uint32_t trap_vectors[TRAP_NVEC];   addresses of the stubs below
;   void trap_dispatch(struct trapframe *tf);  C side, trap.c
;
; Every stub makes the frame uniform: a dummy error code where the CPU
; pushes none, then the vector number.  trap_common saves the rest so the
; frame matches struct trapframe (trap.h, checked there with _Static_assert),
; and returns with IRET, which restores EFLAGS.IF the way the interrupted
; code had it.

TRAP_NVEC equ 48                ; 32 exceptions + 16 remapped PIC IRQs
KDATA     equ 0x10

section .text
extern trap_dispatch

; Vectors for which the CPU pushes an error code (SDM vol. 3, table 6-1).
%macro STUB 1
trap_stub_%1:
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21 || %1 = 29 || %1 = 30
%else
    push 0
%endif
    push %1
    jmp trap_common
%endmacro

%assign v 0
%rep TRAP_NVEC
STUB v
%assign v v + 1
%endrep

trap_common:
    pushad
    push ds
    push es
    push fs
    push gs
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    cld
    push esp                    ; struct trapframe *
    call trap_dispatch
    add esp, 4
    pop gs
    pop fs
    pop es
    pop ds
    popad
    add esp, 8                  ; vector and error code
    iretd

section .rodata
global trap_vectors
align 4
trap_vectors:
%assign v 0
%rep TRAP_NVEC
    dd trap_stub_ %+ v
%assign v v + 1
%endrep
