; void _start(void) — the Multiboot2 entry, in 32-bit protected mode, paging off.
; Builds boot page tables, enters long mode and jumps to the higher-half
; kmain(uint32_t magic, uint32_t info_phys) on the boot stack.
;
; Boot page tables map the first 1 GiB twice with 2 MiB pages: identity (for
; this code and the AP trampoline, which must survive the moment paging is
; switched on) and at KERNEL_VMA (-2 GiB, where the kernel is linked).
; kernel/vm.c later builds the real page tables; boot_pml4 stays alive for the
; AP trampoline.

%include "kernel/asm-offsets.inc"       ; CR, EFER and descriptor bits: kernel/x86-defs.h
KERNEL_VMA equ 0xffffffff80000000

global _start, boot_pml4, boot_stack_top
extern kmain

section .boot.text progbits alloc exec
bits 32
_start:
    cli
    mov esp, boot_stack_top - KERNEL_VMA
    mov edi, eax                       ; magic, first argument of kmain
    mov esi, ebx                       ; information block, second argument

    ; long mode needs CPUID leaf 0x80000001 EDX.LM; without it say so on COM1
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29
    jz .no_long_mode

    ; PD: 512 x 2 MiB pages = the first 1 GiB
    mov ecx, 0
.fill_pd:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83                       ; present, writable, 2 MiB page
    mov [boot_pd - KERNEL_VMA + ecx*8], eax
    mov dword [boot_pd - KERNEL_VMA + ecx*8 + 4], 0
    inc ecx
    cmp ecx, 512
    jne .fill_pd

    mov eax, boot_pd - KERNEL_VMA
    or eax, 3
    mov [boot_pdpt_low - KERNEL_VMA], eax          ; 0 .. 1 GiB
    mov [boot_pdpt_high - KERNEL_VMA + 510*8], eax ; -2 GiB .. -1 GiB
    mov eax, boot_pdpt_low - KERNEL_VMA
    or eax, 3
    mov [boot_pml4 - KERNEL_VMA], eax
    mov eax, boot_pdpt_high - KERNEL_VMA
    or eax, 3
    mov [boot_pml4 - KERNEL_VMA + 511*8], eax

    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, boot_pml4 - KERNEL_VMA
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    mov eax, cr0
    and eax, ~(CR0_CD | CR0_NW)     ; the firmware's choice, not Multiboot2's promise
    or eax, CR0_PG | CR0_WP | CR0_PE
    mov cr0, eax

    lgdt [boot_gdtr - KERNEL_VMA]
    jmp 0x08:.long_mode

.no_long_mode:
    mov esi, no_lm_msg - KERNEL_VMA
.putc:
    lodsb
    test al, al
    jz .halt
    mov dx, 0x3f8
    out dx, al
    jmp .putc
.halt:
    hlt
    jmp .halt

bits 64
.long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    mov rax, higher_half
    jmp rax

section .text
higher_half:
    mov rsp, boot_stack_top
    xor ebp, ebp                       ; ends the backtrace
    call kmain
    ud2

section .boot.data progbits alloc noexec write
align 8
boot_gdt:
    dq 0
    dq DESC_KCODE64                    ; 0x08
    dq DESC_KDATA                      ; 0x10
boot_gdtr:
    dw boot_gdtr - boot_gdt - 1
    dq boot_gdt - KERNEL_VMA
no_lm_msg: db "peel: this CPU has no long mode; cannot boot", 13, 10, 0

section .boot.bss nobits alloc noexec write
alignb 4096
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096
boot_pdpt_high: resb 4096
boot_pd:        resb 4096

section .bss
alignb 16
boot_stack:     resb 16384
boot_stack_top:
