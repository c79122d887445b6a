; The 16-bit stack segment leak probe (issue 11; Linux's "espfix"): with a
; 16-bit (B=0) data segment in SS a CPU uses only SP for the stack, and an
; iret to it restores only SP -- the upper half of ESP comes from whoever
; returned.  The guest sets ESP = 0x12348000 and traps to the host:
;   cli, out   emulated                       -> ESP still 0x12348000
;   int 0x40   delivered through its own IDT on the 16-bit stack
;                                              -> the handler sees 0x12347ff4
;   pushf      the patched pushf, emulated    -> ESP 0x12347ffc, at SS:SP
;   retf 4     to the guest's ring-0 CS (RPL 0: emulated), from ESP
;              0x12340000 less 12: the release of 4 wraps SP to 0
;                                              -> ESP 0x12340000
; Bits 16..31 must stay 0x1234; today they carry the host's kernel RSP.
%include "tests/guests/hostile.inc"

SEL16 equ 0x18
ESPV  equ 0x12348000

main:
    say "espfix: SS = a 16-bit data segment, ESP = 0x12348000, then a trap"
    xor eax, eax
    mov ebx, 0xffff
    mov edi, SEL16 >> 3
    mov cx, 0x0092                     ; byte granular, B=0, present data DPL 0
    call make_desc
    lgdt [gdtr]
    mov edi, 0x40
    mov eax, int_handler
    mov bx, CODE_SEL
    mov cl, 0x8e
    call set_gate
    cli
    run_case "cli", t_cli
    run_case "out", t_out
    run_case "int", t_int
    run_case "pushf", t_pushf
    run_case "retf", t_retf
    cmp dword [failures], 0
    jne .bad
    finish 0, "espfix: PASS ESP kept its upper half"
.bad:
    finish 1, "espfix: FAIL"

%macro on16 0                          ; SS 16-bit, ESP = ESPV; saves the flat ESP
    mov [flat_esp], esp
    mov ax, SEL16
    mov ss, ax
    mov esp, ESPV
%endmacro
%macro off16 0                         ; eax = ESP as it was, back on the flat stack
    mov eax, esp
    mov bx, DATA_SEL
    mov ss, bx
    mov esp, [flat_esp]
%endmacro

t_cli:
    put "espfix cli: "
    mov dword [want], ESPV
    try .after
    on16
    cli
    off16
    jmp judge
.after:
    jmp judge_fault

t_out:
    put "espfix out: "
    mov dword [want], ESPV
    try .after
    on16
    out 0x80, al
    off16
    jmp judge
.after:
    jmp judge_fault

t_int:
    put "espfix int 0x40 (the handler's ESP): "
    mov dword [want], ESPV - 12
    try .after
    on16
    int 0x40
    jmp $                              ; the handler does not come back
.after:
    jmp judge_fault
int_handler:
    mov eax, esp
    mov bx, DATA_SEL
    mov ss, bx
    mov ds, bx
    mov esp, [flat_esp]
    endtry
    jmp judge

t_pushf:
    put "espfix pushf: "
    mov dword [want], ESPV - 4
    try .after
    on16
    pushfd
    off16
    jmp judge
.after:
    jmp judge_fault

t_retf:
    put "espfix retf 4 (SP wraps to 0): "
    mov dword [want], ESPV & 0xffff0000
    try .after
    mov [flat_esp], esp
    mov ax, SEL16
    mov ss, ax
    mov esp, ESPV & 0xffff0000
    push dword 0                       ; the 4 bytes retf 4 releases, at SP 0xfffc
    push dword CODE_SEL                ; RPL 0: ring 1 faults, the host returns for it
    push dword .back
    retf 4                             ; SP 0xfffc after the pops, then 0: a CPU keeps bits 16..31
.back:
    off16
    jmp judge
.after:
    jmp judge_fault

judge:                                 ; eax: ESP as the guest read it
    endtry
    cmp eax, [want]
    jne .wrong
    put "ESP "
    hex eax
    say ", as on a CPU"
    ret
.wrong:
    inc dword [failures]
    put "LEAK: ESP "
    hex eax
    put ", a CPU gives "
    hex dword [want]
    put 10
    ret

judge_fault:
    endtry
    mov esp, [resume_esp]
    inc dword [failures]
    put "WRONG: exception in the guest, "
    call put_exc
    put 10
    ret

section .data
align 4
failures: dd 0
flat_esp: dd 0
want:     dd 0
