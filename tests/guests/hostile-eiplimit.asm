; EIP past the CS limit (issue 11).  Selector 0x18 is a code segment whose
; base is the block `blk` and whose limit is 0x3f.  case=NAME (default all):
;   jmp   a near jmp at offset 0 to offset 0xa0           -> #GP(0) at 0x18:0
;         (executed natively: QEMU's TCG does not check this limit even on
;         a bare 32-bit PC, so running past is reported but not counted)
;   cli   a trapping cli as the last byte (0x3f): the host emulates it and
;         would return to 0x40                           -> #GP(0) at 0x18:0x40
;   iret  the guest's iret (emulated) to 0x18:0x60       -> #GP(0) at the iret
;   gate  int 0x40 through a gate to 0x18:0x80           -> #GP(0) at the int
; Beyond the limit lie stubs that report "ran past the CS limit": on
; hardware the host's iretq would fault instead (a host panic today).
%include "tests/guests/hostile.inc"

LIM_SEL equ 0x18
LIMIT   equ 0x3f

main:
    say "eiplimit: code segment 0x18 with limit 0x3f"
    mov eax, blk
    mov ebx, LIMIT
    mov edi, LIM_SEL >> 3
    mov cx, 0x049a                     ; byte granular, D, present code DPL 0
    call make_desc
    lgdt [gdtr]
    run_case "jmp", c_jmp
    run_case "cli", c_cli
    run_case "iret", c_iret
    run_case "gate", c_gate
    cmp dword [failures], 0
    jne .bad
    finish 0, "eiplimit: PASS every EIP past the limit faulted in the guest"
.bad:
    finish 1, "eiplimit: FAIL"

c_jmp:
    put "eiplimit jmp: jmp from 0x18:0 to 0x18:0xa0: "
    mov dword [want_eip], 0
    mov dword [want_cs], LIM_SEL
    mov dword [native], 1
    try .after
    jmp LIM_SEL:0
.after:
    jmp judge

c_cli:
    put "eiplimit cli: cli at 0x18:0x3f, the last byte: "
    mov dword [want_eip], LIMIT + 1
    mov dword [want_cs], LIM_SEL
    try .after
    jmp LIM_SEL:LIMIT
.after:
    jmp judge

c_iret:
    put "eiplimit iret: iret to 0x18:0x60: "
    mov dword [want_eip], .iret
    mov dword [want_cs], CODE_SEL
    try .after
    push dword 0x2
    push dword LIM_SEL
    push dword 0x60
.iret:
    iretd
.after:
    jmp judge

c_gate:
    put "eiplimit gate: int 0x40 through a gate to 0x18:0x80: "
    mov edi, 0x40
    mov eax, 0x80
    mov bx, LIM_SEL
    mov cl, 0x8e
    call set_gate
    mov dword [want_eip], .int
    mov dword [want_cs], CODE_SEL
    try .after
.int:
    int 0x40
.after:
    jmp judge

; the verdict: #GP(0) at want_cs:want_eip
judge:
    endtry
    mov esp, [resume_esp]
    xor eax, eax
    xchg eax, [native]
    cmp dword [ran_past], 0
    je .judge
    test eax, eax
    jz .past
    put "ran past the CS limit, at offset "
    hex dword [ran_past]
    say ": native: TCG does not check it (a CPU: #GP(0)); not counted"
    mov dword [ran_past], 0
    ret
.judge:
    cmp dword [exc_vec], 13
    jne .wrong
    cmp dword [exc_err], 0
    jne .wrong
    mov eax, [exc_cs]
    and eax, 0xfffc
    cmp eax, [want_cs]
    jne .wrong
    mov eax, [exc_eip]
    cmp eax, [want_eip]
    jne .wrong
    put "#GP(0) in the guest, as on a CPU: "
    call put_exc
    put 10
    ret
.past:
    inc dword [failures]
    put "WRONG: ran past the CS limit, at offset "
    hex dword [ran_past]
    put 10
    mov dword [ran_past], 0
    ret
.wrong:
    inc dword [failures]
    put "WRONG: wanted #GP(0) at "
    hex dword [want_cs]
    put ":"
    hex dword [want_eip]
    put ", got "
    cmp dword [exc_vec], -1
    je .none
    call put_exc
    put 10
    ret
.none:
    say "no exception"
    ret

; the limited segment's code, and what lies beyond its limit
%macro past 1
    times %1 - ($ - blk) db 0x90
    mov dword [ran_past], %1
    jmp CODE_SEL:back
%endmacro
align 4096
blk:
    jmp blk + 0xa0
    times LIMIT - ($ - blk) db 0x90
    cli                                ; the last byte within the limit
    past 0x40
    past 0x60
    past 0x80
    past 0xa0
back:
    mov eax, [resume_eip]
    jmp eax

section .data
align 4
failures: dd 0
native:   dd 0
ran_past: dd 0
want_eip: dd 0
want_cs:  dd 0
