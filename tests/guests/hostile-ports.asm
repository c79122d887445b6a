; Pokes ports no device answers and reads memory beyond the device window.
; Every unclaimed port must read as all ones; then it exits cleanly.
%include "tests/guests/guest.inc"
global _start
_start:
    mov esp, 0x90000
    say "ports: reading 0x100..0x1ef and 0x200..0x2f7"
    xor ebx, ebx                       ; reads that were not 0xff
    mov dx, 0x100
.read:
    in al, dx
    cmp al, 0xff
    je .ok
    inc ebx
.ok:
    out dx, al                         ; and a write nobody takes
    inc dx
    cmp dx, 0x1f0
    jne .skip
    mov dx, 0x200
.skip:
    cmp dx, 0x2f8
    jne .read
    mov dx, 0x2e9                      ; a 32-bit read of a silent port
    in eax, dx
    cmp eax, 0xffffffff
    je .wide_ok
    inc ebx
.wide_ok:
    test ebx, ebx
    jnz .bad
    say "ports: every unclaimed port read all ones"
    mov al, 0
    jmp exit
.bad:
    say "ports: some unclaimed port did not read all ones"
    mov al, 1
    jmp exit
