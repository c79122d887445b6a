; An IDT of garbage, the PIT running, interrupts on: the first timer
; interrupt cannot be delivered.
%include "tests/guests/guest.inc"
global _start
_start:
    mov esp, 0x90000
    say "idt: garbage IDT, PIT at 100 Hz, sti"
    mov edi, 0x70000
    mov ecx, 512
    mov eax, 0xaaaa5555
    rep stosd
    lidt [idtr]
    mov al, 0x11                       ; 8259s: ICW1..ICW4, vectors 0x20/0x28
    out 0x20, al
    out 0xa0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xa1, al
    mov al, 4
    out 0x21, al
    mov al, 2
    out 0xa1, al
    mov al, 1
    out 0x21, al
    out 0xa1, al
    mov al, 0xfe                       ; only IRQ 0
    out 0x21, al
    mov al, 0x34                       ; PIT channel 0, mode 2, 11932 = 100 Hz
    out 0x43, al
    mov al, 0x9c
    out 0x40, al
    mov al, 0x2e
    out 0x40, al
    sti
.idle:
    hlt
    jmp .idle
section .data
idtr: dw 0x7ff
      dd 0x70000
