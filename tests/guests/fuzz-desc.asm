; Descriptor fuzzer (issue 11).  Seeded and repeatable (guestarg=seed=N,
; default 1; rounds=N, default 2000; ops=MASK of the operation kinds below,
; default all; trace=1 prints every operation).  Each round writes random
; descriptors into GDT slots 8..15 (selectors 0x40..0x78) and random gates
; for vectors 0x40..0x47, loads the GDTR and IDTR with random limits, then
; does 8 random operations with random selectors:
;   kind 0 movseg  mov ds/es/fs/gs          kind 5 call  far call
;   kind 1 movss   mov ss                   kind 6 retf  its own retf frame
;   kind 2 popss   pop ss                   kind 7 iret  its own iret frame
;   kind 3 lxs     lds/les/lfs/lgs/lss      kind 8 int   int 0x40..0x47
;   kind 4 jmp     far jmp                  kind 9 hlt   loads, a new GDT, sti; hlt
; Every exception (#GP #NP #SS #TS #UD #DF, anything) is caught by the
; include's stubs, which record (vector, error, eip) and resume at a known
; point.  Control transfers land on a probe at 0x8000 that says whether it
; ran as 16-, 32- or 64-bit code.  Each operation's outcome goes into an
; FNV-1a digest (one per kind and one of all); the guest prints them and
; exits 0.  The same image run on a bare 32-bit PC
;   qemu-system-i386 -M isapc -cpu qemu32 -m 64 -kernel fuzz-desc.elf
; is the oracle: equal digests mean the guest saw architectural outcomes.
; To find the first operation that differs, run both with the same
; seed=N ops=MASK rounds=R and trace=1 and diff the lines that start "fz "
; (on the host: guestarg=trace=1 ..., the lines come prefixed "[fuzz-desc] ");
; trace=2 also prints each operation and its descriptor before it runs, for
; a host that dies in the middle of one.
;
; The fuzzed space is limited to what ring compression can reproduce:
; - Descriptor DPL is 0 or 3, never 1 or 2: the guest really runs in ring
;   1, and a host that makes DPL 0-2 into 1 cannot tell them apart (a far
;   jmp to DPL-1 code works at real CPL 1 and faults at CPL 0).
; - Selector RPL is 0 or 3 (RPL 1 or 2 passes checks at CPL 1 that fail at
;   CPL 0); retf and iret frames use RPL 0 only (RPL 3 would go to ring 3,
;   which the host does not run).  CS and SS are never observed with their
;   RPL (the guest in ring 1 reads 1): pushed CS values are masked.  A
;   null selector read back from a data register is recorded without its
;   RPL: any host trap nulls a DS or ES that holds one (null_rpl says why).
; - No call gates, task gates, TSS or 16-bit gates (system descriptors are
;   the invalid types 0, 2 (LDT), 8, 10, 13 only; IDT gates are 32-bit
;   interrupt/trap gates or the invalid types 0, 8, 10, 12, 13): the host
;   does not emulate task switches or gates through the GDT.
; - No memory access through fuzzed segments (TCG does not check data
;   segment limits, and a random base would leave guest RAM); lar, lsl,
;   verr and verw are not used (they show DPL and the accessed bit, which
;   the host's mirror sets).  The GDT is reloaded (lgdt) after every write
;   to it: a host mirror cannot see a plain store to the guest's table.
; - iret, retf and int are not aimed past the target's CS limit: TCG does
;   not check EIP against it there (a CPU does; hostile-eiplimit covers
;   it), so the oracle would disagree with a correct host.  Far jmp/call
;   are (TCG checks those).  No transfer lands where the probe would run
;   on across the limit: TCG never checks EIP as it falls through, and a
;   host that emulates the probe's (patched) pushf does, as a CPU does.
; - The pushed EFLAGS are compared in CF PF AF ZF SF OF DF IF only.
%include "tests/guests/hostile.inc"
; reached through op_table only: function symbols make the host's scanner
; start there (and patch op_iret's iret)
global op_movseg:function, op_movss:function, op_popss:function, op_lxs:function, op_jmp:function
global op_call:function, op_retf:function, op_iret:function, op_int:function, op_hlt:function, fz_back:function

FZ_FIRST   equ 8                       ; fuzzed GDT slots 8..15
FZ_SLOTS   equ 8
FZ_VEC     equ 0x40                    ; fuzzed vectors 0x40..0x47
PROBE      equ 0x8000
MODE       equ 0x9000                  ; the probe's verdict: 16, 32, 64
BACK       equ 0x9004                  ; m16:32 it leaves through
KINDS      equ 10
OPS_ROUND  equ 8

main:
    mov edi, k_seed
    call find_arg
    call parse_uint
    test esi, esi
    jnz .seeded
    mov eax, 1
.seeded:
    mov [seed], eax
    test eax, eax
    jnz .nz
    mov eax, 0x9e3779b9                ; xorshift needs a state other than 0
.nz:
    mov [rng], eax
    mov edi, k_rounds
    call find_arg
    call parse_uint
    test eax, eax
    jnz .r
    mov eax, 2000
.r:
    mov [rounds], eax
    mov edi, k_ops
    call find_arg
    call parse_uint
    test eax, eax
    jnz .o
    mov eax, (1 << KINDS) - 1
.o:
    mov [ops_mask], eax
    mov edi, k_trace
    call find_arg
    call parse_uint
    mov [trace], eax
    put "fuzz: seed "
    decimal dword [seed]
    put ", "
    decimal dword [rounds]
    put " rounds, operation kinds "
    hex dword [ops_mask]
    put 10
    mov esi, probe                     ; the landing probe
    mov edi, PROBE
    mov ecx, probe_end - probe
    rep movsb
    mov dword [BACK], fz_back
    mov word [BACK + 4], CODE_SEL
    mov dword [digest], 0x811c9dc5
    mov ecx, KINDS
.kd:
    mov dword [kdigest + ecx * 4 - 4], 0x811c9dc5
    loop .kd
    call pit_start                     ; for kind 9: the host reschedules a sleeping vCPU
    cli
.round:
    mov eax, [round]
    cmp eax, [rounds]
    jae .done
    call new_tables
    mov dword [opn], 0
.op:
    call one_op
    inc dword [opn]
    cmp dword [opn], OPS_ROUND
    jb .op
    inc dword [round]
    jmp .round
.done:
    lgdt [gdtr]
    lidt [idtr]
    call report
    finish 0, "fuzz: done"

%include "tests/guests/fuzz-desc-tables.inc"
%include "tests/guests/fuzz-desc-ops.inc"
; ---------------------------------------------------------------- outcomes
record:
    mov eax, [rec_kind]
    cmp eax, KINDS
    je .skip
    mov ebx, eax                       ; counts by outcome
    imul ebx, ebx, NCOUNTS * 4
    inc dword [counts + ebx]           ; operations
    mov eax, [exc_vec]
    mov ecx, 1                         ; ok
    cmp eax, -1
    je .c
    mov ecx, 2
    cmp eax, 13
    je .c
    inc ecx
    cmp eax, 11
    je .c
    inc ecx
    cmp eax, 12
    je .c
    inc ecx
    cmp eax, 10
    je .c
    inc ecx
    cmp eax, 6
    je .c
    inc ecx
    cmp eax, 8
    je .c
    inc ecx                            ; another vector
.c:
    inc dword [counts + ebx + ecx * 4]
    movzx eax, byte [MODE]             ; 16 32 64
    shr eax, 4
    jz .nomode
    cmp eax, 4
    jne .m
    mov eax, 3
.m:
    inc dword [counts + ebx + 32 + eax * 4]
.nomode:
    mov eax, [rec_kind]                ; the digests
    call mix
    mov eax, [rec_sel]
    call mix
    mov eax, [rec_sub]
    call mix
    mov eax, [exc_vec]
    call mix
    mov eax, [exc_err]
    call mix
    mov eax, -1
    cmp dword [exc_vec], -1
    je .eip
    mov eax, [exc_eip]
.eip:
    call mix
    movzx eax, byte [MODE]
    call mix
    mov eax, [rec_x1]
    call mix
    mov eax, [rec_x2]
    call mix
    cmp dword [trace], 0
    jne trace_op
    ret
.skip:
    inc dword [nskipped]
    ret

; FNV-1a of the 4 bytes of eax into the digest and the kind's digest
mix:
    push ebx
    push ecx
    push edx
    mov ebx, [rec_kind]
    mov ecx, 4
.b:
    mov edx, [digest]
    xor dl, al
    imul edx, edx, 0x01000193
    mov [digest], edx
    mov edx, [kdigest + ebx * 4]
    xor dl, al
    imul edx, edx, 0x01000193
    mov [kdigest + ebx * 4], edx
    shr eax, 8
    loop .b
    pop edx
    pop ecx
    pop ebx
    ret

trace_op:
    put "fz "
    decimal dword [round]
    put "."
    decimal dword [opn]
    put " "
    mov eax, [rec_kind]
    mov esi, [kind_names + eax * 4]
    call print
    put " sel "
    hex dword [rec_sel]
    put " sub "
    hex dword [rec_sub]
    put ": "
    cmp dword [exc_vec], -1
    je .ok
    put "vector "
    hex dword [exc_vec]
    put " error "
    hex dword [exc_err]
    put " eip "
    hex dword [exc_eip]
    jmp .x
.ok:
    put "ok"
.x:
    put " mode "
    movzx eax, byte [MODE]
    decimal eax
    put " x "
    hex dword [rec_x1]
    put " "
    hex dword [rec_x2]
    put 10
    ret

report:
    xor ecx, ecx
.k:
    mov ebx, ecx
    imul ebx, ebx, NCOUNTS * 4
    put "fuzz: "
    mov esi, [kind_names + ecx * 4]
    call print
    put " n "
    decimal dword [counts + ebx]
    put " ok "
    decimal dword [counts + ebx + 4]
    put " GP "
    decimal dword [counts + ebx + 8]
    put " NP "
    decimal dword [counts + ebx + 12]
    put " SS "
    decimal dword [counts + ebx + 16]
    put " TS "
    decimal dword [counts + ebx + 20]
    put " UD "
    decimal dword [counts + ebx + 24]
    put " DF "
    decimal dword [counts + ebx + 28]
    put " other "
    decimal dword [counts + ebx + 32]
    put " ran16 "
    decimal dword [counts + ebx + 36]
    put " ran32 "
    decimal dword [counts + ebx + 40]
    put " ran64 "
    decimal dword [counts + ebx + 44]
    put " digest "
    hexbare dword [kdigest + ecx * 4]
    put 10
    inc ecx
    cmp ecx, KINDS
    jb .k
    put "fuzz: "
    decimal dword [nskipped]
    say " operations skipped (outside the faithful space)"
    xor eax, eax                       ; any 64-bit landing is an escape
    xor ecx, ecx
.esc:
    mov ebx, ecx
    imul ebx, ebx, NCOUNTS * 4
    add eax, [counts + ebx + 44]
    inc ecx
    cmp ecx, KINDS
    jb .esc
    test eax, eax
    jz .noesc
    put "fuzz: ESCAPED: "
    decimal eax
    say " transfers ran 64-bit code"
.noesc:
    put "fuzz: DIGEST "
    hexbare dword [digest]
    put 10
    ret

NCOUNTS equ 12                         ; n, ok, GP NP SS TS UD DF other, ran16 ran32 ran64

section .rodata
k_seed:   db "seed=", 0
k_rounds: db "rounds=", 0
k_ops:    db "ops=", 0
k_trace:  db "trace=", 0
align 4
op_table: dd op_movseg, op_movss, op_popss, op_lxs, op_jmp, op_call, op_retf, op_iret, op_int, op_hlt
kind_names: dd n0, n1, n2, n3, n4, n5, n6, n7, n8, n9
n0: db "movseg", 0
n1: db "movss", 0
n2: db "popss", 0
n3: db "lxs", 0
n4: db "jmp", 0
n5: db "call", 0
n6: db "retf", 0
n7: db "iret", 0
n8: db "int", 0
n9: db "hlt", 0
code_bases:  dd 0, 0x1000, 0x4000
near_limits: dd 0x3ff0, 0x6ff0, 0x7ff0
gdt_limits:  dd 16 * 8 - 1, 16 * 8 - 1, 14 * 8 - 1, 11 * 8 - 1
idt_limits:  dd 256 * 8 - 1, 256 * 8 - 1, 256 * 8 - 1, (FZ_VEC + 4) * 8 - 1
special_sels: dw CODE_SEL, DATA_SEL, 0, 16 * 8, FZ_FIRST * 8 + 4
sys_types:   db 0x00, 0x02, 0x08, 0x0a, 0x0d
gate_types:  db 0x0e, 0x0e, 0x0e, 0x0e, 0x0f, 0x0f, 0xff, 0xff
bad_gate_types: db 0x00, 0x08, 0x0a, 0x0c, 0x0d

; the landing probe, copied to 0x8000: says 16, 32 or 64 and goes back
probe:
bits 32
    pushf                              ; the flags it arrived with (2, 4 or 8 bytes)
    db 0x48, 0x90                      ; dec (e)ax | rex.w nop
    test eax, eax
    jz .m64
    shr eax, 16
    jz .m16
    mov byte [MODE], 32
    jmp far [BACK]
bits 16
.m16:
    mov byte [MODE], 16
    jmp far dword [BACK]
bits 64
.m64:
    mov ecx, MODE
    mov byte [rcx], 64
    mov eax, BACK
    jmp far dword [rax]
bits 32
probe_end:

section .data
align 8
fz_gdtr: dw 16 * 8 - 1
         dd gdt
align 8
fz_idtr: dw 256 * 8 - 1
         dd idt
align 4
far_ptr:
far_off: dd 0
far_sel: dw 0
align 4
seed:      dd 0
rng:       dd 0
rounds:    dd 0
round:     dd 0
opn:       dd 0
ops_mask:  dd 0
trace:     dd 0
digest:    dd 0
nskipped:  dd 0
rec_kind:  dd 0
rec_sel:   dd 0
rec_sub:   dd 0
rec_x1:    dd 0
rec_x2:    dd 0
op_esp:    dd 0
ss_save:   dd 0
land_esp:  dd 0
land_flags: dd 0
iret_flags: dd 0
hlt_sels:  times 4 dd 0
hlt_ds:    dd 0
fz_base:   times FZ_SLOTS dd 0
kdigest:   times KINDS dd 0
section .bss
alignb 4
counts:    resd KINDS * NCOUNTS
