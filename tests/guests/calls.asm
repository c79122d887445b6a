; Calls a function a thousand times and checks the sum: the peel
; framework's test subject (calls.manifest peels double_it natively, or
; with a replacement that always falls through to this code).
%include "tests/guests/guest.inc"
global _start, double_it:function (double_it.end - double_it)
_start:
    mov esp, 0x90000
    say "calls: calling double_it 1000 times"
    mov ecx, 1000
    xor ebx, ebx
.loop:
    push ecx
    call double_it
    add esp, 4
    add ebx, eax
    loop .loop
    cmp ebx, 1001000                   ; 2 * (1 + ... + 1000)
    jne .bad
    say "calls: sum ok"
    mov al, 0
    jmp exit
.bad:
    say "calls: WRONG SUM"
    mov al, 1
    jmp exit

double_it:
    mov eax, [esp + 4]
    add eax, eax
    ret
.end:
