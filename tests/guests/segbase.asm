; Segments with a base, as GNU Mach's boot code makes them: code and data
; at base 0x40000000, so offset 0xC01xxxxx wraps to linear 0x001xxxxx.
; Under them the guest runs instructions the host emulates, each with an
; operand the host must reach through the segment's base: mov ss (register
; and memory), lidt/lgdt/sgdt [mem], rep outsb upward and downward (DF=1),
; rep insb, an int 0x40 through an IDT whose handler and stack are in the
; based segments (its iret is the scanner's patch, popped through SS), and
; two limit violations that must come back as #GP(0): a far jmp beyond a
; code segment's limit, and lidt through a data segment whose limit the
; operand exceeds.  Every line is printed the same on a bare PC
; (tests/guests/bare-oracle.sh), but the data limit's: QEMU's TCG checks no
; data segment limits (it loads the IDT), so that line says what it saw
; and tests/suites/hostile.sh holds the host to the CPU's answer.
%include "tests/guests/guest.inc"

K         equ 0xC0000000               ; offset = linear + K under the based segments
FCODE     equ 0x08
FDATA     equ 0x10
BCODE     equ 0x18
BDATA     equ 0x20
SMALL     equ 0x28                      ; based data, limit 0xfff
SHORTC    equ 0x30                      ; based code, limit 0xfff
STACK_TOP equ 0x90000

; bsay "text": print under the based segments (DS base 0x40000000)
%macro bsay 1
section .rodata
%%msg: db %1, 10, 0
section .text
    mov esi, %%msg + K
    call print
%endmacro
%macro bput 1
section .rodata
%%msg: db %1, 0
section .text
    mov esi, %%msg + K
    call print
%endmacro
%macro bhex 1                           ; print %1 as 8 hex digits, based
    mov eax, %1
    call bputhex
%endmacro

section .text
global _start
_start:
    mov esp, STACK_TOP
    cld
    say "segbase: start (flat)"
    ; the IDT: 0x40 and 13 to handlers in the based code segment
    mov eax, int40 + K
    mov edi, 0x40
    call set_gate
    mov eax, gp + K
    mov edi, 13
    call set_gate
    lgdt [gdtr]
    jmp BCODE:(based + K)

set_gate:                               ; vector edi, offset eax, selector BCODE, DPL 0 interrupt gate
    mov [idt + edi * 8], ax
    mov word [idt + edi * 8 + 2], BCODE
    mov word [idt + edi * 8 + 4], 0x8e00
    shr eax, 16
    mov [idt + edi * 8 + 6], ax
    ret

based:
    mov ax, BDATA
    mov ss, ax                          ; RPL 0: emulated
    mov esp, STACK_TOP + K
    mov ds, ax
    mov es, ax
    bsay "segbase: running at base 0x40000000"
    lidt [idtr + K]
    lgdt [gdtr + K]
    bsay "segbase: lidt and lgdt through DS done"
    ; rep outsb upward, then downward from the end of a reversed line
    mov esi, line_up + K
    mov ecx, line_up_len
    mov dx, 0x3f8
    rep outsb
    std
    mov esi, line_down + line_down_len - 1 + K
    mov ecx, line_down_len
    rep outsb
    cld
    ; rep insb into ES:EDI: the PIC mask, read four times
    mov al, 0x5a
    out 0x21, al
    mov edi, inbuf + K
    mov ecx, 4
    mov dx, 0x21
    rep insb
    bput "segbase: rep insb read "
    bhex [inbuf + K]
    bput ", edi advanced by "
    sub edi, inbuf + K
    bhex edi
    bsay ""
    ; mov ss from memory
    mov ss, [bdata_sel + K]
    bsay "segbase: mov ss, [mem] done"
    ; int 0x40: its handler and stack are in the based segments
    int 0x40
.after_int:
    bput "segbase: int 0x40 frame cs "
    bhex [int_cs + K]
    bput " eip-K "
    mov eax, [int_eip + K]
    sub eax, K
    cmp eax, .after_int
    je .eip_ok
    bsay " WRONG"
    jmp .sgdt
.eip_ok:
    bsay " = the instruction after int"
.sgdt:
    sgdt [sbuf + K]
    bput "segbase: sgdt limit "
    movzx eax, word [sbuf + K]
    bhex eax
    bput " base-gdt "
    mov eax, [sbuf + 2 + K]
    sub eax, gdt
    bhex eax
    bsay ""
    ; a far jmp beyond the limit of a code segment: #GP(0) on any CPU
    mov dword [resume + K], .after_cs
    mov dword [gp_count + K], 0
    jmp SHORTC:0x2000
.after_cs:
    bput "segbase: limit-cs: #GP count "
    bhex [gp_count + K]
    bput " error "
    bhex [gp_err + K]
    bsay ""
    ; lidt through a data segment whose limit the operand passes: the CPU
    ; raises #GP(0); a bare QEMU loads the same IDT again
    mov dword [resume + K], .after_ds
    mov dword [gp_count + K], 0
    mov ax, SMALL
    mov ds, ax
    lidt [idtr + K]
.after_ds:
    mov ax, BDATA
    mov ds, ax
    bput "limit-data: #GP count "
    bhex [gp_count + K]
    bput " error "
    bhex [gp_err + K]
    bsay ""
    jmp FCODE:flat_again

flat_again:
    mov ax, FDATA
    mov ss, ax
    mov ds, ax
    mov es, ax
    mov esp, STACK_TOP
    say "segbase: done"
    mov al, 0
    jmp exit

; int 0x40: what the CPU pushed, through SS base 0x40000000
int40:
    mov eax, [esp]
    mov [ss:int_eip + K], eax
    mov eax, [esp + 4]
    mov [ss:int_cs + K], eax
    iretd

; #GP: record it and resume at [resume] in the based code; DS may be the
; small segment here, so everything goes through SS
gp:
    mov eax, [esp]
    mov [ss:gp_err + K], eax
    inc dword [ss:gp_count + K]
    add esp, 4
    mov eax, [ss:resume + K]
    add eax, K
    mov [esp], eax
    mov dword [esp + 4], BCODE
    iretd

; eax as 8 hex digits, under the based segments
bputhex:
    push ebx
    push ecx
    push edi
    mov edi, hexout + K
    mov ecx, 8
.digit:
    rol eax, 4
    mov ebx, eax
    and ebx, 0xf
    mov bl, [hexdigits + K + ebx]
    mov [edi], bl
    inc edi
    loop .digit
    mov esi, hexout + K
    call print
    pop edi
    pop ecx
    pop ebx
    ret

section .rodata
hexdigits: db "0123456789abcdef"
line_up: db "segbase: rep outsb upward through DS base", 10
line_up_len equ $ - line_up
line_down: db 10, "esab SD hguorht )1=FD( drawnwod bstuo per :esabges"
line_down_len equ $ - line_down
bdata_sel: dw BDATA

section .data
align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff              ; 0x08 flat code
    dq 0x00cf92000000ffff              ; 0x10 flat data
    dq 0x40cf9a000000ffff              ; 0x18 code, base 0x40000000, 4 GiB
    dq 0x40cf92000000ffff              ; 0x20 data, base 0x40000000, 4 GiB
    dq 0x4040920000000fff              ; 0x28 data, base 0x40000000, limit 0xfff
    dq 0x40409a0000000fff              ; 0x30 code, base 0x40000000, limit 0xfff
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt
align 8
idtr:
    dw 256 * 8 - 1
    dd idt
align 4
sbuf:     times 8 db 0
inbuf:    dd 0
int_eip:  dd 0
int_cs:   dd 0
gp_err:   dd 0
gp_count: dd 0
resume:   dd 0
hexout:   times 9 db 0

section .bss
alignb 8
idt: resb 256 * 8
