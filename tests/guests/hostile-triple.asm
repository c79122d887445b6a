; An empty IDT and a software interrupt: a triple fault on real hardware.
%include "tests/guests/guest.inc"
global _start
_start:
    mov esp, 0x90000
    say "triple: lidt with limit 0, then int 0x80"
    lidt [idtr]
    int 0x80
    say "triple: still here?!"
    mov al, 1
    jmp exit
section .data
idtr: dw 0
      dd 0
