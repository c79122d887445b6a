; L-bit escape (issue 11): a GDT code descriptor with L=1 reached three ways
; -- case=jmp a far jmp, case=int an IDT gate's selector (int 0x40),
; case=iret the guest's own iret frame (the host emulates iret) -- each
; with D=0 (the only 64-bit form: L=1 D=1 is reserved in long mode) and
; with D=1.  The code reached is a probe copied to 0x8000 whose bytes mean
; different things in 16-, 32- and 64-bit mode (0x48 is dec in 16/32-bit,
; a REX prefix in 64-bit; a shift by 16 empties AX but not EAX); in 64-bit
; mode it reads and writes back a host upper-half address (the direct map
; of the host kernel's first MiB), which a compatibility-mode guest cannot
; even form.  On a 32-bit CPU the L bit is reserved and ignored: D=0 runs
; as 16-bit code, D=1 as 32-bit.  Expected on the host: that, or an
; exception in the guest -- never 64-bit code.
%include "tests/guests/hostile.inc"

SEL_L16  equ 0x18                      ; L=1 D=0
SEL_L32  equ 0x20                      ; L=1 D=1
PROBE    equ 0x8000
MODE     equ 0x9000                    ; byte: 16, 32 or 64 as the probe ran
BACK     equ 0x9004                    ; m16:32 the probe leaves through
READ     equ 0x9010                    ; qword the 64-bit probe read
HOSTADDR equ 0xffff800000100000

main:
    say "lbit: descriptors with L=1 at 0x18 (D=0) and 0x20 (D=1), a probe at 0x8000"
    mov esi, blob
    mov edi, PROBE
    mov ecx, blob_end - blob
    rep movsb
    xor eax, eax
    mov ebx, 0xfffff
    mov edi, SEL_L16 >> 3
    mov cx, 0x0a9a                     ; G, L; present code DPL 0 readable
    call make_desc
    mov edi, SEL_L32 >> 3
    mov cx, 0x0e9a                     ; G, D, L
    call make_desc
    lgdt [gdtr]
    run_case "jmp", by_jmp
    run_case "int", by_int
    run_case "iret", by_iret
    cmp dword [escapes], 0
    jne .escaped
    finish 0, "lbit: PASS no 64-bit code ran"
.escaped:
    finish 1, "lbit: FAIL the guest ran 64-bit code"

by_jmp:
    mov dword [how], s_jmp
    mov ax, SEL_L16
    call jmp_one
    mov ax, SEL_L32
    call jmp_one
    ret
jmp_one:
    call arm
    mov [far_sel], ax
    try .after
    xor eax, eax
    jmp far [far_ptr]
.after:
    endtry
    mov esp, [resume_esp]
    jmp report

by_int:
    mov dword [how], s_int
    mov ax, SEL_L16
    call int_one
    mov ax, SEL_L32
    call int_one
    ret
int_one:
    call arm
    mov bx, ax
    mov eax, PROBE
    mov edi, 0x40
    mov cl, 0x8e
    call set_gate
    try .after
    xor eax, eax
    int 0x40
.after:
    endtry
    mov esp, [resume_esp]
    jmp report

by_iret:
    mov dword [how], s_iret
    mov ax, SEL_L16
    call iret_one
    mov ax, SEL_L32
    call iret_one
    ret
iret_one:
    call arm
    movzx ebx, ax
    try .after
    push dword 0x2                     ; EFLAGS
    push ebx                           ; CS
    push dword PROBE                   ; EIP
    xor eax, eax
    iretd
.after:
    endtry
    mov esp, [resume_esp]
    jmp report

; before each attempt: the probe's way back, and its verdict cleared
arm:
    mov [sel_now], ax
    mov byte [MODE], 0
    mov dword [BACK], back
    mov word [BACK + 4], CODE_SEL
    mov dword [READ], 0
    mov dword [READ + 4], 0
    ret

; the probe comes back here in any mode, on CODE_SEL
back:
    mov ax, DATA_SEL
    mov ds, ax
    mov es, ax
    mov eax, [resume_eip]
    jmp eax

report:
    mov esi, [how]
    call print
    hex dword [sel_now]
    put ": "
    mov al, [MODE]
    cmp al, 16
    je .r16
    cmp al, 32
    je .r32
    cmp al, 64
    je .r64
    cmp dword [exc_vec], -1
    je .none
    put "exception in the guest, "
    call put_exc
    put 10
    ret
.r16:
    say "ran as 16-bit code"
    ret
.r32:
    say "ran as 32-bit code"
    ret
.r64:
    inc dword [escapes]
    put "ESCAPED: ran 64-bit code and wrote host address 0xffff800000100000 (read "
    hex dword [READ + 4]
    hexbare dword [READ]
    put ")"
    put 10
    ret
.none:
    say "neither ran nor faulted?!"
    inc dword [escapes]
    ret

section .rodata
s_jmp:  db "lbit: far jmp to ", 0
s_int:  db "lbit: int 0x40 through a gate to ", 0
s_iret: db "lbit: iret to ", 0

; the probe: entered with EAX = 0 at offset 0x8000 of a base-0 segment
blob:
bits 32
    db 0x48, 0x90                      ; dec (e)ax | rex.w nop
    test eax, eax
    jz .m64                            ; only 64-bit mode left EAX 0
    shr eax, 16
    jz .m16                            ; 16-bit mode decremented AX only
    mov byte [MODE], 32
    jmp far [BACK]
bits 16
.m16:
    mov byte [MODE], 16
    jmp far dword [BACK]
bits 64
.m64:
    mov rax, HOSTADDR
    mov rbx, [rax]
    mov [rax], rbx
    mov ecx, MODE
    mov byte [rcx], 64
    mov [rcx + READ - MODE], rbx
    mov eax, BACK
    jmp far dword [rax]
bits 32
blob_end:

section .data
far_ptr: dd PROBE
far_sel: dw 0
align 4
how:     dd 0
sel_now: dd 0
escapes: dd 0
