; Interrupts off (issue 13): running with the virtual IF clear is not a
; crime -- polled-mode kernels, boot code and games do it for ever -- but
; halting with it clear is, since nothing can wake the CPU.
;   case=spin (the default)  cli, then spin for ever: the host keeps it
;                            running and stays responsive around it
;   case=poll [ms=N]         cli, then wait N ms (default 10) polling the
;                            PIT's latched count and the keyboard status
;                            port, as polled-mode code does; prints PASS and
;                            exits 0 with IF still clear
;   case=hlt                 cli; hlt: the host stops it with a sentence
; On a bare PC (tests/guests/bare-oracle.sh) poll exits 0 the same way.
%include "tests/guests/hostile.inc"

PIT_HZ equ 1193182

main:
    cli
    mov esi, [case_arg]
    test esi, esi
    jz spin
    mov edi, k_poll
    call arg_is
    jz poll
    mov edi, k_hlt
    call arg_is
    jz halt
spin:
    say "cli: spinning with interrupts off"
.spin:
    jmp .spin

halt:
    say "cli: cli; hlt"
    cli
    hlt
    finish 1, "cli: FAIL: hlt with interrupts off returned"

; Channel 0 in mode 2 with the longest period (count 0 = 65536): every
; latched read tells how far the counter went down since the last one.
poll:
    mov edi, k_ms
    call find_arg
    call parse_uint
    test eax, eax
    jnz .have
    mov eax, 10
.have:
    mov [ms], eax
    put "cli: waiting "
    decimal dword [ms]
    say " ms with interrupts off, polling the PIT and port 0x64"
    mov eax, [ms]                      ; ticks wanted = ms * PIT_HZ / 1000
    mov ecx, PIT_HZ
    mul ecx
    mov ecx, 1000
    div ecx
    mov [want], eax
    mov al, 0x34                       ; channel 0, lobyte/hibyte, mode 2
    out 0x43, al
    xor al, al
    out 0x40, al
    out 0x40, al
    call latch
    mov [last], eax
.loop:
    in al, 0x64                        ; the keyboard controller's status
    inc dword [kbd_reads]
    call latch
    mov ecx, [last]
    mov [last], eax
    sub ecx, eax                       ; down-counter: elapsed = last - now (mod 65536)
    and ecx, 0xffff
    add [elapsed], ecx
    inc dword [polls]
    mov eax, [elapsed]
    cmp eax, [want]
    jb .loop
    pushfd
    pop eax
    test eax, 0x200
    jnz .if_on
    put "cli: waited "
    decimal dword [elapsed]
    put " PIT ticks over "
    decimal dword [polls]
    say " polls with interrupts off"
    finish 0, "cli: PASS"
.if_on:
    finish 1, "cli: FAIL: IF came on by itself"

; eax = channel 0's count, latched (counter latch command 0x00)
latch:
    xor al, al
    out 0x43, al
    in al, 0x40
    mov ah, al
    in al, 0x40
    xchg al, ah
    movzx eax, ax
    ret

section .rodata
k_poll: db "poll", 0
k_hlt:  db "hlt", 0
k_ms:   db "ms=", 0

section .data
align 4
ms:        dd 0
want:      dd 0
last:      dd 0
elapsed:   dd 0
polls:     dd 0
kbd_reads: dd 0

section .text
