; Reads one line from COM1 (host input, typed into the monitor with
; "guest N send TEXT") and prints it back: the UART's receive side.
%include "tests/guests/guest.inc"
global _start
_start:
    mov esp, 0x90000
    mov al, 0xff                       ; no device interrupts: this guest polls
    out 0x21, al
    out 0xa1, al
    sti                                ; interrupts on, so the host never thinks it is stuck
    say "echo: waiting for a line on COM1"
    mov edi, line
.read:
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 1                         ; LSR data ready
    jz .wait
    mov dx, 0x3f8
    in al, dx
    cmp al, 13
    je .done
    stosb
    cmp edi, line + 60
    jb .read
.done:
    mov byte [edi], 0
    say "echo: got this line:"
    mov esi, line
    call print
    say ""
    mov al, 0
    jmp exit
section .bss
line: resb 64
