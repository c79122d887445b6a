; Patch blocks (issue 14): with paging off and on, the host rewrites cli, sti,
; pushf, popf and iret (with the instructions beside them, 5 to 15 bytes in
; one page) into a jmp to code of its own in an arena at the top of guest
; RAM, which keeps the virtual IF in a flags page there (host/vmm/blocks.h).
; Everything a block copies or emulates must come out as the CPU does it.
; The image is stripped (guests.mk), like scanexec's: every function here is
; found by the scan at run time.  The IF the code leaves is checked the way
; scanexec.asm checks it: a timer interrupt (PIT channel 0, IRQ 0 at 1 kHz)
; must arrive while IF is 1, none over three timer periods while it is 0.
; Cases, each a line "blocks: CASE ok":
;   flags     pushf after cli and sti; arithmetic flags (ZF CF SF OF) across
;             cli, sti, pushf and into jcc in the same block; popf of a
;             value with CF ZF DF IF (and without IF); the irq-save pattern
;             pushf; pop esi; cli; ...; push esi; popf, 10000 times
;   timer     an interrupt left pending while IF is 0 arrives right after
;             the popf (and the sti, and the iret) that sets it, its frame
;             showing CS and the flags pushf shows then (hosted, a block
;             delivers it at the popf and the iret, host/vmm/blocks.h)
;   slave     the RTC's periodic interrupt (IRQ 8, on the slave PIC), held
;             while IF is 0, arrives right after the popf that sets it, 50
;             times: its handler's EOIs, the slave's then the master's, are
;             logged by blocks hosted, and a lost or late one stops IRQ 8
;   iret      iret to the same CS with IF 0 and 1 in its frame, to a label
;             no scan has reached (push cs, and push KCODE as an interrupt
;             frame has it)
;   branches  jcc, jmp, call (as a block's last unit) and ret in blocks,
;             the popf; pop ebx; pop esi; pop ebp; ret epilogue
;   switch    a context switch (mov esp, [..]; ... ret) between two threads
;             1000 times, and call eax through a table of 6 functions (more
;             targets than a block remembers), call [fnptr] the same way;
;             then the same through a
;             retpoline thunk (call; pause; lfence; jmp; mov [esp], eax;
;             ret), and again after its mov was rewritten to take EDX
;   many      6000 functions written at run time, each with pushf; cli; ...
;             popf: more blocks than the arena holds, then traps
;   smc       the bytes a block displaced overwritten after it ran
;   code16    code run flat (its blocks placed), then as 16-bit code: entered
;             by the guest's own far jump and by an int through a gate,
;             each on the page before it and walking on into it with a jmp
;             short; and a page run only as 16-bit code, scanned as such
;             (tests/guests/blocks-code16.inc)
;   middle    a direct jmp (found by a later scan), jmp reg and call reg
;             into the middle of bytes a block displaced, at an
;             instruction's start: the block withdrawn, the original code
;             run.  Last with paging off, since a host that runs the jmp's
;             displacement as code does not come back.
;   paging    paging on (low memory identity-mapped), IF kept across it;
;             then flags, timer, slave, iret, branches, switch and many
;             again (hosted, the blocks given back at paging on, and new
;             code's placed with the arena seen through a window of linear
;             space: tests/guests/blocks-paging.inc)
;   window    the guest maps the whole upper half (where the host put that
;             window) and finds its own pages there, code too; then flags
;             once more
; Bare (tests/guests/bare-oracle.sh) and hosted print the same lines; the
; exit status is 0 if every check held, 1 if one did not (a failing check
; prints its line and ends its case, and the next case runs), 3 on an
; unexpected exception.
; With "attack" on its command line (hosted only, guestarg=attack) it runs
; the flags case, then goes for the arena: a write to its code (dropped, as
; one to ROM), writes to the flags word (only its IF bit may count), a jump
; into the flags page (the host stops the guest with a sentence).
%include "tests/guests/guest.inc"

KCODE equ 0x08
KDATA equ 0x10
TRIES equ 2000000                      ; polls before a wait gives up
IF    equ 0x200
ARITH equ 0x8d5                        ; CF PF AF ZF SF OF
DF    equ 0x400
GEN   equ 0x300000                     ; RAM nothing ran from: the generated functions
GEN_N equ 6000
GEN_MAX equ 14                         ; bytes of the longest generated function
KEY   equ 0x5a5a5a5a                   ; code addresses in data plus this: no scan takes them for any
SWITCHES equ 1000
ARENA equ 512 * 1024                   ; host/vmm/blocks.h: BLOCKS_SIZE, at the top of RAM

; a case: a failure in it goes on with the next (fail_with)
%macro run_case 1
    mov [case_esp], esp
    call %1
%endmacro

; the cases run with paging off and again with it on
%macro common_cases 0
    run_case case_flags
    run_case case_timer
    run_case case_slave
    run_case case_iret
    run_case case_branches
    run_case case_switch
    run_case case_many
%endmacro

; fail unless condition %1 holds, saying %2
%macro ensure 2
    j%+1 %%ok
    mov esi, %%msg
    jmp fail_with
section .rodata
%%msg: db "blocks: FAIL: ", %2, 10, 0
section .text
%%ok:
%endmacro

; [flagbytes] = seto, sets, setz, setc: one dword to compare
%macro keep_flags 0
    seto [flagbytes]
    sets [flagbytes + 1]
    setz [flagbytes + 2]
    setc [flagbytes + 3]
%endmacro
FL_O equ 0x00000001
FL_S equ 0x00000100
FL_Z equ 0x00010000
FL_C equ 0x01000000

global _start
_start:
    mov esp, 0x90000
    mov [mbinfo], ebx
    lgdt [gdtr]
    jmp KCODE:.flat
.flat:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    cld
    call setup_idt
    call setup_pic_pit
    say "blocks: start"
    sti
    call has_attack
    jnz .attack
    run_case case_code16               ; (first: the arena has room)
    common_cases
    run_case case_smc
    run_case case_middle
    run_case case_paging               ; then paging on, and the cases again
    common_cases                       ; (many: new code, blocks through the window)
    run_case case_window
    run_case case_flags
    cmp dword [failed], 0
    jne .fail
    say "blocks: PASS"
    mov al, 0
    jmp exit
.fail:
    say "blocks: FAIL"
    mov al, 1
    jmp exit
.attack:                               ; the flags case (blocks placed), then at the arena
    run_case case_flags
    run_case attack                    ; back only from a failure: the host stops the guest
    jmp .fail

; ---- flags --------------------------------------------------------------------
case_flags:
    ; pushf shows what cli and sti left
    cli
    pushf
    pop eax
    test eax, IF
    ensure z, "pushf after cli shows IF 1"
    call expect_if0
    sti
    pushf
    pop eax
    test eax, IF
    ensure nz, "pushf after sti shows IF 0"
    call expect_if1

    ; OF SF set, ZF CF clear, across cli and plain instructions after it
    mov eax, 0x7fffffff
    add eax, 1
    cli
    mov ecx, 1                         ; plain instructions the block copies
    mov edx, 2
    keep_flags
    sti
    cmp dword [flagbytes], FL_O | FL_S
    ensure e, "OF SF lost across cli"

    ; CF SF set across sti, then a jc in the same block
    cli
    xor eax, eax
    sub eax, 1                         ; 0 - 1: CF SF
    sti
    jc .c1
    jmp .bad_sti
.c1:
    keep_flags
    cmp dword [flagbytes], FL_S | FL_C
    ensure e, "CF SF lost across sti"
    call expect_if1

    ; ZF across pushf (its value popped, not used), then a jz after cli
    mov eax, 3
    cmp eax, 3
    pushf
    pop esi
    cli
    jz .z1
    jmp .bad_cli
.z1:
    keep_flags
    sti
    cmp dword [flagbytes], FL_Z
    ensure e, "ZF lost across pushf"
    and esi, ARITH
    cmp esi, 0x44                      ; ZF PF
    ensure e, "pushf's arithmetic flags wrong"

    ; popf loads CF ZF DF IF (and bit 1, always set)
    push dword IF | DF | 0x41 | 2
    popf
    keep_flags
    pushf
    pop eax
    cld
    cmp dword [flagbytes], FL_Z | FL_C
    ensure e, "popf did not load CF ZF"
    and eax, ARITH | DF | IF
    cmp eax, IF | DF | 0x41
    ensure e, "pushf after popf (CF ZF DF IF) wrong"
    call expect_if1
    ; and OF SF with IF clear: interrupts off
    push dword 0x880 | 2
    popf
    keep_flags
    pushf
    pop eax
    cmp dword [flagbytes], FL_O | FL_S
    ensure e, "popf did not load OF SF"
    and eax, ARITH | DF | IF
    cmp eax, 0x880
    ensure e, "pushf after popf (OF SF, IF 0) wrong"
    call expect_if0
    sti

    ; irq-save: with IF 1, then with IF 0 (the timer arrives between rounds
    ; in the first)
    call irqsave_loop
    call expect_if1
    cli
    call irqsave_loop
    call expect_if0
    sti
    say "blocks: flags ok"
    ret
.bad_sti:
    mov esi, msg_jc
    jmp fail_with
.bad_cli:
    mov esi, msg_jz
    jmp fail_with

; 10000 rounds of a kernel's spin_lock_irqsave / unlock_irqrestore: inside,
; pushf says IF 0; after, the flags are the saved ones
irqsave_loop:
    mov ecx, 10000
    mov dword [spin_x], 0
.round:
    pushf
    pop esi
    cli
    mov eax, [spin_x]
    inc eax
    mov [spin_x], eax
    pushf
    pop edx
    test edx, IF
    jnz .inside
    push esi
    popf
    pushf
    pop edx
    xor edx, esi
    test edx, ARITH | DF | IF
    jnz .after
    dec ecx
    jnz .round
    cmp dword [spin_x], 10000
    ensure e, "irq-save loop lost a round"
    ret
.inside:
    mov esi, msg_irqsave_in
    jmp fail_with
.after:
    mov esi, msg_irqsave_out
    jmp fail_with

%include "tests/guests/blocks-irq.inc"
%include "tests/guests/blocks-paging.inc"

; ---- iret ---------------------------------------------------------------------
; iret to the same CS, to labels right after it (no scan goes there: the
; path ends at iret), first with IF 0 in the frame, then 1; with push cs
; (the selector the CPU gives), and push KCODE (an interrupt frame's)
case_iret:
    sti
    pushfd
    and dword [esp], ~IF
    push cs
    push dword .t1
    iret
.t1:
    pushf                              ; the first instruction there
    pop eax
    test eax, IF
    ensure z, "iret (push cs) with IF 0 left IF 1"
    call expect_if0
    pushfd
    or dword [esp], IF
    push cs
    push dword .t2
    iret
.t2:
    pushf
    pop eax
    test eax, IF
    ensure nz, "iret (push cs) with IF 1 left IF 0"
    call expect_if1
    pushfd
    and dword [esp], ~IF
    push dword KCODE
    push dword .t3
    iret
.t3:
    pushf
    pop eax
    test eax, IF
    ensure z, "iret (push KCODE) with IF 0 left IF 1"
    call expect_if0
    pushfd
    or dword [esp], IF | 0x41          ; CF ZF come back too
    push dword KCODE
    push dword .t4
    iret
.t4:
    keep_flags
    pushf
    pop eax
    test eax, IF
    ensure nz, "iret (push KCODE) with IF 1 left IF 0"
    cmp dword [flagbytes], FL_Z | FL_C
    ensure e, "iret did not load CF ZF"
    call expect_if1
    say "blocks: iret ok"
    ret

; ---- branches -----------------------------------------------------------------
case_branches:
    xor ecx, ecx
    mov eax, 1
    call shape_a                       ; ecx = 100 + 1
    cmp ecx, 101
    ensure e, "shape a (taken call) wrong"
    cmp dword [seen_if], 0
    ensure e, "shape a's callee saw IF 1"
    xor eax, eax
    call shape_a                       ; jz taken: ecx = 101 + 1
    cmp ecx, 102
    ensure e, "shape a (jz taken) wrong"
    call expect_if1

    xor ecx, ecx
    mov eax, 5
    mov ebx, 5
    call shape_b                       ; equal: jz taken
    cmp ecx, 0
    ensure e, "shape b (jz taken) wrong"
    mov ebx, 6
    call shape_b                       ; not taken: +2
    cmp ecx, 2
    ensure e, "shape b (jz not taken) wrong"
    call expect_if1

    xor ecx, ecx
    mov eax, 5
    mov ebx, 6
    call shape_c                       ; 5 < 6: jc taken
    cmp ecx, 0
    ensure e, "shape c (jc taken) wrong"
    xchg eax, ebx
    call shape_c                       ; not taken: +4
    cmp ecx, 4
    ensure e, "shape c (jc not taken) wrong"
    call expect_if1

    cli
    xor ecx, ecx
    mov dword [seen_if], 0
    call shape_d                       ; sti; call add100
    cmp ecx, 100
    ensure e, "shape d (sti; call) wrong"
    cmp dword [seen_if], IF
    ensure e, "shape d's callee saw IF 0"
    call expect_if1

    call shape_e                       ; mov ecx, 3; cli; jmp
    cmp ecx, 3
    ensure e, "shape e (jmp in a block) wrong"
    test edx, IF
    ensure z, "shape e: IF 1 after cli"
    call expect_if1
    say "blocks: branches ok"
    ret

; pushf; cli; test; jz; call, and the epilogue popf; pop; pop; pop; ret.
; ecx += (eax ? 100 : 0) + 1
shape_a:
    push ebp
    push esi
    push ebx
    pushf
    cli
    test eax, eax
    jz .zero
    call add100
.zero:
    inc ecx
    popf
    pop ebx
    pop esi
    pop ebp
    ret

; ecx += 100; [seen_if] = the IF it ran with
add100:
    pushf
    pop edx
    and edx, IF
    mov [seen_if], edx
    add ecx, 100
    ret

; cmp; cli; jz mid-block; ecx += eax == ebx ? 0 : 2
shape_b:
    cmp eax, ebx
    cli
    jz .eq
    inc ecx
    inc ecx
.eq:
    sti
    ret

; the same with jc: ecx += eax < ebx ? 0 : 4
shape_c:
    cmp eax, ebx
    cli
    jc .below
    add ecx, 4
.below:
    sti
    ret

; sti; call as the block's last unit
shape_d:
    sti
    call add100
    ret

; a block of mov; cli; jmp (the mov before it: cli and jmp are 3 bytes)
shape_e:
    mov ecx, 3
    cli
    jmp short .x
    inc ecx                            ; (jumped over)
.x:
    pushf
    pop edx
    sti
    ret

%include "tests/guests/blocks-switch.inc"

%include "tests/guests/blocks-code.inc"
%include "tests/guests/blocks-code16.inc"
%include "tests/guests/blocks-attack.inc"
%include "tests/guests/blocks-support.inc"
%include "tests/guests/timer.inc"

; ---- a page of its own, written over after it ran --------------------------------
align 4096
smc_fn:
    pushf                              ; its block: pushf, cli and three nops
    cli
    nop
    nop
    nop
    nop
    popf
    ret

; ---- a retpoline thunk, as GCC makes one, on a page of its own (rewritten) --------
align 4096
thunk_eax:
    call .do                           ; (the block goes here: 4 bytes from .do on are too few)
.spin:
    pause
    lfence
    jmp .spin
.do:
thunk_mov:
    mov [esp], eax
    ret

; ---- a page first run by case_middle: nothing else on it -------------------------
align 4096
jumper:
    xor eax, eax
    pushf                              ; the flags mid_c's popf takes
    cli
    jmp mid_c_in                       ; (its block: pushf, cli, this jmp)

align 4096                             ; the data on pages of its own

section .rodata
msg_jc:          db "blocks: FAIL: jc after sti not taken", 10, 0
msg_jz:          db "blocks: FAIL: jz after pushf; cli not taken", 10, 0
msg_irqsave_in:  db "blocks: FAIL: irq-save: IF 1 after cli", 10, 0
msg_irqsave_out: db "blocks: FAIL: irq-save: flags not restored by popf", 10, 0
msg_switch_reg:  db "blocks: FAIL: thread A's register lost across yield", 10, 0
msg_if1:         db "blocks: FAIL: IF should be 1, no interrupt arrived", 10, 0
msg_if0:         db "blocks: FAIL: IF should be 0, an interrupt arrived", 10, 0
msg_if0_pushf:   db "blocks: FAIL: IF should be 0, pushf says 1", 10, 0
msg_no_request:  db "blocks: FAIL: the interrupt waited for was never requested", 10, 0
msg_pending:     db "blocks: FAIL: the timer's counter never reloaded", 10, 0
msg_leak:        db "blocks: flags word other bits seen in pushf: 0x", 0
msg_exc:         db "blocks: FAIL: unexpected exception 0x", 0
msg_exc_eip:     db " at eip 0x", 0
newline:         db 10, 0
hexdigits:       db "0123456789abcdef"
word_attack:     db "attack", 0

section .data
mbinfo:    dd 0
failed:    dd 0
case_esp:  dd 0
thunk_spoil: dd 0
fnptr:     dd 0
ticks:     dd 0
rtc_ticks: dd 0
first_cs:  dd 0                        ; the timer's first frame: CS, EFLAGS
first_flags: dd 0
flagbytes: dd 0
spin_x:    dd 0
seen_if:   dd 0
cur:       dd 0
saved:     dd 0, 0
cnt_a:     dd 0
cnt_b:     dd 0
b_bad:     dd 0
gen_count: dd 0
arena:     dd 0
; code addresses plus KEY (as scanexec's ind_ptr): reached only at run time
key:       dd KEY
mid_a_ptr: dd mid_a_in + KEY
mid_b_ptr: dd mid_b_in + KEY
jumper_ptr: dd jumper + KEY
thread_b_ptr: dd thread_b + KEY
calltab:   dd hash1 + KEY, hash2 + KEY, hash3 + KEY
           dd hash4 + KEY, hash5 + KEY, hash6 + KEY
exc_table:
%assign v 0
%rep 32
           dd exc_%[v]
%assign v v + 1
%endrep
gdt:       dq 0
           dq 0x00cf9a000000ffff       ; code, execute/read, flat
           dq 0x00cf92000000ffff       ; data, read/write, flat
           dq 0, 0, 0                  ; case_code16's 16-bit code (CODE16F, CODE16I, CODE16O)
gdtr:      dw 6 * 8 - 1
           dd gdt
idtr:      dw 0x31 * 8 - 1
           dd idt
hexbuf:    times 12 db 0

section .bss
idt:       resq 0x31                   ; (0x30: case_code16's gate)
gen_fns:   resd GEN_N
stack_b:   resb 4096
stack_b_top:
