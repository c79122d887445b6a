; What a peeled call costs: batches of 1000 calls of a function whose first
; instruction is long (peeled with the two-byte entry, int 15 or syscall)
; and of one whose first instruction is a byte (peeled with hlt), timed with
; rdtsc; the best of 300 batches a function, so host preemption and other
; load on the machine drop out.  Prints "callbench: two-byte T hlt T" in
; TSC ticks per call (tests/bench/entry.sh).  Unpeeled, it times the
; guest's own call.
%include "tests/guests/guest.inc"
global _start, twice:function (twice.end - twice), twice_again:function (twice_again.end - twice_again)

BATCHES equ 300
CALLS   equ 1000

_start:
    mov esp, 0x90000
    mov ebx, twice
    call best_batch
    mov edi, two_byte
    call decimal
    mov ebx, twice_again
    call best_batch
    mov edi, one_byte
    call decimal
    mov esi, report
    call print
    mov al, 0
    jmp exit

; eax = the least TSC ticks a call over BATCHES batches of calls to ebx
best_batch:
    mov dword [best], 0xffffffff
    mov ebp, BATCHES
.batch:
    rdtsc
    mov [t0], eax
    mov ecx, CALLS
.call:
    push ecx                           ; cdecl: the callee (or its native) may clobber ECX
    push ecx
    call ebx
    add esp, 4
    pop ecx
    loop .call
    rdtsc
    sub eax, [t0]
    cmp eax, [best]
    jae .next
    mov [best], eax
.next:
    dec ebp
    jnz .batch
    mov eax, [best]
    xor edx, edx
    mov ecx, CALLS
    div ecx
    ret

; eax in decimal into the 8 bytes at edi, right-aligned
decimal:
    add edi, 7
    mov ecx, 10
.digit:
    xor edx, edx
    div ecx
    add dl, '0'
    mov [edi], dl
    dec edi
    test eax, eax
    jnz .digit
    ret

twice:                                 ; a long first instruction: the two-byte entry
    mov eax, [esp + 4]
    add eax, eax
    ret
.end:

twice_again:                           ; a one-byte first instruction: hlt
    push ebx
    mov eax, [esp + 8]
    add eax, eax
    pop ebx
    ret
.end:

section .data
t0:   dd 0
best: dd 0
report:   db "callbench: two-byte "
two_byte: db "        "
          db " hlt "
one_byte: db "        ", 10, 0
