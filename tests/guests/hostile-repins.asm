; A long string I/O instruction (issue 11): rep insb of 48 MiB from the
; ATA data port (0x1f0; no disk: all ones) into guest RAM at 16..64 MiB,
; again and again until secs=N seconds (default 10) have passed on the
; guest's RTC, then a rep outsb of the same 48 MiB to an unclaimed port
; (interrupts on, every IRQ masked).
; Expected: every one completes with ECX = 0 and EDI/ESI advanced, the guest
; continues and exits 0 -- and the host never holds interrupts off on that
; CPU for long (the suite samples its timer ticks meanwhile; today one
; instruction runs under spin_lock_irq for seconds).
%include "tests/guests/hostile.inc"

BUF   equ 0x1000000
COUNT equ 48 << 20

main:
    mov edi, k_secs
    call find_arg
    call parse_uint
    test eax, eax
    jnz .have
    mov eax, 10
.have:
    mov [secs], eax
    put "repins: rep insb of 48 MiB from port 0x1f0, repeated for "
    decimal dword [secs]
    say " s (RTC), then rep outsb"
    mov al, 0xff                       ; every IRQ masked, then interrupts on: the
    out 0x21, al                       ; guest is not "spinning with interrupts
    out 0xa1, al                       ; off" while one instruction takes seconds
    sti
    call rtc_seconds
    mov [start], eax
.again:
    mov edi, BUF
    mov ecx, COUNT
    mov dx, 0x1f0
    rep insb
    test ecx, ecx
    jnz .bad
    cmp edi, BUF + COUNT
    jne .bad
    inc dword [done]
    put "repins: rep insb #"
    decimal dword [done]
    say " completed"
    call rtc_seconds
    sub eax, [start]
    jns .pos
    add eax, 3600
.pos:
    cmp eax, [secs]
    jb .again
    mov esi, BUF
    mov ecx, COUNT
    mov dx, 0x2e8
    rep outsb
    test ecx, ecx
    jnz .bad
    cmp esi, BUF + COUNT
    jne .bad
    finish 0, "repins: PASS every rep insb/outsb completed and the guest went on"
.bad:
    finish 1, "repins: FAIL a rep ins/outs did not complete as a CPU does"

; seconds into the hour, from the CMOS RTC (BCD or binary as it says)
rtc_seconds:
    push ebx
    push ecx
.uip:
    mov al, 0x0a
    out 0x70, al
    in al, 0x71
    test al, 0x80
    jnz .uip
    mov al, 0x00
    call .read
    mov ebx, eax
    mov al, 0x02
    call .read
    imul eax, eax, 60
    add eax, ebx
    pop ecx
    pop ebx
    ret
.read:                                 ; register al, as a binary number in eax
    out 0x70, al
    in al, 0x71
    movzx eax, al
    push eax
    mov al, 0x0b
    out 0x70, al
    in al, 0x71
    test al, 4
    pop eax
    jnz .bin
    mov ecx, eax
    shr ecx, 4
    and eax, 0xf
    imul ecx, ecx, 10
    add eax, ecx
.bin:
    ret

section .rodata
k_secs: db "secs=", 0
section .data
align 4
secs:  dd 0
start: dd 0
done:  dd 0
