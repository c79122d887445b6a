; TF over an emulated instruction (issue 11): popf sets TF; the next
; instruction is one the host emulates (out, cli, in, the patched pushf);
; a CPU raises #DB right after it, with EIP pointing at the instruction
; that follows.  Today the host returns with TF still set and the guest
; runs one more instruction before the #DB.  The #DB handler records the
; first EIP it sees and clears TF in the frame.
%include "tests/guests/hostile.inc"

main:
    say "tf: single-stepping over instructions the host emulates"
    mov edi, 1
    mov eax, db_handler
    mov bx, CODE_SEL
    mov cl, 0x8e
    call set_gate
    cli
%macro step 2-3 0                      ; "name", the instruction, EIP past it
    step_ %1, {%2}, %3
%endmacro
%macro step_ 3
    put "tf "
    put %1
    put ": "
    mov dword [db_eip], 0
    mov dword [db_hits], 0
    mov dword [want], %%after + %3
    pushfd
    or dword [esp], 0x100
    popfd
    %2
%%after:
    nop
    nop
    nop
    call judge
%endmacro
    step "out 0x80", {out 0x80, al}
    step "cli", {cli}
    step "in 0x61", {in al, 0x61}
    step "pushf", {pushfd}
    add esp, 4                         ; what pushf pushed
    step "mov ss (a trapping load; it holds #DB off for one more)", {mov ss, [ss_sel]}, 1
    step "lidt", {lidt [idtr]}
    cmp dword [failures], 0
    jne .bad
    finish 0, "tf: PASS every #DB right after the emulated instruction"
.bad:
    finish 1, "tf: FAIL"

db_handler:
    inc dword [ss:db_hits]
    cmp dword [ss:db_hits], 1
    jne .clear
    push eax
    mov eax, [esp + 4]
    mov [ss:db_eip], eax
    pop eax
.clear:
    and dword [esp + 8], ~0x100
    iretd

judge:
    mov eax, [db_eip]
    cmp eax, [want]
    jne .wrong
    put "#DB at "
    hex eax
    say ", right after it, as on a CPU"
    ret
.wrong:
    inc dword [failures]
    put "WRONG: #DB at "
    hex eax
    put ", a CPU stops at "
    hex dword [want]
    put 10
    ret

section .data
align 4
failures: dd 0
db_eip:   dd 0
db_hits:  dd 0
want:     dd 0
ss_sel:   dw DATA_SEL
