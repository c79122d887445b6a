; Trapping instructions under a code segment whose base is not 0.  Code
; selector 0x18 has base 64 KiB: the same bytes run at offset = linear -
; 64 KiB.  A CPU executes at CS.base + EIP; the host must decode (and find
; its pushf/popf/iret patches) at that address too, not at EIP, or it
; emulates whatever lies at linear EIP -- here zeros -- or reflects a #GP
; for an instruction the guest may execute.  Tried under 0x18: cli, pushf
; (patched), sti, pushf, popf (patched), in (0x21), out, lgdt, mov ss, int 0x40
; (its handler irets, emulated, back to 0x18), and a far jmp back.
%include "tests/guests/hostile.inc"
global under_base:function (under_base.end - under_base)

CSB      equ 0x18
CS_BASE  equ 0x10000

main:
    say "csbase: trapping instructions under a code segment with base 0x10000"
    mov eax, CS_BASE
    mov ebx, 0xfffff
    mov edi, CSB >> 3
    mov cx, 0x0c9a
    call make_desc
    lgdt [gdtr]
    mov edi, 0x40
    mov eax, int40
    mov bx, CODE_SEL
    mov cl, 0x8e
    call set_gate
    mov al, 0xff                       ; every IRQ masked: sti brings none
    out 0x21, al
    out 0xa1, al
    in al, 0x21                        ; what the PIC mask reads, from flat code
    mov [want_61], al
    try .fault
    jmp CSB:(under_base - CS_BASE)
.fault:
    endtry
    mov esp, [resume_esp]
    put "csbase: WRONG: exception in the guest at step "
    decimal dword [step]
    put ", "
    call put_exc
    put 10
    finish 1, "csbase: FAIL"
.back:
    endtry
    xor ebx, ebx
    test dword [flags_cli], 0x200
    jz .f1
    or ebx, 1
.f1:
    test dword [flags_sti], 0x200
    jnz .f2
    or ebx, 2
.f2:
    mov al, [got_61]
    cmp al, [want_61]
    je .f3
    or ebx, 4
.f3:
    cmp dword [int_cs], CSB
    je .f4
    or ebx, 8
.f4:
    cmp dword [int_eip], under_base.after_int - CS_BASE
    je .f5
    or ebx, 16
.f5:
    put "csbase: IF after cli "
    hex dword [flags_cli]
    put ", after sti "
    hex dword [flags_sti]
    put "; port 0x21 "
    hex dword [got_61]
    put "; int 0x40 from "
    hex dword [int_cs]
    put ":"
    hex dword [int_eip]
    put 10
    test ebx, ebx
    jnz .wrong
    finish 0, "csbase: PASS every trapping instruction did under base 0x10000 what it does flat"
.wrong:
    put "csbase: WRONG (1 cli, 2 sti, 4 in, 8 int frame CS, 16 int frame EIP): "
    hex ebx
    put 10
    finish 1, "csbase: FAIL"

; runs under CSB: EIP = linear - 64 KiB; data stays flat (DS base 0)
under_base:
    mov dword [step], 1
    cli
    mov dword [step], 2
    pushfd
    pop dword [flags_cli]
    mov dword [step], 3
    sti
    pushfd
    pop dword [flags_sti]
    cli
    mov dword [step], 4
    push dword 0x2                     ; popf: IF stays off
    popfd
    mov dword [step], 5
    in al, 0x21
    mov [got_61], al
    mov dword [step], 6
    out 0x80, al
    mov dword [step], 7
    lgdt [gdtr]
    mov dword [step], 8
    mov ax, DATA_SEL
    mov ss, ax
    mov dword [step], 9
    int 0x40
.after_int:
    mov dword [step], 10
    jmp CODE_SEL:main.back
.end:

int40:
    mov eax, [esp]
    mov [int_eip], eax
    mov eax, [esp + 4]
    and eax, 0xfffc
    mov [int_cs], eax
    iretd

section .data
align 4
step:      dd 0
flags_cli: dd 0
flags_sti: dd 0
want_61:   dd 0
got_61:    dd 0
int_cs:    dd 0
int_eip:   dd 0
