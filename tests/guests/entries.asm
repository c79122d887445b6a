; The guest's own int 15, syscall and sysenter beside a peeled function
; entered by int 15 or syscall (entries.manifest peels twice): the host
; must tell its own entries from the guest's.  Expected, as on a CPU:
; int 15 arrives through this guest's IDT with EIP past the instruction
; (with a prefix too); syscall is #UD and sysenter #GP(0) (or #UD, as AMD
; gives in long mode), both with EIP at the instruction, and syscall leaves
; ECX alone (with the host's syscall entry open for the peel site, the
; scanner must have sent it through the host: scan.c).  Then far
; transfers the CPU makes without a trap (jmp, call and retf between two
; flat code segments, from memory and immediate, in ring 0 and ring 3):
; after each the peeled function must come back to the CS the guest is
; in (the syscall entry keeps no CS of its own), and a syscall in ring 3,
; reached by a retf, must be the CPU's #UD with ECX intact and the frame
; saying ring 3 (the entry must not be open there: scan.c far_seen).
%include "tests/guests/guest.inc"
global _start, twice:function (twice.end - twice)

KCODE  equ 0x08
KDATA  equ 0x10
KCODE2 equ 0x18                        ; a second flat code segment
UCODE  equ 0x23                        ; GDT 4, RPL 3
UDATA  equ 0x2b                        ; GDT 5, RPL 3
TSS_SEL equ 0x30
USTACK equ 0x80000

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
    jmp KCODE2:.on_cs2                 ; far jmp, immediate
.on_cs2:
    call check_twice
    mov bx, KCODE2
    call check_cs
    call KCODE:far_sub                 ; far call, immediate; a retf back
    call check_twice
    mov bx, KCODE2
    call check_cs
    call far [far_sub_ptr]             ; far call through memory (m16:32)
    call check_twice
    mov bx, KCODE2
    call check_cs
    jmp far [back_ptr]                 ; far jmp through memory, to KCODE
.back:
    call check_twice
    mov bx, KCODE
    call check_cs
    say "entries: far jmp, call and retf: the peeled call came back to the CS of each"

    mov eax, tss                       ; ring 3, entered by a retf
    mov [gdt + 6 * 8 + 2], ax
    shr eax, 16
    mov [gdt + 6 * 8 + 4], al
    mov [gdt + 6 * 8 + 7], ah
    mov dword [tss + 4], 0x90000       ; esp0
    mov dword [tss + 8], KDATA         ; ss0
    mov ax, TSS_SEL
    ltr ax
    mov eax, on_ud_user
    mov edi, idt + 6 * 8
    call gate
    mov [kernel_esp], esp
    push dword UDATA
    push dword USTACK
    push dword UCODE
    push dword user
    retf
.from_user:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    cmp dword [user_ud], 1
    jne bad
    call check_twice
    mov bx, KCODE
    call check_cs
    say "entries: ring 3 by retf: its syscall raised the CPU's #UD, ECX intact"
    say "entries: ok"
    mov al, 0
    jmp exit

bad:
    say "entries: WRONG"
    mov al, 1
    jmp exit

; CS is bx (RPL aside: ring 1 shows 1 where the guest's ring 0 is)
check_cs:
    mov ax, cs
    and ax, 0xfffc
    cmp ax, bx
    jne bad
    ret

; reached by a far call from KCODE2: the peeled function answers, and CS
; is KCODE before and after it
far_sub:
    mov bx, KCODE
    call check_cs
    call check_twice
    mov bx, KCODE
    call check_cs
    retf

; ring 3: a far jmp within it, a far call and retf within it, then the
; guest's own syscall, #UD at the instruction
user:
    mov ax, UDATA
    mov ds, ax
    mov es, ax
    jmp UCODE:.u2
.u2:
    call UCODE:user_sub
    mov ecx, 0xc0ffee11
.sc:
    syscall
    jmp $                              ; (on_ud_user does not come back)
user_sub:
    retf

; #UD from ring 3: [esp] EIP, [esp + 4] CS; back to the kernel's flow
on_ud_user:
    cmp dword [esp], user.sc
    jne bad
    mov eax, [esp + 4]
    and eax, 3
    cmp eax, 3
    jne bad
    cmp ecx, 0xc0ffee11
    jne bad
    mov dword [user_ud], 1
    mov esp, [kernel_esp]
    jmp _start.from_user

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
       dq 0x00cf9a000000ffff           ; KCODE2: the same again
       dq 0x00cffa000000ffff           ; UCODE: code, DPL 3, flat
       dq 0x00cff2000000ffff           ; UDATA: data, DPL 3, flat
       dq 0x0000890000000067           ; TSS_SEL: 32-bit TSS, base filled in
gdtr:  dw 7 * 8 - 1
       dd gdt
far_sub_ptr: dd far_sub
             dw KCODE
back_ptr:    dd _start.back
             dw KCODE
kernel_esp:  dd 0
user_ud:     dd 0
idtr:  dw 16 * 8 - 1
       dd idt
expect:  dd 0
seen_15: dd 0
seen_ud: dd 0
seen_gp: dd 0
section .bss
alignb 8
idt:   resq 16
tss:   resb 0x68
