; The host's descriptors at the top of the real GDT, seen from the guest
; (issue 11): lar, lsl, verr, verw and loads.  The real GDT the host
; mirrors a guest's table into has 8192 slots, the host's own at the top
; (8184.. the boot CS/DS of DPL 1, kernel CS/DS, TSS).  case=NAME:
;   probe  none of these unprivileged instructions may answer (ZF=1) for an
;          index beyond the guest's limit: a CPU checks the selector against
;          GDTR.limit first (RPL 0 and RPL 1 selectors)
;   load   mov ds with those selectors must raise #GP(selector)
;   top    a guest GDT of all 8192 slots: loads of its own slots 8185 and
;          8189 must give its own descriptors, not the host's
;          (a host may also refuse such a GDT and stop the guest, saying so)
%include "tests/guests/hostile.inc"

main:
    run_case "probe", sweep
    run_case "load", load_host
    run_case "top", top_slots
    cmp dword [failures], 0
    jne .bad
    finish 0, "lar: PASS no answer beyond the GDT limit, and the guest's own slots are its own"
.bad:
    finish 1, "lar: FAIL"

; case=probe: every selector beyond a 4-slot GDT, four instructions, RPL 0 and 1
sweep:
    say "lar probe: lar/lsl/verr/verw on every selector beyond a GDT of 4 slots"
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
    jz .ok
    add [failures], ebx
    put "lar probe: "
    decimal ebx
    say " answers beyond the limit"
    ret
.ok:
    say "lar probe: no answer beyond the limit, as on a CPU"
    ret

; case=load: mov ds with the selectors of slots 8184..8191, GDT of 4 slots:
; each must raise #GP(selector), as any selector beyond the limit
load_host:
    say "lar load: mov ds with selectors 0xffc0..0xfff8 beyond a GDT of 4 slots"
    lgdt [gdtr4]
    mov ecx, 8184 << 3
.sel:
    try .after
    mov ds, cx
    mov ax, DATA_SEL
    mov ds, ax
.after:
    endtry
    mov esp, [resume_esp]
    cmp dword [exc_vec], 13
    jne .wrong
    mov eax, ecx
    cmp [exc_err], eax
    je .next
.wrong:
    inc dword [failures]
    put "lar load: WRONG: mov ds, "
    hex ecx
    put ": "
    cmp dword [exc_vec], -1
    je .loaded
    call put_exc
    put 10
    jmp .next
.loaded:
    say "loaded (a CPU: #GP(selector))"
.next:
    add ecx, 8
    cmp ecx, 0x10000
    jb .sel
    lgdt [gdtr]
    cmp dword [failures], 0
    jne .out
    say "lar load: every one raised #GP(selector), as on a CPU"
.out:
    ret

; case=top: a full 8192-slot GDT whose slots 8185 and 8189 are the guest's
; own data segments (bases 3 MiB and 3 MiB + 4 KiB): a load must get them
TOP_GDT  equ 0x200000
TOP_DATA equ 0x300000
top_slots:
    say "lar top: a GDT of 8192 slots; DS from the guest's own slots 8185 and 8189"
    mov edi, TOP_GDT                   ; the include's slots, then zeros
    mov esi, gdt
    mov ecx, GDT_SLOTS * 2
    rep movsd
    mov ecx, (8192 - GDT_SLOTS) * 2
    xor eax, eax
    rep stosd
    mov dword [TOP_GDT + 8185 * 8], 0x0000ffff      ; base 3 MiB, data, DPL 0
    mov dword [TOP_GDT + 8185 * 8 + 4], 0x00cf9230
    mov dword [TOP_GDT + 8189 * 8], 0x1000ffff      ; base 3 MiB + 4 KiB
    mov dword [TOP_GDT + 8189 * 8 + 4], 0x00cf9230
    mov dword [TOP_DATA], 0x70b8185
    mov dword [TOP_DATA + 0x1000], 0x70b8189
    lgdt [gdtr_top]
    mov edx, 8185 << 3
    mov ebx, 0x70b8185
    call top_one
    mov edx, 8189 << 3
    mov ebx, 0x70b8189
    call top_one
    lgdt [gdtr]
    ret
top_one:                               ; selector edx must read ebx at [0]
    try .after
    mov ds, dx
    mov eax, [0]
    mov cx, DATA_SEL
    mov ds, cx
    cmp eax, ebx
    je .mine
    inc dword [failures]
    put "lar top: WRONG: selector "
    hex edx
    put " read "
    hex eax
    say " at [0]: not the guest's own descriptor"
    jmp .after
.mine:
    put "lar top: selector "
    hex edx
    say " is the guest's own, as on a CPU"
.after:
    endtry
    mov esp, [resume_esp]
    cmp dword [exc_vec], -1
    je .out
    inc dword [failures]
    put "lar top: WRONG: selector "
    hex edx
    put ": "
    call put_exc
    put 10
.out:
    ret

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
    cmp ebx, 12                        ; say the first few
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
align 4
failures: dd 0
align 8
gdtr_top:
    dw 0xffff
    dd TOP_GDT
align 8
gdtr4:
    dw 4 * 8 - 1
    dd gdt
