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
    or eax, CR0_PE
    mov cr0, eax
    jmp dword 0x08:T(pmode)

bits 32
pmode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, [PARAM(TP_CR3)]
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    mov eax, cr0
    and eax, ~(CR0_CD | CR0_NW)     ; INIT left the caches off (CR0 = 0x60000010)
    or eax, CR0_PG | CR0_WP
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
    dq DESC_KCODE32                     ; 0x08
    dq DESC_KDATA32                     ; 0x10
    dq DESC_KCODE64                     ; 0x18
tgdtr:
    dw tgdtr - tgdt - 1
    dd T(tgdt)
trampoline_end:
