; The guest executing syscall and sysenter itself (issue 11).  Neither
; exists for a 32-bit kernel on a CPU without them enabled: syscall raises
; #UD (EFER.SCE is 0 -- and Intel CPUs have none in compatibility mode),
; sysenter #GP(0) (SYSENTER_CS is 0; a CPU without SEP gives #UD).  The host
; takes the guest's syscall for a peel entry; one it did not place must
; come back as #UD with nothing changed: ECX (syscall writes the return
; EIP there), EFLAGS.DF (the host's SFMASK clears it), and the CS the
; guest is on (the guest far-jumped to 0x18 without a trap, so the host's
; idea of its CS is stale).  case=syscall-page: the same syscall with its
; two bytes on either side of a page boundary.
%include "tests/guests/hostile.inc"

CS2 equ 0x18                           ; a second flat code segment

main:
    say "syscall: syscall and sysenter in the guest, from CS 0x18, ECX = 0xc0ffee11, DF = 1"
    xor eax, eax
    mov ebx, 0xfffff
    mov edi, CS2 >> 3
    mov cx, 0x0c9a
    call make_desc
    lgdt [gdtr]
    run_case "syscall", t_syscall
    run_case "syscall-page", t_syscall_page
    run_case "sysenter", t_sysenter
    cmp dword [failures], 0
    jne .bad
    finish 0, "syscall: PASS each raised its exception with the registers unchanged"
.bad:
    finish 1, "syscall: FAIL"

t_syscall:
    put "syscall syscall: "
    mov dword [want_vec], 6
    mov dword [want_err], 0
    mov dword [alt_vec], 6
    try .after
    jmp CS2:.on_cs2
.on_cs2:
    mov ecx, 0xc0ffee11
    std
.insn:
    syscall
    cld
.after:
    mov dword [want_eip], .insn
    jmp judge

t_syscall_page:
    put "syscall syscall across a page boundary: "
    mov dword [want_vec], 6
    mov dword [want_err], 0
    mov dword [alt_vec], 6
    try .after
    jmp CS2:straddle
.after:
    mov dword [want_eip], straddle.insn
    jmp judge

t_sysenter:
    put "syscall sysenter: "
    mov dword [want_vec], 13
    mov dword [want_err], 0
    mov dword [alt_vec], 6             ; a CPU without SEP
    try .after
    jmp CS2:.on_cs2
.on_cs2:
    mov ecx, 0xc0ffee11
    std
.insn:
    sysenter
    cld
.after:
    mov dword [want_eip], .insn
    jmp judge

judge:
    endtry
    mov esp, [resume_esp]
    xor ebx, ebx                       ; what is wrong, one bit each
    mov eax, [exc_vec]
    cmp eax, [want_vec]
    je .vec_ok
    cmp eax, [alt_vec]
    je .vec_ok
    or ebx, 1
.vec_ok:
    mov eax, [exc_err]
    cmp eax, [want_err]
    je .err_ok
    or ebx, 2
.err_ok:
    mov eax, [exc_eip]
    cmp eax, [want_eip]
    je .eip_ok
    or ebx, 4
.eip_ok:
    mov eax, [exc_cs]
    and eax, 0xfffc
    cmp eax, CS2
    je .cs_ok
    or ebx, 8
.cs_ok:
    cmp dword [exc_gpr + 24], 0xc0ffee11
    je .ecx_ok
    or ebx, 16
.ecx_ok:
    test dword [exc_eflags], 0x400
    jnz .df_ok
    or ebx, 32
.df_ok:
    call put_exc
    put " ECX "
    hex dword [exc_gpr + 24]
    put " EFLAGS "
    hex dword [exc_eflags]
    test ebx, ebx
    jnz .wrong
    say ": as on a CPU"
    ret
.wrong:
    inc dword [failures]
    put 10
    put "syscall: WRONG (1 vector, 2 error, 4 eip, 8 cs, 16 ecx, 32 DF): "
    hex ebx
    put 10
    ret

; the syscall's 0f the last byte of a page, its 05 the next page's first
align 4096, int3
    times 4096 - 7 int3
straddle:
    std
    mov ecx, 0xc0ffee11
.insn:
    syscall
    ud2

section .data
align 4
failures: dd 0
want_vec: dd 0
alt_vec:  dd 0
want_err: dd 0
want_eip: dd 0
