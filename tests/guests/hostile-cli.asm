; Turns interrupts off and spins forever.
%include "tests/guests/guest.inc"
global _start
_start:
    mov esp, 0x90000
    say "cli: spinning with interrupts off"
    cli
.spin:
    jmp .spin
