; pagetest's privileged mechanics (the rest is pagetest.c): the Multiboot
; header, the entry, the exception and `int 0x80` stubs, and probe(), which
; runs one access from ring 0 or ring 3 and comes back whether it faulted or
; not.  Kept in assembly because each access must be exactly one known
; instruction at a known address (the faulting EIP is checked) and ring 3
; is entered by iret and left by a trap.

MB_MAGIC  equ 0x1badb002
KCODE     equ 0x08
KDATA     equ 0x10
UCODE     equ 0x18 | 3
UDATA     equ 0x20 | 3

section .multiboot                     ; first in the image (pagetest.ld)
align 4
    dd MB_MAGIC, 0, -MB_MAGIC

section .text
bits 32
global _start
extern pt_main, pt_fatal, xrec, probe_addr
_start:
    mov esp, kstack_top
    cld
    push ebx                           ; the Multiboot information
    call pt_main                       ; never returns (it leaves through port 0xf4)
.stop:
    jmp .stop

; xrec, as pagetest.c declares it: what the last exception left
XR_FAULT  equ 0
XR_VEC    equ 4
XR_ERR    equ 8
XR_EIP    equ 12
XR_CS     equ 16
XR_EFLAGS equ 20
XR_ESP    equ 24
XR_SS     equ 28
XR_CR2    equ 32

; uint32_t probe(void (*fn)(void), int user): call fn in ring 0 (it returns
; with eax) or iret to it in ring 3 on the user stack (it ends with int 0x80,
; eax its result).  An exception on the way lands in exc_common, which comes
; back here: xrec.fault says which, and eax is 0 then.
global probe
probe:
    push ebp
    push ebx
    push esi
    push edi
    mov [probe_esp], esp
    mov dword [xrec + XR_FAULT], 0
    mov dword [in_probe], 1
    mov eax, [esp + 20]
    cmp dword [esp + 24], 0
    jne .user
    call eax
    jmp probe_return
.user:
    push dword UDATA
    push dword ustack_top
    push dword 0x2                     ; IF clear, IOPL 0
    push dword UCODE
    push eax
    mov cx, UDATA
    mov ds, cx
    mov es, cx
    iret

probe_return:
    mov cx, KDATA
    mov ds, cx
    mov es, cx
    mov esp, [probe_esp]
    mov dword [in_probe], 0
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

; The accesses.  Each reads its address from probe_addr; the *_at labels
; are the instructions that may fault (their EIP is what a #PF must show).
global k_read, k_read_at, k_write, k_write_at, k_fetch
global u_read, u_read_at, u_write, u_write_at, u_fetch, u_cli, u_cli_at
WRITE_VAL equ 0x77e1e77e
k_read:
    mov edx, [probe_addr]
k_read_at:
    mov eax, [edx]
    ret
k_write:
    mov edx, [probe_addr]
k_write_at:
    mov dword [edx], WRITE_VAL
    mov eax, WRITE_VAL
    ret
k_fetch:
    mov edx, [probe_addr]
    call edx
    ret
u_read:
    mov edx, [probe_addr]
u_read_at:
    mov eax, [edx]
    int 0x80
u_write:
    mov edx, [probe_addr]
u_write_at:
    mov dword [edx], WRITE_VAL
    mov eax, WRITE_VAL
    int 0x80
u_fetch:
    mov edx, [probe_addr]
    call edx
    int 0x80
u_cli:                                 ; IOPL 0: #GP(0) in ring 3
    mov eax, 0x1234
u_cli_at:
    cli
    int 0x80

; Instructions a host emulates, their operand at probe_addr: what they do
; to memory is checked by the caller.  The I/O port is 0x80, which nothing
; here reads back.
global k_lgdt, k_lgdt_at, k_sgdt, k_sgdt_at, u_sgdt, u_sgdt_at, k_sidt, k_sidt_at
global k_outsb, k_outsb_at, k_insb, k_insb_at
k_lgdt:
    mov edx, [probe_addr]
k_lgdt_at:
    lgdt [edx]
    ret
k_sgdt:
    mov edx, [probe_addr]
k_sgdt_at:
    sgdt [edx]
    ret
u_sgdt:
    mov edx, [probe_addr]
u_sgdt_at:
    sgdt [edx]
    int 0x80
k_sidt:
    mov edx, [probe_addr]
k_sidt_at:
    sidt [edx]
    ret
k_outsb:
    mov esi, [probe_addr]
    mov dx, 0x80
k_outsb_at:
    outsb
    ret
k_insb:
    mov edi, [probe_addr]
    mov dx, 0x80
k_insb_at:
    insb
    ret

; int 0x80 (a DPL-3 gate): ring 3 is done, eax its result
global sys_back
sys_back:
    jmp probe_return

; Exceptions: [esp] vector, error, eip, cs, eflags (and esp, ss from ring 3)
exc_common:
    push eax
    mov eax, [esp + 4]
    mov [ss:xrec + XR_VEC], eax
    mov eax, [esp + 8]
    mov [ss:xrec + XR_ERR], eax
    mov eax, [esp + 12]
    mov [ss:xrec + XR_EIP], eax
    mov eax, [esp + 16]
    mov [ss:xrec + XR_CS], eax
    mov eax, [esp + 20]
    mov [ss:xrec + XR_EFLAGS], eax
    mov dword [ss:xrec + XR_ESP], 0
    mov dword [ss:xrec + XR_SS], 0
    test byte [esp + 16], 3
    jz .kernel
    mov eax, [esp + 24]
    mov [ss:xrec + XR_ESP], eax
    mov eax, [esp + 28]
    mov [ss:xrec + XR_SS], eax
.kernel:
    mov eax, cr2
    mov [ss:xrec + XR_CR2], eax
    pop eax
    mov cx, KDATA
    mov ds, cx
    mov es, cx
    cmp dword [in_probe], 0
    je .fatal
    mov dword [xrec + XR_FAULT], 1
    xor eax, eax
    jmp probe_return
.fatal:
    call pt_fatal                      ; prints xrec and leaves

%assign v 0
%rep 32
stub_ %+ v:
%if v == 8 || (v >= 10 && v <= 14) || v == 17
    push dword v
%else
    push dword 0
    push dword v
%endif
    jmp exc_common
%assign v v + 1
%endrep

section .rodata
global exc_stubs
align 4
exc_stubs:
%assign v 0
%rep 32
    dd stub_ %+ v
%assign v v + 1
%endrep

section .data
align 4
probe_esp: dd 0
in_probe:  dd 0

section .bss
alignb 4096
global kstack_top, estack_top, ustack_top
kstack: resb 16384
kstack_top:
estack: resb 4096                      ; the TSS's esp0: traps from ring 3
estack_top:
ustack: resb 4096
ustack_top:
