; Guest user mode: the kernel (ring 0) loads a TSS (ss0:esp0) and an LDT
; whose entry 0 is a DPL-3 call gate (as GNU Mach's is) and entry 1 a DPL-3
; data segment, and enters ring 3 through iret.  The user code loads its
; segments (one from the LDT), then: int 0x30 through a DPL-3 gate; cli,
; which raises #GP(0) on the ss0:esp0 stack with its SS:ESP pushed; int
; 0x31 through a DPL-0 gate, #GP(0x18a); an lcall through the LDT gate with
; one parameter, which the kernel's handler returns from with lret 4; and
; int 0x32 (DPL 3), whose handler prints every frame the kernel saw and
; ends.  Every line equals a bare PC's (tests/guests/bare-oracle.sh).
%include "tests/guests/guest.inc"

%macro put 1                           ; print without a newline
section .rodata
%%m: db %1, 0
section .text
    push esi
    mov esi, %%m
    call print
    pop esi
%endmacro
%macro hex 1                           ; print %1 as 0x%08x
    push eax
    mov eax, %1
    call puthex
    pop eax
%endmacro

KCODE     equ 0x08
KDATA     equ 0x10
UCODE     equ 0x1b                     ; GDT 3, RPL 3
UDATA     equ 0x23                     ; GDT 4, RPL 3
TSS_SEL   equ 0x28
LDT_SEL   equ 0x30
GATE_SEL  equ 0x07                     ; LDT 0, RPL 3: the call gate
LDATA     equ 0x0f                     ; LDT 1, RPL 3: user data
KSTACK    equ 0x90000
USTACK    equ 0x80000

section .text
global _start
_start:
    mov esp, KSTACK
    cld
    say "usermode: start"
    mov al, 0xff                       ; every IRQ masked: user code runs with IF set
    out 0x21, al
    out 0xa1, al
    mov eax, int30
    mov edi, 0x30
    mov cl, 0xee                       ; DPL 3 interrupt gate
    call set_gate
    mov eax, int31
    mov edi, 0x31
    mov cl, 0x8e                       ; DPL 0: int 0x31 from ring 3 is #GP
    call set_gate
    mov eax, int32
    mov edi, 0x32
    mov cl, 0xef                       ; DPL 3 trap gate
    call set_gate
    mov eax, gp
    mov edi, 13
    mov cl, 0x8e
    call set_gate
    ; the TSS descriptor, the LDT descriptor, the LDT's call gate
    mov eax, tss
    mov [gdt + 5 * 8 + 2], ax
    shr eax, 16
    mov [gdt + 5 * 8 + 4], al
    mov [gdt + 5 * 8 + 7], ah
    mov eax, ldt
    mov [gdt + 6 * 8 + 2], ax
    shr eax, 16
    mov [gdt + 6 * 8 + 4], al
    mov [gdt + 6 * 8 + 7], ah
    mov eax, callgate
    mov [ldt], ax
    shr eax, 16
    mov [ldt + 6], ax
    mov dword [tss + 4], KSTACK        ; esp0
    mov dword [tss + 8], KDATA         ; ss0
    lgdt [gdtr]
    lidt [idtr]
    mov ax, KDATA                      ; CS stays Multiboot's flat code: no far jmp, so a scan from the entry reaches the iret below
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov ax, TSS_SEL
    ltr ax
    mov ax, LDT_SEL
    lldt ax
    say "usermode: entering ring 3"
    push dword UDATA
    push dword USTACK
    push dword 0x202
    push dword UCODE
    push dword user
    iretd

set_gate:                              ; vector edi, handler eax, KCODE, type byte cl
    mov [idt + edi * 8], ax
    mov word [idt + edi * 8 + 2], KCODE
    mov byte [idt + edi * 8 + 4], 0
    mov [idt + edi * 8 + 5], cl
    shr eax, 16
    mov [idt + edi * 8 + 6], ax
    ret

; ---- ring 3 ---------------------------------------------------------------
user:
    mov ax, UDATA
    mov ds, ax
    mov es, ax
    mov ax, LDATA                      ; a data segment from the LDT
    mov fs, ax
    mov eax, [fs:ldt_probe]
    mov [u_probe], eax
    mov [u_esp0], esp
    int 0x30
    cli                                ; #GP(0): IOPL 0
    int 0x31                           ; #GP(0x31 * 8 + 2): the gate's DPL is 0
    push dword 0x1234abcd              ; the call gate's one parameter
    call GATE_SEL:0                    ; the offset is the gate's
    mov [u_esp_after], esp
    mov [u_cs_after], cs
    int 0x32
    jmp $

; ---- ring 0 handlers: what the CPU pushed, through SS ----------------------
; int 0x30: eip cs eflags esp ss
int30:
    push eax
    mov eax, [esp + 4]
    mov [ss:f30], eax
    mov eax, [esp + 8]
    mov [ss:f30 + 4], eax
    mov eax, [esp + 12]
    and eax, 0x3300                    ; IF, TF, IOPL
    mov [ss:f30 + 8], eax
    mov eax, [esp + 16]
    mov [ss:f30 + 12], eax
    mov eax, [esp + 20]
    mov [ss:f30 + 16], eax
    lea eax, [esp + 4]
    mov [ss:k30], eax                  ; the kernel stack: esp0 less the frame
    pop eax
    iretd

; #GP: error eip cs eflags esp ss, then past the faulting instruction
gp:
    push eax
    push ebx
    mov ebx, [ss:ngp]
    imul ebx, ebx, 28
    mov eax, [esp + 8]
    mov [ss:fgp + ebx], eax
    mov eax, [esp + 12]
    mov [ss:fgp + ebx + 4], eax
    mov eax, [esp + 16]
    mov [ss:fgp + ebx + 8], eax
    mov eax, [esp + 20]
    and eax, 0x3300
    mov [ss:fgp + ebx + 12], eax
    mov eax, [esp + 24]
    mov [ss:fgp + ebx + 16], eax
    mov eax, [esp + 28]
    mov [ss:fgp + ebx + 20], eax
    lea eax, [esp + 8]
    mov [ss:fgp + ebx + 24], eax
    inc dword [ss:ngp]
    mov eax, [esp + 12]                ; skip cli (1 byte) or int 0x31 (2)
    cmp byte [cs:eax], 0xfa
    je .one
    add dword [esp + 12], 1
.one:
    add dword [esp + 12], 1
    pop ebx
    pop eax
    add esp, 4
    iretd

int31:                                 ; never reached from ring 3
    mov dword [ss:bad31], 1
    iretd

; the call gate's target: eip cs param esp ss
callgate:
    push eax
    mov eax, [esp + 4]
    mov [ss:fcg], eax
    mov eax, [esp + 8]
    mov [ss:fcg + 4], eax
    mov eax, [esp + 12]
    mov [ss:fcg + 8], eax
    mov eax, [esp + 16]
    mov [ss:fcg + 12], eax
    mov eax, [esp + 20]
    mov [ss:fcg + 16], eax
    lea eax, [esp + 4]
    mov [ss:kcg], eax
    pop eax
    retf 4

; int 0x32: the end, back in the kernel for good
int32:
    mov eax, [esp]
    mov [ss:f32], eax
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov esp, KSTACK
    put "usermode: LDT data read "
    hex [u_probe]
    put 10
    put "usermode: int 0x30 frame eip "
    mov eax, [f30]
    sub eax, user
    hex eax
    put " cs "
    hex [f30 + 4]
    put " flags "
    hex [f30 + 8]
    put " esp "
    hex [f30 + 12]
    put " ss "
    hex [f30 + 16]
    put " at kernel esp "
    hex [k30]
    put 10
    xor ecx, ecx
.gps:
    cmp ecx, [ngp]
    jae .gps_done
    imul ebx, ecx, 28
    put "usermode: #GP error "
    hex [fgp + ebx]
    put " eip "
    mov eax, [fgp + ebx + 4]
    sub eax, user
    hex eax
    put " cs "
    hex [fgp + ebx + 8]
    put " flags "
    hex [fgp + ebx + 12]
    put " esp "
    hex [fgp + ebx + 16]
    put " ss "
    hex [fgp + ebx + 20]
    put " at kernel esp "
    hex [fgp + ebx + 24]
    put 10
    inc ecx
    jmp .gps
.gps_done:
    put "usermode: call gate frame eip "
    mov eax, [fcg]
    sub eax, user
    hex eax
    put " cs "
    hex [fcg + 4]
    put " param "
    hex [fcg + 8]
    put " esp "
    hex [fcg + 12]
    put " ss "
    hex [fcg + 16]
    put " at kernel esp "
    hex [kcg]
    put 10
    put "usermode: after lret 4: esp "
    hex [u_esp_after]
    put " (before the push "
    hex [u_esp0]
    put "), cs "
    hex [u_cs_after]
    put 10
    put "usermode: int 0x32 from eip "
    mov eax, [f32]
    sub eax, user
    hex eax
    put ", the DPL-0 handler ran "
    hex [bad31]
    put " times"
    put 10
    say "usermode: done"
    mov al, 0
    jmp exit


; print eax as 0x%x
puthex:
    pushad
    mov edi, hexbuf + 2
    mov ecx, 8
.digit:
    rol eax, 4
    mov ebx, eax
    and ebx, 0xf
    mov bl, [hexdigits + ebx]
    mov [edi], bl
    inc edi
    loop .digit
    mov esi, hexbuf
    call print
    popad
    ret

section .rodata
hexdigits: db "0123456789abcdef"

section .data
align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff              ; 0x08 kernel code
    dq 0x00cf92000000ffff              ; 0x10 kernel data
    dq 0x00cffa000000ffff              ; 0x18 user code, DPL 3
    dq 0x00cff2000000ffff              ; 0x20 user data, DPL 3
    dq 0x0000890000000067              ; 0x28 TSS (base filled in)
    dq 0x000082000000000f              ; 0x30 LDT, 2 entries (base filled in)
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt
align 8
idtr:
    dw 256 * 8 - 1
    dd idt
align 8
ldt:
    dq 0x0000ec0100080000              ; call gate: KCODE, 1 parameter, DPL 3 (offset filled in)
    dq 0x00cff2000000ffff              ; user data, DPL 3
ldt_probe: dd 0x5eed1d70
hexbuf: db "0x00000000", 0
align 4
u_probe:     dd 0
u_esp0:      dd 0
u_esp_after: dd 0
u_cs_after:  dd 0
f30:  times 5 dd 0
k30:  dd 0
ngp:  dd 0
fgp:  times 2 * 7 dd 0
fcg:  times 5 dd 0
kcg:  dd 0
f32:  dd 0
bad31: dd 0

section .bss
alignb 8
tss: resb 104
idt: resb 256 * 8
