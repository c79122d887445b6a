; Writes far outside its memory: the host must stop it, not fault itself.
%include "tests/guests/guest.inc"
global _start
_start:
    mov esp, 0x90000
    say "wild: writing to 0x7ff00000"
    mov dword [0x7ff00000], 0xdeadbeef
    say "wild: the write went through?!"
    mov al, 1
    jmp exit
