; An unbounded native (issue 11): spin_fn is peeled as the native
; fnv1a_rounds (hostile-native.manifest, peel=spin) and called with
; rounds = 0xffffffff over 60 MiB of guest RAM -- 2^32 passes over 60 MiB,
; never done in this universe -- with the guest's interrupts off (cli), so
; the host may not let go of the guest kernel lock.  The guest's own
; spin_fn computes the same, as long.  Expected: the host stays responsive
; (the monitor answers, the CPU running the guest keeps its timer ticking);
; the guest is still running (its own code or a preemptible native) or
; stopped with a reason (5 s with interrupts off, say) -- never a lost CPU.
%include "tests/guests/hostile.inc"
global spin_fn:function (spin_fn.end - spin_fn)

main:
    say "native: cli, then spin_fn (peeled as fnv1a_rounds) with rounds 0xffffffff over 60 MiB"
    cli
    push dword 0xffffffff              ; rounds
    push dword 60 << 20                ; length
    push dword 0                       ; from guest address 0
    push dword 0x811c9dc5              ; h
    call spin_fn
    add esp, 16
    finish 1, "native: FAIL spin_fn returned: the 2^32 passes cannot have run"

; uint32_t spin_fn(uint32_t h, const uint8_t *p, uint32_t n, uint32_t rounds)
; (a long first instruction: the peel enters it by syscall)
spin_fn:
    mov eax, [esp + 4]
    push ebx
    push esi
    push edi
    push ebp
    xor ebp, ebp                       ; t
.round:
    cmp ebp, [esp + 32]
    je .done
    mov esi, [esp + 24]
    mov ecx, [esp + 28]
.byte:
    jecxz .next
    movzx ebx, byte [esi]
    xor ebx, ebp
    xor eax, ebx
    imul eax, eax, 0x01000193
    inc esi
    dec ecx
    jmp .byte
.next:
    inc ebp
    jmp .round
.done:
    pop ebp
    pop edi
    pop esi
    pop ebx
    ret
.end:
