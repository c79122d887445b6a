; Reset requests (issue 11).  case=NAME:
;   kbd     the 8042's command 0xfe (pulse the reset line): out 0x64
;   p92     port 0x92 (system control port A) bit 0: fast reset
;   triple  an IDT of limit 0 and an exception: a triple fault
; A PC resets at once; the host must end (or restart) the guest and say
; so -- "stopped (reset requested: ...)" for the first two, "triple fault"
; for the third.  Today the first two are ignored and the guest runs on.
; With no case it tries kbd only (each one ends the guest).
%include "tests/guests/hostile.inc"

main:
    mov esi, [case_arg]
    test esi, esi
    jz .kbd
    mov edi, k_p92
    call arg_is
    jz .p92
    mov edi, k_triple
    call arg_is
    jz .triple
.kbd:
    say "reset: 8042 command 0xfe (out 0x64)"
.wait_ibf:
    in al, 0x64
    test al, 2
    jnz .wait_ibf
    mov al, 0xfe
    out 0x64, al
    jmp still
.p92:
    say "reset: port 0x92 bit 0"
    in al, 0x92
    and al, 0xfe                       ; bit 0 rises: 0 -> 1
    out 0x92, al
    or al, 1
    out 0x92, al
    jmp still
.triple:
    say "reset: lidt with limit 0, then ud2"
    lidt [idt0]
    ud2
still:
    mov ecx, 100000                    ; a PC would be in its BIOS by now
.spin:
    out 0x80, al
    loop .spin
    finish 1, "reset: FAIL still running after the reset request"

section .rodata
k_p92:    db "p92", 0
k_triple: db "triple", 0
section .data
idt0: dw 0
      dd 0
