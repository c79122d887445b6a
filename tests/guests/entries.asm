; The guest's own int 15, syscall and sysenter beside a peeled function
; entered by int 15 or syscall (entries.manifest peels twice): the host
; must tell its own entries from the guest's.  Expected, as on a CPU:
; int 15 arrives through this guest's IDT with EIP past the instruction
; (with a prefix too); syscall is #UD and sysenter #GP(0) (or #UD, as AMD
; gives in long mode), both with EIP at the instruction, and syscall leaves
; ECX alone (with the host's syscall entry open for the peel site, the
; scanner must have sent it through the host: scan.c).
%include "tests/guests/guest.inc"
global _start, twice:function (twice.end - twice)

KCODE equ 0x08
KDATA equ 0x10

_start:
    mov esp, 0x90000
    lgdt [gdtr]                        ; own flat GDT, as a real kernel loads
    jmp KCODE:.flat
.flat:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, on_ud                     ; gates for 6, 13, 15
    mov edi, idt + 6 * 8
    call gate
    mov eax, on_gp
    mov edi, idt + 13 * 8
    call gate
    mov eax, on_15
    mov edi, idt + 15 * 8
    call gate
    lidt [idtr]
    say "entries: own int 15, syscall, sysenter beside a peeled function"

    call check_twice
    mov dword [expect], .after_int     ; int 15: the handler sees EIP past it
    int 15
.after_int:
    cmp dword [seen_15], 1
    jne bad
    mov dword [expect], .after_prefixed
    db 0x3e                            ; ds: int 15 (three bytes)
    int 15
.after_prefixed:
    cmp dword [seen_15], 2
    jne bad
    say "entries: int 15 delivered through the guest's IDT"

    call check_twice
    mov dword [expect], .sc            ; syscall: #UD at the instruction
    mov ecx, 0xc0ffee11
.sc:
    syscall
    cmp dword [seen_ud], 1
    jne bad
    cmp ecx, 0xc0ffee11                ; a CPU's #UD changes no register
    jne bad
    say "entries: syscall raised #UD"

    mov dword [expect], .se            ; sysenter: #GP(0) or #UD at the instruction
.se:
    sysenter
    mov eax, [seen_gp]
    add eax, [seen_ud]
    cmp eax, 2
    jne bad
    say "entries: sysenter raised #GP(0) or #UD"

    call check_twice
    say "entries: ok"
    mov al, 0
    jmp exit

bad:
    say "entries: WRONG"
    mov al, 1
    jmp exit

; the peeled function still answers, natively or not
check_twice:
    push 21
    call twice
    add esp, 4
    cmp eax, 42
    jne bad
    ret

twice:                                 ; a long first instruction: two-byte entry
    mov eax, [esp + 4]
    add eax, eax
    ret
.end:

; a 32-bit interrupt gate at edi for the handler at eax
gate:
    mov word [edi], ax
    mov word [edi + 2], KCODE
    mov word [edi + 4], 0x8e00
    shr eax, 16
    mov word [edi + 6], ax
    ret

on_15:                                 ; [esp] EIP
    push eax
    mov eax, [esp + 4]
    cmp eax, [expect]
    jne bad
    inc dword [seen_15]
    pop eax
    iret

on_ud:                                 ; [esp] EIP: step over the two bytes
    push eax
    mov eax, [esp + 4]
    cmp eax, [expect]
    jne bad
    add dword [esp + 4], 2
    inc dword [seen_ud]
    pop eax
    iret

on_gp:                                 ; [esp] error code, [esp + 4] EIP
    push eax
    cmp dword [esp + 4], 0
    jne bad
    mov eax, [esp + 8]
    cmp eax, [expect]
    jne bad
    add dword [esp + 8], 2
    inc dword [seen_gp]
    pop eax
    add esp, 4
    iret

section .data
align 8
gdt:   dq 0
       dq 0x00cf9a000000ffff           ; code, execute/read, flat
       dq 0x00cf92000000ffff           ; data, read/write, flat
gdtr:  dw 3 * 8 - 1
       dd gdt
idtr:  dw 16 * 8 - 1
       dd idt
expect:  dd 0
seen_15: dd 0
seen_ud: dd 0
seen_gp: dd 0
section .bss
alignb 8
idt:   resq 16
