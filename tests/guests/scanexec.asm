; Scan-on-execute (issue 13): code no scan from the entry point can find,
; run with the sensitive instructions a ring-1 guest gets wrong without a
; trap (pushf, popf).  The image is stripped (guests.mk): the host has no
; symbol to start from.  Each case checks the interrupt flag the code left,
; the way a kernel would notice it: a timer interrupt (PIT channel 0, IRQ 0
; at 1 kHz) must arrive while IF is 1, and none may arrive over three timer
; periods while it is 0 (when pushf must say 0 too).  Cases:
;   indirect  pushf / cli / popf on a page reached only by `call eax`, with
;             a counter beside the code on the same page written meanwhile
;   copy      a function with pushf/popf copied from data over code that
;             already ran (its page scanned), and to a page never run, and
;             called there
;   smc       an instruction rewritten in place after it ran: from another
;             page (nop -> pushf), and by the code on its own page, the
;             instruction after the write (pop -> popf)
;   straddle  a mov at the end of a page whose immediate, on the next page,
;             holds pushf; pop eax: rewritten to nop, the immediate is code
;   reentry   a page (f: pushf, g: plain) scanned from f's caller on another
;             page, dropped by a write over g, then begun again by the scan
;             of a page never run before that calls g directly; f's caller,
;             unchanged (no fault left to find f), calls f again with IF 0:
;             f's pushf must say 0 (it ran unscanned in ring 1 and said 1)
; Bare (tests/guests/bare-oracle.sh) and hosted print the same lines; the
; exit status is 0 if every check held, 1 if one did not.
%include "tests/guests/guest.inc"

KCODE equ 0x08
KDATA equ 0x10
TRIES equ 2000000                      ; polls before a wait gives up
FRESH equ 0x200000                     ; a page of RAM nothing ever ran from

global _start
_start:
    mov esp, 0x90000
    lgdt [gdtr]
    jmp KCODE:.flat
.flat:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    cld
    call setup_idt
    call setup_pic_pit
    say "scanexec: start"

    ; indirect: only `call eax` reaches it; eax computed at run time
    mov eax, [ind_ptr]
    sub eax, [ind_key]
    sti
    call eax                           ; pushf; cli; (IF 0 checked) popf
    call expect_if1
    cmp dword [ind_count], 1           ; the counter beside the code moved
    jne fail_count
    cli
    mov eax, [ind_ptr]
    sub eax, [ind_key]
    call eax                           ; pushf (IF 0); cli; popf: IF stays 0
    call expect_if0
    sti
    say "scanexec: indirect ok"

    ; copy: over code that ran, then to a fresh page
    call old_fn                        ; its page is scanned now
    cmp eax, 7
    jne fail
    mov esi, tmpl
    mov edi, old_fn
    mov ecx, tmpl_end - tmpl
    rep movsb
    mov eax, old_fn
    call run_crit
    mov esi, tmpl
    mov edi, FRESH
    mov ecx, tmpl_end - tmpl
    rep movsb
    mov eax, FRESH
    call run_crit
    say "scanexec: copy ok"

    ; smc, from another page: nop; nop -> pushf; pop eax
    call smc_fn                        ; runs as nops: eax unchanged
    mov byte [smc_fn], 0x9c            ; pushf
    mov byte [smc_fn + 1], 0x58        ; pop eax
    cli
    call smc_fn
    test eax, 0x200
    jnz fail
    call expect_if0
    sti
    call smc_fn
    test eax, 0x200
    jz fail
    call expect_if1
    say "scanexec: smc from another page ok"

    ; smc, on its own page: the instruction after the write
    mov cl, 0x58                       ; pop eax: runs as push/pop
    mov eax, 0x1234
    call smc_self
    cmp eax, 0x1234
    jne fail
    cli
    pushf
    pop eax
    or eax, 0x200                      ; flags with IF set
    mov cl, 0x9d                       ; popf
    call smc_self
    call expect_if1
    pushf
    pop eax
    and eax, ~0x200                    ; flags with IF clear, IF now 1
    mov cl, 0x9d
    call smc_self
    call expect_if0
    sti
    say "scanexec: smc on its own page ok"

    ; straddle: a mov whose immediate lies on the next page hides a pushf
    ; there; its opcode rewritten to nop, the pushf runs
    call strad_fn
    cmp eax, 0x9090589c
    jne fail
    mov byte [strad_op], 0x90          ; nop: the immediate's bytes become code
    cli
    call strad_fn
    test eax, 0x200
    jnz fail
    call expect_if0
    sti
    call strad_fn
    test eax, 0x200
    jz fail
    call expect_if1
    say "scanexec: straddle ok"

    ; reentry: A (reent_f, reent_g) scanned from B's call and main's; the
    ; write drops A; C, run first now, is scanned and its `call reent_g`
    ; begins A again from g; then B (still scanned) calls f once more
    call reent_g
    cmp eax, 0x11111111
    jne fail
    cli
    call reent_b                       ; f: pushf through B's call, IF 0
    test eax, eax
    jnz fail
    call expect_if0
    sti
    mov dword [reent_imm], 0x22222222  ; over g's scanned mov: A dropped
    mov eax, [reent_ptr]
    sub eax, [ind_key]
    call eax                           ; C: never run, only reachable so
    cmp eax, 0x22222222
    jne fail
    cli
    call reent_b                       ; B unchanged: f with IF 0
    test eax, eax
    jnz .reent_if1
    say "scanexec: reentry pushf IF=0"
    jmp .reent_done
.reent_if1:
    say "scanexec: reentry pushf IF=1"
    jmp fail
.reent_done:
    call expect_if0
    sti
    say "scanexec: reentry ok"

    say "scanexec: PASS"
    mov al, 0
    jmp exit

; call eax (a copy of tmpl) with IF 1 and with IF 0: each time IF must be
; as it was before the call
run_crit:
    push eax
    sti
    call eax
    call expect_if1
    cli
    call [esp]
    call expect_if0
    sti
    pop eax
    ret

; IF is 1: the timer interrupt arrives
expect_if1:
    push eax
    push ecx
    push edx
    mov edx, [ticks]
    mov ecx, TRIES
.poll:
    cmp [ticks], edx
    jne .ok
    in al, 0x20                        ; (traps when hosted: time moves)
    dec ecx
    jnz .poll
    jmp fail_if1
.ok:
    pop edx
    pop ecx
    pop eax
    ret

; IF is 0: pushf says so, and no interrupt arrives over three periods of
; the timer (counted by its counter reloading)
expect_if0:
    push eax
    push ebx
    push ecx
    push edx
    push esi
    pushf
    pop eax
    test eax, 0x200
    jnz fail_if0
    mov edx, [ticks]
    mov ecx, 3
    mov esi, TRIES
    call pit_count
    mov ebx, eax
.wait:
    dec esi
    jz fail_pending
    call pit_count
    cmp eax, ebx
    mov ebx, eax
    jbe .wait                          ; still counting down
    dec ecx
    jnz .wait
    cmp [ticks], edx
    jne fail_if0
    pop esi
    pop edx
    pop ecx
    pop ebx
    pop eax
    ret

; eax = PIT channel 0's count, latched
pit_count:
    mov al, 0
    out 0x43, al
    in al, 0x40
    mov ah, al
    in al, 0x40
    xchg al, ah
    movzx eax, ax
    ret

fail_if1:
    say "scanexec: FAIL: IF should be 1, no interrupt arrived"
    jmp fail_exit
fail_if0:
    say "scanexec: FAIL: IF should be 0, an interrupt arrived"
    jmp fail_exit
fail_pending:
    say "scanexec: FAIL: the timer's counter never reloaded"
    jmp fail_exit
fail_count:
    say "scanexec: FAIL: the counter beside the code did not move"
    jmp fail_exit
fail:
    say "scanexec: FAIL: a value came back wrong"
fail_exit:
    mov al, 1
    jmp exit

timer:
    push eax
    inc dword [ticks]
    mov al, 0x20
    out 0x20, al
    pop eax
    iret

unexpected:
    say "scanexec: FAIL: unexpected exception"
    mov al, 3
    jmp exit

spurious:
    iret

setup_idt:
    xor ecx, ecx
.gate:
    mov eax, unexpected
    cmp ecx, 0x20
    jb .set
    mov eax, timer
    je .set
    mov eax, spurious
.set:
    mov [idt + ecx * 8], ax
    mov word [idt + ecx * 8 + 2], KCODE
    mov word [idt + ecx * 8 + 4], 0x8e00
    shr eax, 16
    mov [idt + ecx * 8 + 6], ax
    inc ecx
    cmp ecx, 0x30
    jne .gate
    lidt [idtr]
    ret

%include "tests/guests/timer.inc"

; ---- reached only indirectly, with a counter beside it -------------------
align 4096
ind_crit:
    pushf
    cli
    inc dword [ind_count]              ; data on this (scanned) page
    call expect_if0
    popf
    ret
ind_count: dd 0

; ---- code that runs, then is copied over ----------------------------------
align 4096
old_fn:
    mov eax, 7
    ret
    times 64 db 0xcc

; ---- rewritten in place ----------------------------------------------------
align 4096
smc_fn:
    nop
    nop
    ret

; eax pushed, then the instruction cl names (written by the one before it)
smc_self:
    mov [.op], cl
    push eax
.op:
    pop eax
    ret

; ---- an instruction across a page boundary ----------------------------------
align 4096
    times 4096 - 5 db 0xcc
strad_fn:
    xor eax, eax
    nop
    nop
strad_op:
    db 0xb8                            ; mov eax, imm32: the last byte of the page
    db 0x9c, 0x58, 0x90, 0x90          ; pushf; pop eax; nop; nop once it is not
    ret

; ---- reentry: A (f, g), B (calls f), C (calls g, first run after the drop)
align 4096
reent_a:
    times 0x100 db 0xcc
reent_g:
    db 0xb8                            ; mov eax, imm32: rewritten
reent_imm:
    dd 0x11111111
    ret
    times 0x200 - ($ - reent_a) db 0xcc
reent_f:
    pushf
    pop eax
    and eax, 0x200                     ; IF as pushf saw it
    ret

align 4096
reent_b:
    call reent_f
    ret

align 4096
reent_c:
    call reent_g
    ret

align 4096                             ; the data on pages of its own

section .data
ticks:    dd 0
ind_ptr:  dd ind_crit + 0x5a5a5a5a      ; nothing the scanner could read as an address
ind_key:  dd 0x5a5a5a5a
reent_ptr: dd reent_c + 0x5a5a5a5a     ; likewise: C is reached only by call eax
gdt:      dq 0
          dq 0x00cf9a000000ffff        ; code, execute/read, flat
          dq 0x00cf92000000ffff        ; data, read/write, flat
gdtr:     dw 3 * 8 - 1
          dd gdt
idtr:     dw 0x30 * 8 - 1
          dd idt
; copied, never run where it lies; position-independent (absolute calls)
tmpl:
    pushf
    cli
    mov eax, expect_if0
    call eax
    popf
    ret
tmpl_end:

section .bss
idt: resq 0x30
