; Loads a GDT full of garbage and then a selector from it.
%include "tests/guests/guest.inc"
global _start
_start:
    mov esp, 0x90000
    say "gdt: loading a garbage GDT"
    mov edi, 0x80000
    mov ecx, 64
    mov eax, 0x9ad3f00f                ; junk words: present bits, odd types, huge limits
.fill:
    mov [edi], eax
    rol eax, 7
    xor eax, 0x5a5a1234
    add edi, 4
    loop .fill
    lgdt [gdtr]
    mov ax, 0x28
    mov ds, ax                         ; whatever that descriptor is
    mov ax, 0x3b
    mov es, ax
    jmp 0x18:.far
.far:
    say "gdt: survived a garbage far jump"
    mov al, 0
    jmp exit
section .data
gdtr: dw 255
      dd 0x80000
