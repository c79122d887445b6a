; Calls a function a thousand times and checks the sum: the peel
; framework's test subject (calls.manifest peels double_it natively, or
; with a replacement that always falls through to this code).
%include "tests/guests/guest.inc"
global _start, double_it:function (double_it.end - double_it), double_again:function (double_again.end - double_again), \
       posted:function (posted.end - posted)
_start:
    mov esp, 0x90000
    say "calls: calling double_it 1000 times"
    mov ecx, 1000
    xor ebx, ebx
.loop:
    push ecx                           ; cdecl: the callee (or its native) may clobber ECX
    push ecx                           ; the argument
    call double_it
    add esp, 4
    pop ecx
    add ebx, eax
    push ecx
    push ecx
    call double_again
    add esp, 4
    pop ecx
    add ebx, eax
    loop .loop
    cmp ebx, 2002000                   ; 2 * 2 * (1 + ... + 1000)
    jne .bad
    say "calls: sum ok"
    push 6                             ; a first instruction that traps itself
    call posted
    add esp, 4
    cmp eax, 12
    jne .bad
    say "calls: privileged first instruction ok"
    mov al, 0
    jmp exit
.bad:
    say "calls: WRONG SUM"
    mov al, 1
    jmp exit

double_it:                             ; a long first instruction: peeled by syscall
    mov eax, [esp + 4]
    add eax, eax
    ret
.end:

posted:                                ; out imm8, two bytes that #GP themselves
    out 0x80, al
    mov eax, [esp + 4]
    add eax, eax
    ret
.end:

double_again:                          ; a one-byte first instruction: peeled by hlt
    push ebx
    mov eax, [esp + 8]
    add eax, eax
    pop ebx
    ret
.end:
