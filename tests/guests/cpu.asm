; The virtual CPU as a legacy kernel probes it (issue 13): the 486/cpuid
; detection through EFLAGS.AC and ID, the cpuid leaves, rdmsr/wrmsr of a
; table MSR and of unknown ones, the debug registers, and the x87: the
; fninit/fnstsw probe, CR0.TS -> #NM -> clts, EM and MP, lmsw, #MF with
; CR0.NE, and its state kept across timer interrupts and hlt (the host
; switches the vCPU out and in; fpu.c scrubs the FPU between).
;
; Lines starting "cpu: model " show the CPU model, which differs between a
; bare PC (QEMU's qemu32) and the host's documented policy by design;
; lines starting "cpu: sdm " show what QEMU's TCG does otherwise than the
; SDM says (no TSC MSR, no #GP for an unknown MSR, no DR7.GD), so they too
; differ from bare.  tests/suites/cpu.sh checks both kinds against what
; the policy and the SDM give, and every other line against the same
; image on a bare PC (tests/guests/bare-oracle.sh).  The guest's own
; verdict (PASS) leaves both kinds out.  With ferr=1 on its command line
; it also takes an x87 error with CR0.NE clear, as IRQ 13 (lines "cpu:
; ferr "): hosted only, since QEMU 7.2's TCG aborts on FERR# (bare).
%include "tests/guests/hostile.inc"

EFL_AC equ 1 << 18
EFL_ID equ 1 << 21
EFL_TF equ 1 << 8
CR0_MP equ 1 << 1
CR0_EM equ 1 << 2
CR0_TS equ 1 << 3
CR0_NE equ 1 << 5
CR4_DE equ 1 << 3

; wrong "what": count a failure and say so
%macro wrong 1
    inc dword [failures]
    say %1
%endmacro

; expect_vec V, "what": the last try saw vector V (-1: none)
; sdm_vec "what": "cpu: sdm WHAT: vector V" of the last try
%macro sdm_vec 1
    put "cpu: sdm "
    put %1
    put ": vector "
    hex [exc_vec]
    put 10
%endmacro

%macro expect_vec 2
    cmp dword [exc_vec], %1
    je %%ok
    inc dword [failures]
    put "WRONG: "
    put %2
    put ": vector "
    hex [exc_vec]
    put ", want "
    hex %1
    put 10
    jmp %%end
%%ok:
    put "cpu: "
    put %2
    put 10
%%end:
%endmacro

main:
    say "cpu: the virtual CPU as a legacy kernel probes it"
    call detect
    call leaves
    call msrs
    call dregs
    call fpu_probe
    call fpu_ts
    call fpu_em_mp
    call fpu_lmsw
    call fpu_mf
    call fpu_keep
    mov edi, k_ferr                    ; only when asked: QEMU 7.2's TCG aborts on FERR# (a lock assertion)
    call find_arg
    test esi, esi
    jz .judge
    call fpu_irq13
.judge:
    cmp dword [failures], 0
    jne .bad
    finish 0, "cpu: PASS"
.bad:
    finish 1, "cpu: FAIL"

; ---- EFLAGS.AC (a 486) and EFLAGS.ID (cpuid), as Linux's and Mach's head code test them
; toggled: ZF=0 if bit eax of EFLAGS can be flipped
toggles:
    pushfd
    pop ecx
    mov edx, ecx
    xor edx, eax
    push edx
    popfd
    pushfd
    pop edx
    push ecx
    popfd
    xor edx, ecx
    test edx, eax
    ret

detect:
    mov eax, EFL_AC
    call toggles
    jnz .ac
    wrong "WRONG: EFLAGS.AC does not toggle: a 386"
    ret
.ac:
    say "cpu: EFLAGS.AC toggles: a 486 or later"
    mov eax, EFL_ID
    call toggles
    jnz .id
    wrong "WRONG: EFLAGS.ID does not toggle: no cpuid"
    ret
.id:
    say "cpu: EFLAGS.ID toggles: cpuid is there"
    ret

; ---- cpuid
; leaf eax: "cpu: model cpuid LEAF: eax ebx ecx edx"
show_leaf:
    push eax
    xor ecx, ecx
    cpuid
    mov [regs], eax
    mov [regs + 4], ebx
    mov [regs + 8], ecx
    mov [regs + 12], edx
    pop eax
    put "cpu: model cpuid "
    hexbare eax
    put ":"
    xor ecx, ecx
.r:
    put " "
    hexbare [regs + ecx * 4]
    inc ecx
    cmp ecx, 4
    jne .r
    put 10
    ret

leaves:
    mov esi, leaf_list
.next:
    lodsd
    cmp eax, -1
    je .strings
    push esi
    call show_leaf
    pop esi
    jmp .next
.strings:
    xor eax, eax                       ; the vendor: EBX EDX ECX
    cpuid
    mov [text], ebx
    mov [text + 4], edx
    mov [text + 8], ecx
    mov byte [text + 12], 0
    put "cpu: model vendor "
    mov esi, text
    call print
    put 10
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000004
    jb .features
    mov edi, text                       ; the brand string
    mov eax, 0x80000002
.b:
    push eax
    cpuid
    mov [edi], eax
    mov [edi + 4], ebx
    mov [edi + 8], ecx
    mov [edi + 12], edx
    add edi, 16
    pop eax
    inc eax
    cmp eax, 0x80000005
    jne .b
    mov byte [edi], 0
    put "cpu: model brand "
    mov esi, text
    call print
    put 10
.features:                             ; what both CPUs must have for a P6 kernel
    mov eax, 1
    cpuid
    shr eax, 8
    and eax, 0xf
    cmp eax, 6
    je .fam
    wrong "WRONG: cpuid.1 family is not 6"
.fam:
    and edx, FEATURES
    cmp edx, FEATURES
    je .feat
    wrong "WRONG: cpuid.1 EDX lacks one of fpu tsc msr cx8 cmov"
    ret
.feat:
    say "cpu: cpuid.1 family 6, EDX has fpu tsc msr cx8 cmov"
    ret
FEATURES equ 1 | 1 << 4 | 1 << 5 | 1 << 8 | 1 << 15

; ---- MSRs
msrs:
    rdtsc                              ; TSC: rdmsr 0x10 lies between two rdtsc
    mov [t0], eax
    mov [t0 + 4], edx
    mov ecx, 0x10
    try .m1
    rdmsr
    endtry
    mov [mval], eax
    mov [mval + 4], edx
.m1:
    rdtsc
    mov [t1], eax
    mov [t1 + 4], edx
    expect_vec -1, "rdmsr 0x10 (TSC): no fault"
    mov eax, [t0]
    mov edx, [t0 + 4]
    mov ebx, [mval]
    mov ecx, [mval + 4]
    call le64
    ja .tsc_bad
    mov eax, [mval]
    mov edx, [mval + 4]
    mov ebx, [t1]
    mov ecx, [t1 + 4]
    call le64
    ja .tsc_bad
    say "cpu: sdm rdmsr 0x10 reads between two rdtsc: yes"
    jmp .ucode
.tsc_bad:
    say "cpu: sdm rdmsr 0x10 reads between two rdtsc: no"
.ucode:                                ; Linux's microcode-revision read: wrmsr 0, cpuid, rdmsr
    mov ecx, 0x8b
    xor eax, eax
    xor edx, edx
    try .u1
    wrmsr
    mov eax, 1
    cpuid
    mov ecx, 0x8b
    rdmsr
    endtry
    mov [mval], edx
.u1:
    expect_vec -1, "wrmsr 0x8b, cpuid, rdmsr 0x8b: no fault"
    put "cpu: model microcode revision "
    hex [mval]
    put 10
    mov ecx, 0x1b                      ; APIC base: there only with an APIC
    try .a1
    rdmsr
    endtry
.a1:
    put "cpu: model rdmsr 0x1b (APIC base): vector "
    hex [exc_vec]
    put 10
    mov ecx, 0x4b564d7f                ; in no table of any CPU
    try .x1
    rdmsr
    endtry
.x1:
    sdm_vec "rdmsr of an unknown MSR"
    put "cpu: sdm its error code "
    hex [exc_err]
    put 10
    mov ecx, 0x4b564d7f
    xor eax, eax
    xor edx, edx
    try .x3
    wrmsr
    endtry
.x3:
    sdm_vec "wrmsr of an unknown MSR"
    ret

; ZF/CF as for an unsigned compare of edx:eax with ecx:ebx ("ja": greater)
le64:
    cmp edx, ecx
    jne .done
    cmp eax, ebx
.done:
    ret

; ---- debug registers
; show_dr "name": "cpu: NAME reads X" for eax
%macro show 1
    put "cpu: "
    put %1
    put " reads "
    hex eax
    put 10
%endmacro

dregs:
    mov eax, 0x00123450
    mov dr0, eax
    mov eax, 0x00123454
    mov dr1, eax
    mov eax, 0x00123458
    mov dr2, eax
    mov eax, 0x0012345c
    mov dr3, eax
    mov eax, dr0
    show "dr0 after 0x123450"
    mov eax, dr1
    show "dr1 after 0x123454"
    mov eax, dr2
    show "dr2 after 0x123458"
    mov eax, dr3
    show "dr3 after 0x12345c"
    xor eax, eax
    mov dr6, eax
    mov eax, dr6
    show "dr6 after 0"
    mov eax, 0x0000e00f
    mov dr6, eax
    mov eax, dr6
    show "dr6 after 0xe00f"
    xor eax, eax
    mov dr6, eax
    mov dr7, eax
    mov eax, dr7
    show "dr7 after 0"
    mov eax, 0x000f0000                ; R/W0, LEN0 set; no breakpoint enabled
    mov dr7, eax
    mov eax, dr7
    show "dr7 after 0xf0000"
    xor eax, eax
    mov dr7, eax
    mov eax, dr5                       ; CR4.DE clear: DR4/DR5 are DR6/DR7
    show "dr5 (DR7) with CR4.DE clear"
    mov eax, dr4
    show "dr4 (DR6) with CR4.DE clear"
    mov eax, cr4
    or eax, CR4_DE
    mov cr4, eax
    try .de
    mov eax, dr4
    endtry
.de:
    expect_vec 6, "dr4 with CR4.DE set: #UD"
    mov eax, cr4
    and eax, ~CR4_DE
    mov cr4, eax
    xor eax, eax                       ; single step: DR6.BS
    mov dr6, eax
    try .st
    pushfd
    or dword [esp], EFL_TF
    popfd
    nop
    endtry
.st:
    expect_vec 1, "single step: #DB"
    mov eax, dr6
    show "dr6 after a single step"
    xor eax, eax
    mov dr6, eax
    mov eax, 0x2400                    ; GD: the next access is a #DB, with BD
    mov dr7, eax
    try .gd
    mov eax, dr0
    endtry
.gd:
    sdm_vec "dr0 with DR7.GD set"
    mov eax, dr6
    show "sdm dr6 after the general-detect #DB"
    mov eax, dr7
    show "sdm dr7 after the general-detect #DB"
    xor eax, eax
    mov dr6, eax
    mov dr7, eax
    ret

; ---- the x87
set_cr0:                               ; cr0 = (cr0 & ~ecx) | eax
    push edx
    mov edx, cr0
    not ecx
    and edx, ecx
    not ecx
    or edx, eax
    mov cr0, edx
    pop edx
    ret

fpu_probe:                             ; the probe of Linux's fpu__init_system_early_generic, Mach's init_fpu
    mov eax, 0
    mov ecx, CR0_TS | CR0_EM
    call set_cr0
    fninit
    mov word [wbuf], 0x5a5a
    fnstsw [wbuf]
    movzx eax, word [wbuf]
    show "fnstsw after fninit"
    mov word [wbuf], 0x5a5a
    fnstcw [wbuf]
    movzx eax, word [wbuf]
    show "fnstcw after fninit"
    ret

fpu_ts:
    mov eax, CR0_TS | CR0_MP
    mov ecx, CR0_TS | CR0_MP | CR0_EM
    call set_cr0
    try .a
.fld:
    fld1
    endtry
.a:
    expect_vec 7, "fld1 with CR0.TS set: #NM"
    cmp dword [exc_eip], .fld
    je .a1
    wrong "WRONG: #NM not at the fld1"
.a1:
    clts
    try .b
    fld1
    fstp st0
    endtry
.b:
    expect_vec -1, "fld1 after clts: no fault"
    ret

fpu_em_mp:
    mov eax, CR0_TS | CR0_MP           ; TS and MP: wait faults
    mov ecx, CR0_TS | CR0_MP | CR0_EM
    call set_cr0
    try .a
    fwait
    endtry
.a:
    expect_vec 7, "fwait with TS and MP: #NM"
    mov eax, CR0_TS                    ; TS without MP: wait runs
    mov ecx, CR0_TS | CR0_MP | CR0_EM
    call set_cr0
    try .b
    fwait
    endtry
.b:
    expect_vec -1, "fwait with TS, MP clear: no fault"
    mov eax, CR0_EM | CR0_MP           ; EM: x87 faults, wait runs
    mov ecx, CR0_TS | CR0_MP | CR0_EM
    call set_cr0
    try .c
    fld1
    endtry
.c:
    expect_vec 7, "fld1 with EM: #NM"
    try .d
    fwait
    endtry
.d:
    expect_vec -1, "fwait with EM: no fault"
    mov eax, CR0_MP
    mov ecx, CR0_TS | CR0_MP | CR0_EM
    call set_cr0
    mov eax, cr0
    and eax, CR0_TS | CR0_MP | CR0_EM
    show "cr0 MP/EM/TS after mov cr0"
    ret

fpu_lmsw:
    smsw ax
    or ax, CR0_TS
    and ax, ~1                         ; lmsw cannot clear PE
    lmsw ax
    smsw ax
    and eax, 0xf
    show "msw after lmsw of TS, without PE"
    try .a
    fld1
    endtry
.a:
    expect_vec 7, "fld1 after lmsw of TS: #NM"
    clts
    ret

fpu_mf:                                ; CR0.NE: an unmasked x87 error is #MF at the next wait
    mov eax, CR0_NE
    mov ecx, CR0_NE
    call set_cr0
    fninit
    fldcw [cw_unmasked]
    fld1
    fchs
    fsqrt                              ; invalid: sqrt(-1), now pending
    try .a
.wait:
    fwait
    endtry
.a:
    expect_vec 16, "fsqrt(-1) unmasked, then fwait: #MF"
    cmp dword [exc_eip], .wait
    je .a1
    wrong "WRONG: #MF not at the fwait"
.a1:
    fnstsw [wbuf]
    movzx eax, word [wbuf]
    and eax, 0xbf                      ; ES, SF, and the exception flags
    show "fsw after it"
    fnclex
    fninit
    ret

fpu_keep:                              ; a full x87 state across timer interrupts and sleeps
    fninit
    fldcw [cw_odd]
    fild dword [want1]
    fild dword [want2]
    fild dword [want3]
    fldpi
    call pit_start
    mov dword [ticks_seen], 0
    sti
.sleep:
    hlt
    cmp dword [ticks_seen], 5
    jb .sleep
    cli
    mov word [wbuf], 0
    fnstcw [wbuf]
    movzx eax, word [wbuf]
    show "fnstcw after 5 ticks asleep"
    fstp st0                           ; pi
    fistp dword [got3]
    fistp dword [got2]
    fistp dword [got1]
    mov eax, [got1]
    cmp eax, [want1]
    jne .bad
    mov eax, [got2]
    cmp eax, [want2]
    jne .bad
    mov eax, [got3]
    cmp eax, [want3]
    jne .bad
    say "cpu: the x87 stack kept across 5 ticks asleep"
    ret
.bad:
    wrong "WRONG: the x87 stack lost across ticks asleep"
    ret

fpu_irq13:                             ; CR0.NE clear: an x87 error is the PC's FERR#, IRQ 13
    xor eax, eax
    mov ecx, CR0_NE
    call set_cr0
    in al, 0x21
    and al, ~4                         ; the cascade
    out 0x21, al
    in al, 0xa1
    and al, ~0x20                      ; IRQ 13
    out 0xa1, al
    mov edi, 0x2d
    mov eax, irq13
    mov bx, CODE_SEL
    mov cl, 0x8e
    call set_gate
    mov dword [irq13_seen], 0
    fninit
    fldcw [cw_unmasked]
    fld1
    fchs
    fsqrt                              ; invalid, pending
    sti
    try .a
    fwait
    nop
    nop
    endtry
.a:
    cli
    expect_vec -1, "ferr fsqrt(-1) unmasked, then fwait with CR0.NE clear: no exception"
    mov eax, [irq13_seen]
    show "ferr IRQ 13 count after it"
    fninit
    ret

irq13:
    push eax
    fnclex
    xor al, al
    out 0xf0, al                       ; the PC's FERR# latch
    mov al, 0x20
    out 0xa0, al
    out 0x20, al
    inc dword [ss:irq13_seen]
    pop eax
    iret

section .rodata
align 4
k_ferr: db "ferr=", 0
align 4
leaf_list: dd 0, 1, 2, 0x40000000, 0x40000001, 0x80000000, 0x80000001, 0x80000005, -1
cw_unmasked: dw 0x037e                 ; invalid operation unmasked
cw_odd: dw 0x0e7f                      ; round toward zero, 64-bit precision, all masked
want1: dd 1234567
want2: dd -7654321
want3: dd 42

section .data
align 4
failures: dd 0
irq13_seen: dd 0
regs: times 4 dd 0
text: times 52 db 0
t0: dq 0
t1: dq 0
mval: dq 0
wbuf: dd 0
got1: dd 0
got2: dd 0
got3: dd 0
