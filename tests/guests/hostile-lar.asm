; lar, lsl, verr and verw on selectors beyond the guest's GDT limit
; (issue 11).  The guest's table has 4 slots (limit 0x1f); the real GDT
; the host mirrors it into has 8192, the host's own descriptors at the top
; (8184.. the boot CS/DS of DPL 1, kernel CS/DS, TSS).  None of these
; unprivileged instructions may answer (ZF=1) for an index beyond the
; guest's limit: a CPU checks the selector against GDTR.limit first.  Both
; RPL 0 and RPL 1 selectors are tried.
%include "tests/guests/hostile.inc"

main:
    say "lar: lar/lsl/verr/verw on every selector beyond a GDT of 4 slots"
    lgdt [gdtr4]
    xor ebx, ebx                       ; answers
    mov ecx, 4 << 3                    ; the first selector beyond the limit
.sel:
    mov edx, ecx
    call probe
    or edx, 1
    call probe
    add ecx, 8
    cmp ecx, 0x10000
    jb .sel
    lgdt [gdtr]
    test ebx, ebx
    jnz .bad
    finish 0, "lar: PASS no answer beyond the GDT limit"
.bad:
    put "lar: "
    decimal ebx
    say " answers beyond the limit"
    finish 1, "lar: FAIL"

; try selector dx four ways; count and show answers
probe:
    lar eax, dx
    jnz .lsl
    mov esi, s_lar
    call answered
.lsl:
    lsl eax, dx
    jnz .verr
    mov esi, s_lsl
    call answered
.verr:
    verr dx
    jnz .verw
    xor eax, eax
    mov esi, s_verr
    call answered
.verw:
    verw dx
    jnz .done
    xor eax, eax
    mov esi, s_verw
    call answered
.done:
    ret

answered:                              ; esi: the instruction, eax: its answer
    inc ebx
    cmp ebx, 24                        ; say the first few
    ja .quiet
    call print
    hex edx
    put " (index "
    push edx
    shr edx, 3
    decimal edx
    pop edx
    put ") answered "
    hex eax
    put 10
.quiet:
    ret

section .rodata
s_lar:  db "lar: LEAK: lar ", 0
s_lsl:  db "lar: LEAK: lsl ", 0
s_verr: db "lar: LEAK: verr ", 0
s_verw: db "lar: LEAK: verw ", 0
section .data
align 8
gdtr4:
    dw 4 * 8 - 1
    dd gdt
