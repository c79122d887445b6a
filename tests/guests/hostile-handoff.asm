; GDT hand-off under live CS/SS (issue 11), what boot code of many kernels
; does: run on table A, lgdt table B in which the live CS and SS/DS
; selectors name different descriptors (B's 0x08 code has base 1 MiB, B's
; 0x10 data base 4 KiB), trap to the host a few times (cli, out, in: the
; console output itself traps), and only then far-jump to reload CS and
; reload SS/DS.  A CPU keeps the cached descriptors of loaded segment
; registers until they are reloaded: the guest must observe the OLD bases
; until it reloads and the NEW ones after.  Readings: a dword at `probe`
; holds OLD, the one 4 KiB above it NEW, so [probe] through a segment
; says which base it has; `call/pop` gives EIP relative to CS's base.
; That is case=bases; case=swap is the shape that panics the host: in B
; the live CS selector names a data descriptor and SS/DS a code one.
%include "tests/guests/hostile.inc"

NEW_CS_BASE equ 0x100000
NEW_DS_BASE equ 0x1000
OLD         equ 0x01d01d01
NEW         equ 0x2e3e3e3e
FLAT_CS     equ 0x18                   ; in both tables: flat code and data
FLAT_DS     equ 0x20

main:
    run_case "bases", bases
    run_case "swap", swap
    cmp dword [failures], 0
    jne .fail
    finish 0, "handoff: PASS"
.fail:
    finish 1, "handoff: FAIL"

; case=bases
bases:
    say "handoff: on table A; lgdt B whose 0x08/0x10 have bases 1 MiB / 4 KiB; trap; then reload"
    mov dword [probe], OLD
    mov dword [probe + NEW_DS_BASE], NEW
    xor eax, eax                       ; A (the include's table) gets flat 0x18/0x20 too
    mov ebx, 0xfffff
    mov edi, FLAT_CS >> 3
    mov cx, 0x0c9a
    call make_desc
    mov edi, FLAT_DS >> 3
    mov cx, 0x0c92
    call make_desc
    lgdt [gdtr]
    mov esi, gdt                       ; B: A, with 0x08 and 0x10 moved
    mov edi, gdt_b
    mov ecx, GDT_SLOTS * 2
    rep movsd
    mov dword [gdt_b + 8], 0x0000ffff | (NEW_CS_BASE & 0xffff) << 16
    mov dword [gdt_b + 12], 0x00cf9a00 | (NEW_CS_BASE >> 16 & 0xff) | (NEW_CS_BASE & 0xff000000)
    mov dword [gdt_b + 16], 0x0000ffff | (NEW_DS_BASE & 0xffff) << 16
    mov dword [gdt_b + 20], 0x00cf9200 | (NEW_DS_BASE >> 16 & 0xff) | (NEW_DS_BASE & 0xff000000)
    cli
    lgdt [gdtr_b]
    ; live CS = SS = DS = old descriptors; trap a few times
    cli
    out 0x80, al
    in al, 0x61
    say "handoff: on table B, nothing reloaded yet (this line trapped on every character)"
    mov eax, [probe]
    mov [seen_ds_before], eax
    mov eax, [ss:probe]
    mov [seen_ss_before], eax
    call .where
.where:
    pop eax
    mov [seen_eip_before], eax
    ; reload CS: offsets from now on are linear - 1 MiB
    jmp 0x08:(.new_cs - NEW_CS_BASE)
.new_cs:
    call .where2                       ; relative: the same from either base
.where2:
    pop eax
    mov [ss:seen_eip_after], eax       ; DS/SS still old (base 0)
    mov ax, 0x10                       ; reload SS (traps: RPL 0) and DS
    mov ss, ax
    lea esp, [esp - NEW_DS_BASE]       ; the same stack, seen from base 4 KiB
    mov ds, ax
    cli                                ; and trap again under the new ones
    out 0x80, al
    mov eax, [probe]
    mov [seen_ds_after - NEW_DS_BASE], eax
    mov eax, [ss:probe]
    mov [seen_ss_after - NEW_DS_BASE], eax
    ; back to flat segments to print
    jmp FLAT_CS:.flat
.flat:
    mov ax, FLAT_DS
    mov ss, ax
    lea esp, [esp + NEW_DS_BASE]
    mov ds, ax
    mov es, ax
    lgdt [gdtr]
    xor ebx, ebx                       ; failures
    put "handoff: before the reload, DS read "
    hex dword [seen_ds_before]
    put " SS read "
    hex dword [seen_ss_before]
    put " EIP "
    hex dword [seen_eip_before]
    put 10
    cmp dword [seen_ds_before], OLD
    jne .bad1
    cmp dword [seen_ss_before], OLD
    jne .bad1
    cmp dword [seen_eip_before], bases.where   ; CS base still 0
    jne .bad1
    say "handoff: the old bases held until the reload, as on a CPU"
    jmp .next
.bad1:
    inc ebx
    say "handoff: WRONG: the new table took effect before the reload"
.next:
    put "handoff: after the reload, DS read "
    hex dword [seen_ds_after]
    put " SS read "
    hex dword [seen_ss_after]
    put " EIP "
    hex dword [seen_eip_after]
    put 10
    cmp dword [seen_ds_after], NEW
    jne .bad2
    cmp dword [seen_ss_after], NEW
    jne .bad2
    cmp dword [seen_eip_after], bases.where2 - NEW_CS_BASE
    jne .bad2
    say "handoff: the new bases after the reload, as on a CPU"
    jmp .end
.bad2:
    inc ebx
    say "handoff: WRONG: the new descriptors are not in effect after the reload"
.end:
    add [failures], ebx
    ret

; case=swap: B swaps the roles of 0x08 and 0x10 (0x08 data, 0x10 code, flat
; both), as boot loaders' and kernels' tables often differ: until the
; reload the live CS names a data descriptor in B, the live SS/DS a code one
swap:
    say "handoff swap: lgdt B where the live CS 0x08 is data and SS/DS 0x10 code; trap; then reload"
    mov esi, gdt
    mov edi, gdt_b
    mov ecx, GDT_SLOTS * 2
    rep movsd
    mov dword [gdt_b + 8], 0x0000ffff
    mov dword [gdt_b + 12], 0x00cf9200
    mov dword [gdt_b + 16], 0x0000ffff
    mov dword [gdt_b + 20], 0x00cf9a00
    cli
    lgdt [gdtr_b]
    out 0x80, al
    in al, 0x61
    say "handoff swap: on table B, nothing reloaded yet (this line trapped on every character)"
    mov dword [probe], OLD
    cmp dword [probe], OLD
    jne .bad
    jmp 0x10:.new_cs                   ; B's code
.new_cs:
    mov ax, 0x08                       ; B's data
    mov ss, ax
    mov ds, ax
    mov es, ax
    out 0x80, al
    say "handoff swap: reloaded: CS 0x10, SS/DS/ES 0x08, and trapping again"
    lgdt [gdtr]                        ; back to A: another hand-off
    jmp CODE_SEL:.a
.a:
    mov ax, DATA_SEL
    mov ss, ax
    mov ds, ax
    mov es, ax
    say "handoff swap: ran through the hand-off, as on a CPU"
    ret
.bad:
    inc dword [failures]
    say "handoff swap: WRONG: DS did not read back what it wrote"
    ret

section .data
align 4
failures: dd 0
align 8
gdtr_b:
    dw GDT_SLOTS * 8 - 1
    dd gdt_b
align 4
seen_ds_before:  dd 0
seen_ss_before:  dd 0
seen_eip_before: dd 0
seen_ds_after:   dd 0
seen_ss_after:   dd 0
seen_eip_after:  dd 0
section .bss
alignb 4096
probe: resb 2 * NEW_DS_BASE
alignb 8
gdt_b: resq GDT_SLOTS
