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
;   RPL (the guest in ring 1 reads 1): pushed CS values are masked.
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
;   are (TCG checks those).  No operation lands where the probe would run
;   on past the limit: TCG does not check the fetches after a landing
;   either (a descriptor with limit 0x4000 and base 0x4000 let the probe's
;   pushf run at offset 0x4000 and its next instruction too, where a CPU,
;   and the host, raise #GP(0)).
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

; ---------------------------------------------------------------- randomness
rand:                                  ; eax = next xorshift32
    push edx
    mov eax, [rng]
    mov edx, eax
    shl edx, 13
    xor eax, edx
    mov edx, eax
    shr edx, 17
    xor eax, edx
    mov edx, eax
    shl edx, 5
    xor eax, edx
    mov [rng], eax
    pop edx
    ret
rand_below:                            ; eax = a random number below eax
    push ecx
    push edx
    mov ecx, eax
    call rand
    xor edx, edx
    div ecx
    mov eax, edx
    pop edx
    pop ecx
    ret
%macro rnd 1                           ; eax = random below %1
    mov eax, %1
    call rand_below
%endmacro

; ---------------------------------------------------------------- tables
new_tables:
    mov ecx, FZ_FIRST
.d:
    call gen_desc
    inc ecx
    cmp ecx, FZ_FIRST + FZ_SLOTS
    jb .d
    xor ecx, ecx
.g:
    call gen_gate
    inc ecx
    cmp ecx, 8
    jb .g
    rnd 4                              ; GDT limit: all 16 slots, or fewer
    mov eax, [gdt_limits + eax * 4]
    mov [fz_gdtr], ax
    lgdt [fz_gdtr]
    rnd 4                              ; IDT limit: all, or up to vector 0x43
    mov eax, [idt_limits + eax * 4]
    mov [fz_idtr], ax
    lidt [fz_idtr]
    ret

; slot ecx: a random code, data or (invalid) system descriptor
gen_desc:
    pushad
    mov edi, ecx
    rnd 16
    cmp eax, 6
    jb .data
    cmp eax, 13
    jb .code
    cmp eax, 15
    jb .system
    ; anything at all but the base (the probe's offset depends on it);
    ; DPL and system type then made faithful
    call rand
    mov ebx, eax
    call rand
    mov [gdt + edi * 8], ebx
    mov [gdt + edi * 8 + 4], eax
    rnd 3
    mov eax, [code_bases + eax * 4]
    mov [fz_base + edi * 4 - FZ_FIRST * 4], eax
    mov [gdt + edi * 8 + 2], ax
    shr eax, 16
    mov [gdt + edi * 8 + 4], al
    mov [gdt + edi * 8 + 7], ah
    jmp .fix
.data:
    call rand
    mov esi, eax                       ; base: anything (never used for memory)
    rnd 8
    mov cl, al                         ; type 0..7, S=1
    or cl, 0x10
    jmp .common
.code:
    rnd 3
    mov esi, [code_bases + eax * 4]
    rnd 8
    lea ecx, [eax + 0x18]              ; type 8..15, S=1
    jmp .common
.system:
    rnd 5
    movzx ecx, byte [sys_types + eax]
    call rand
    mov esi, eax
.common:
    call rand_limit
    mov ebx, eax
    rnd 8                              ; present 7 times in 8
    test eax, eax
    jz .np
    or cl, 0x80
.np:
    call rand
    test al, 3
    jnz .dpl0
    or cl, 0x60                        ; DPL 3, one time in 4
.dpl0:
    rnd 16                             ; G D L AVL, D/B set more often than not
    mov ch, al
    call rand
    test al, 3
    jz .flags
    or ch, 4
.flags:
    mov eax, esi
    call make_desc
    mov [fz_base + edi * 4 - FZ_FIRST * 4], esi
.fix:
    mov al, [gdt + edi * 8 + 5]        ; access byte
    test al, 0x60                      ; DPL 1, 2 -> 3
    jz .dpl_done
    or al, 0x60
.dpl_done:
    test al, 0x10                      ; a system descriptor: invalid types only
    jnz .store
    mov bl, al
    and bl, 0x0f
    cmp bl, 0
    je .store
    cmp bl, 2
    je .store
    cmp bl, 8
    je .store
    cmp bl, 10
    je .store
    cmp bl, 13
    je .store
    and al, 0xf0                       ; type 0
.store:
    mov [gdt + edi * 8 + 5], al
    popad
    ret

rand_limit:                            ; eax: a 20-bit limit, often near the probe
    rnd 4
    cmp eax, 1
    jb .any
    je .max
    cmp eax, 2
    je .near
    rnd 0x8000
    ret
.any:
    call rand
    and eax, 0xfffff
    ret
.max:
    mov eax, 0xfffff
    ret
.near:                                 ; around the probe's offset from each base
    rnd 3
    mov edx, [near_limits + eax * 4]
    rnd 0x20
    add eax, edx
    ret

; gate for vector FZ_VEC + ecx
gen_gate:
    pushad
    lea edi, [ecx + FZ_VEC]
    rnd 8
    movzx ecx, byte [gate_types + eax]
    cmp cl, 0xff
    jne .t
    rnd 5
    movzx ecx, byte [bad_gate_types + eax]
.t:
    rnd 8
    test eax, eax
    jz .np
    or cl, 0x80
.np:
    rnd 4
    shl eax, 5
    or cl, al                          ; any DPL: the guest is at CPL 0
    call pick_sel
    mov ebx, eax
    call probe_offset
    call set_gate                      ; edi vector, eax offset, bx selector, cl type
    popad
    ret

; ---------------------------------------------------------------- selectors
; eax = a random selector: a fuzzed slot (most often), the flat code or data,
; null, one beyond the GDT limit, one in the (null) LDT; RPL 0 or 3
pick_sel:
    rnd 16
    cmp eax, 8
    jb .slot
    cmp eax, 13
    jae .slot2
    movzx eax, word [special_sels + eax * 2 - 16]
    jmp .rpl
.slot2:
    rnd 8
.slot:
    lea eax, [eax * 8 + FZ_FIRST * 8]
.rpl:
    push eax
    call rand
    test al, 1
    pop eax
    jz .r0
    or eax, 3
.r0:
    ret

; eax = the offset of the probe in the segment selector bx names (its base
; as generated), for a fuzzed slot; else the linear address
probe_offset:
    movzx eax, bx
    shr eax, 3
    test bx, 4
    jnz .flat
    cmp eax, FZ_FIRST
    jb .flat
    cmp eax, FZ_FIRST + FZ_SLOTS
    jae .flat
    mov eax, [fz_base + eax * 4 - FZ_FIRST * 4]
    neg eax
    add eax, PROBE
    ret
.flat:
    mov eax, PROBE
    ret

; ZF=0 if selector bx names a present code segment in the guest's GDT
; (within the GDTR limit) whose limit offset eax lies beyond: a CPU would
; fault on EIP, TCG would not (see the top)
past_limit:
    push eax
    push ebx
    push ecx
    push edx
    mov ecx, eax
    test bx, 4                         ; TI: the LDT is null, it faults anyway
    jnz .no
    movzx ebx, bx
    and ebx, ~7
    jz .no
    movzx edx, word [fz_gdtr]
    lea eax, [ebx + 7]
    cmp eax, edx
    ja .no
    mov al, [gdt + ebx + 5]
    and al, 0x98                       ; present, S, code
    cmp al, 0x98
    jne .no
    movzx eax, word [gdt + ebx]
    movzx edx, byte [gdt + ebx + 6]
    and edx, 0x0f
    shl edx, 16
    or eax, edx
    test byte [gdt + ebx + 6], 0x80
    jz .bytes
    shl eax, 12
    or eax, 0xfff
.bytes:
    cmp ecx, eax
    ja .yes
.no:
    xor eax, eax                       ; ZF=1
    jmp .out
.yes:
    or eax, 1                          ; ZF=0
.out:
    pop edx
    pop ecx
    pop ebx
    pop eax
    ret

; the same for the probe's last byte at offset eax: the whole probe must
; lie within the limit, since TCG does not check the fetches after the
; landing either (a CPU faults on the first instruction past the limit)
last_past_limit:
    push eax
    add eax, probe_end - probe - 1
    call past_limit
    pop eax                            ; (pop leaves the flags)
    ret

; ZF=0 if the probe at offset eax starts within the limit of the code
; segment bx names but runs past it: a far jmp or call there lands (TCG
; checks the jump's own offset, as a CPU does) and then a CPU faults on
; the fetch past the limit where TCG does not
probe_cut:
    call past_limit
    jnz .no                            ; past it already: both fault on the jump
    jmp last_past_limit
.no:
    cmp eax, eax                       ; ZF=1
    ret

; ---------------------------------------------------------------- operations
one_op:
    rnd KINDS
    mov [rec_kind], eax
    mov ecx, eax
    mov edx, 1
    shl edx, cl
    test [ops_mask], edx
    jz .skip
    mov dword [rec_x1], 0
    mov dword [rec_x2], 0
    mov dword [rec_sub], 0
    mov byte [MODE], 0
    call pick_sel
    mov [rec_sel], eax
    cmp dword [trace], 2
    jb .go
    put "fz> "
    mov esi, [kind_names + ecx * 4]
    call print
    put " sel "
    hex dword [rec_sel]
    put " desc "
    mov ebx, [rec_sel]
    and ebx, 0x78
    hex dword [gdt + ebx + 4]
    put " "
    hex dword [gdt + ebx]
    put 10
.go:
    mov [op_esp], esp
    call [op_table + ecx * 4]
    call restore
    jmp record
.skip:
    call pick_sel
    ret

; flat segments again after an operation, whatever it left
restore:
    mov ax, DATA_SEL
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    ret

; kind 0: mov ds/es/fs/gs; x1 = the selector read back, x2 = ESP after
op_movseg:
    rnd 4
    mov [rec_sub], eax
    mov ebx, [rec_sel]
    try .after
    cmp eax, 1
    jb .ds
    je .es
    cmp eax, 2
    je .fs
    mov gs, bx
    mov ax, gs
    jmp .ok
.ds:
    mov ds, bx
    mov ax, ds
    jmp .ok
.es:
    mov es, bx
    mov ax, es
    jmp .ok
.fs:
    mov fs, bx
    mov ax, fs
.ok:
    mov [ss:rec_x1], eax
    mov [ss:rec_x2], esp
    mov ax, DATA_SEL                   ; endtry writes through DS
    mov ds, ax
.after:
    endtry
    mov esp, [resume_esp]
    ret

; kind 1: mov ss; x2 = ESP after (the 16-bit SS leak shows here)
op_movss:
    mov ebx, [rec_sel]
    mov [ss_save], esp
    try .after
    mov ss, bx
    mov ax, DATA_SEL                   ; flat at once: nothing used the stack
    mov ss, ax
    mov [rec_x2], esp
    mov esp, [ss_save]
.after:
    endtry
    mov esp, [resume_esp]
    ret

; kind 2: pop ss
op_popss:
    mov [ss_save], esp
    try .after
    push dword [rec_sel]
    pop ss
    mov ax, DATA_SEL
    mov ss, ax
    mov [rec_x2], esp
    mov esp, [ss_save]
.after:
    endtry
    mov esp, [resume_esp]
    ret

; kind 3: lds/les/lfs/lgs/lss from a far pointer; x1 the selector read back,
; x2 the offset register
op_lxs:
    rnd 5
    mov [rec_sub], eax
    mov ebx, [rec_sel]
    mov [far_sel], bx
    mov [ss_save], esp
    try .after
    cmp eax, 4
    je .lss
    mov dword [far_off], 0x12345678
    cmp eax, 1
    jb .lds
    je .les
    cmp eax, 2
    je .lfs
    lgs ebx, [far_ptr]
    mov ax, gs
    jmp .ok
.lds:
    lds ebx, [far_ptr]
    mov ax, ds
    jmp .ok
.les:
    les ebx, [far_ptr]
    mov ax, es
    jmp .ok
.lfs:
    lfs ebx, [far_ptr]
    mov ax, fs
.ok:
    mov [ss:rec_x1], eax
    mov [ss:rec_x2], ebx
    mov ax, DATA_SEL                   ; endtry writes through DS
    mov ds, ax
    jmp .after
.lss:
    mov [far_off], esp
    lss esp, [far_ptr]
    mov ax, ss
    mov bx, DATA_SEL
    mov ss, bx
    and eax, 0xfffc                    ; SS is read with the real RPL
    mov [rec_x1], eax
    mov [rec_x2], esp
    mov esp, [ss_save]
.after:
    endtry
    mov esp, [resume_esp]
    ret

; kind 4: far jmp; kind 5: far call (x1/x2: the CS:EIP it pushed)
op_jmp:
    mov ebx, [rec_sel]
    call probe_offset
    call probe_cut
    jnz skipped
    mov [far_off], eax
    mov [far_sel], bx
    try .after
    xor eax, eax
    jmp far [far_ptr]
.after:
    endtry
    mov esp, [resume_esp]
    ret

op_call:
    mov ebx, [rec_sel]
    call probe_offset
    call probe_cut
    jnz skipped
    mov [far_off], eax
    mov [far_sel], bx
    mov dword [land_esp], 0
    try .after
    xor eax, eax
    call far [far_ptr]
.ret:
.after:
    endtry
    mov esp, [resume_esp]
    cmp byte [MODE], 0
    je .out
    mov ebx, [land_esp]                ; the frame the call pushed
    mov eax, [ebx + 4]
    and eax, 0xfffc
    mov [rec_x1], eax
    mov eax, [ebx]
    sub eax, .ret
    mov [rec_x2], eax                  ; 0: the return address was right
.out:
    ret

; kind 6: retf to a frame of its own (RPL 0: the same level)
op_retf:
    and dword [rec_sel], ~3
    mov ebx, [rec_sel]
    call probe_offset
    call last_past_limit
    jnz skipped
    try .after
    push ebx
    push eax
    xor eax, eax
    retf
.after:
    endtry
    mov esp, [resume_esp]
    ret

; kind 7: iret to a frame of its own, random arithmetic flags; x1 = the
; flags seen on landing (lahf/seto), x2 = the frame's flags
op_iret:
    and dword [rec_sel], ~3
    mov ebx, [rec_sel]
    call probe_offset
    call last_past_limit
    jnz skipped
    push eax
    call rand
    and eax, 0xcd5                     ; CF PF AF ZF SF OF DF
    or eax, 2
    mov [rec_x2], eax
    mov [iret_flags], eax
    pop eax
    try .after
    push dword [iret_flags]
    push ebx
    push eax
    xor eax, eax
    iretd
.after:
    endtry
    mov esp, [resume_esp]
    cmp byte [MODE], 0
    je .out
    mov eax, [land_flags]
    mov [rec_x1], eax
.out:
    ret

; kind 8: int 0x40..0x47 through the fuzzed gates (x1 = CS, x2 = EFLAGS
; of the frame, checked against what was pushed)
op_int:
    rnd 8
    mov [rec_sub], eax
    mov ecx, eax                       ; not aimed past the target's limit
    cmp dword [trace], 2
    jb .traced
    put "fz> int gate "
    hex dword [idt + FZ_VEC * 8 + ecx * 8 + 4]
    put " "
    hex dword [idt + FZ_VEC * 8 + ecx * 8]
    put " its CS desc "
    movzx eax, word [idt + FZ_VEC * 8 + ecx * 8 + 2]
    and eax, 0xfff8
    cmp eax, GDT_SLOTS * 8
    jae .far
    hex dword [gdt + eax + 4]
    put " "
    hex dword [gdt + eax]
.far:
    put 10
.traced:
    mov dx, [idt + FZ_VEC * 8 + ecx * 8 + 6]
    shl edx, 16
    mov dx, [idt + FZ_VEC * 8 + ecx * 8]
    mov eax, edx                       ; the gate's offset
    mov bx, [idt + FZ_VEC * 8 + ecx * 8 + 2]
    mov dl, [idt + FZ_VEC * 8 + ecx * 8 + 5]
    test dl, 0x80                      ; only a present 32-bit gate lands
    jz .go
    and dl, 0x1e
    cmp dl, 0x0e
    jne .go
    call last_past_limit
    jnz skipped
.go:
    mov dword [land_esp], 0
    lea ecx, [int_insns + ecx * 4]
    try .after
    xor eax, eax
    jmp ecx
.after:
    endtry
    mov esp, [resume_esp]
    cmp byte [MODE], 0
    je .out
    mov ebx, [land_esp]
    mov eax, [ebx + 4]
    and eax, 0xfffc
    mov [rec_x1], eax
    mov eax, [ebx + 8]
    and eax, 0xed5                     ; CF PF AF ZF SF OF IF DF
    mov [rec_x2], eax
    mov eax, [ebx]
    sub eax, int_insns
    mov [rec_sub], eax                 ; where it returns: just past the int
.out:
    ret
int_insns:                             ; 4 bytes each: int n; 2 x nop
%assign n 0
%rep 8
    int FZ_VEC + n
    nop
    nop
%assign n n + 1
%endrep

; kind 9: ES/FS/GS loaded from random selectors (ES from this operation's),
; then a new GDT (lgdt), then a sleep the host takes the vCPU away for; a CPU
; keeps the cached descriptors and the selectors: x1 = ES, x2 = FS:GS after
op_hlt:
    call pick_sel
    mov [hlt_sels + 4], eax
    call pick_sel
    mov [hlt_sels + 8], eax
    mov eax, [rec_sel]
    mov [hlt_sels], eax
    try .es
    mov es, [hlt_sels]
.es:
    try .fs
    mov fs, [hlt_sels + 4]
.fs:
    try .gs
    mov gs, [hlt_sels + 8]
.gs:
    endtry
    mov esp, [resume_esp]
    mov dword [exc_vec], -1            ; the loads' outcomes show in the selectors
    mov dword [exc_err], 0
    call new_tables                    ; DS is flat for it; ES/FS/GS keep theirs
    mov dword [ticks_seen], 0
    sti
    hlt
    cli
    xor eax, eax
    mov ax, es
    mov [rec_x1], eax
    mov ax, fs
    shl eax, 16
    mov ax, gs
    mov [rec_x2], eax
    ret

skipped:                               ; an operation outside the faithful space
    mov dword [rec_kind], KINDS
    ret

; ---------------------------------------------------------------- landing
; the probe jumps here (CODE_SEL) in whatever mode it ran
fz_back:
    mov [ss:land_esp], esp
    movzx eax, word [ss:esp]           ; the probe's pushf
    and eax, 0xcd5                     ; CF PF AF ZF SF OF DF
    mov [ss:land_flags], eax
    mov ax, DATA_SEL
    mov ds, ax
    mov ss, ax
    cld
    movzx eax, byte [MODE]             ; past the pushf: the frame of a call or int
    shr eax, 3
    add [land_esp], eax
    mov eax, [resume_eip]
    jmp eax

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
