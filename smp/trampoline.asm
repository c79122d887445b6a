; AP trampoline: copied to TRAMPOLINE_PHYS, entered in real mode at
; CS:IP = (TRAMPOLINE_PHYS >> 4):0 by the startup IPI.  Parameter block and
; protocol: smp/trampoline.h.  Exports, for smp.c:
;   extern const char trampoline_start[], trampoline_end[];

%include "kernel/asm-offsets.inc"
TRAMPOLINE_PHYS equ 0x8000
%define T(label) ((label) - trampoline_start + TRAMPOLINE_PHYS)
%define PARAM(off) (TRAMPOLINE_PHYS + TP_OFFSET + (off))

global trampoline_start, trampoline_end

section .rodata
bits 16
trampoline_start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    lgdt [T(tgdtr)]
    mov eax, cr0
    or eax, 1                           ; PE
    mov cr0, eax
    jmp dword 0x08:T(pmode)

bits 32
pmode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, 1 << 5                      ; PAE
    mov cr4, eax
    mov eax, [PARAM(TP_CR3)]
    mov cr3, eax
    mov ecx, 0xc0000080                 ; EFER: LME, NXE
    rdmsr
    or eax, (1 << 8) | (1 << 11)
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16)       ; PG, WP
    mov cr0, eax
    jmp 0x18:T(lmode)

bits 64
lmode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, [PARAM(TP_STACK)]
    mov rdi, [PARAM(TP_CPU)]
    mov rax, [PARAM(TP_ENTRY)]
    xor ebp, ebp
    call rax
.stuck:
    hlt
    jmp .stuck

align 8
tgdt:
    dq 0
    dq 0x00cf9a000000ffff               ; 0x08: 32-bit code
    dq 0x00cf92000000ffff               ; 0x10: data
    dq 0x00209a0000000000               ; 0x18: 64-bit code
tgdtr:
    dw tgdtr - tgdt - 1
    dd T(tgdt)
trampoline_end:
