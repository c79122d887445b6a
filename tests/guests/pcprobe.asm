; The PC a legacy kernel probes (issue 13), probed the way kernels do it
; and printed one fact a line ("pc: KEY VALUE"), so that a bare PC
; (tests/guests/bare-oracle.sh: QEMU's isapc) and the hosted one can be
; compared line by line (tests/suites/pc.sh):
;   the BIOS data area's port tables, EBDA segment, equipment word and base
;   memory size, and the EBDA's size byte;
;   PCI configuration mechanism #1 (Linux's pci_check_type1: 0x80000000
;   written to 0xCF8 as a dword and read back; then 00:00.0's vendor ID)
;   and #2 (pci_check_type2: 0xCF8 and 0xCFA written 0 as bytes, read back);
;   the BIOS area 0xE0000-0xFFFFF, the EBDA's first KiB and the last KiB of
;   base memory scanned on 16-byte boundaries for "_MP_", "RSD PTR ",
;   "$PIR" and the BIOS32 directory "_32_";
;   CMOS 0x10 (floppy types), 0x14 (equipment), the memory sizes 0x15/0x16,
;   0x17/0x18, 0x30/0x31, 0x34/0x35, and the Multiboot mem_lower/mem_upper;
;   the BIOS area as ROM: a byte store, a dword straddling RAM and ROM,
;   rep stosb, rep insb and xchg into it, each followed by whether the
;   ROM's bytes are the same as before (a PC drops the write; the
;   instruction's other effects happen: the RAM part, the registers);
;   and a byte store with paging on, through a writable 4 MiB page;
;   absent hardware: floppy controller, secondary IDE, COM2-4, LPT1-3,
;   AHA-154x/BusLogic at 0x330 and 0x334: each register's byte, and a
;   value written to a read/write register and read back (Linux's probes).
; Ends with "pc: done" and exit 0.
%include "tests/guests/hostile.inc"

; key k: print "pc: k " (no newline)
%macro key 1
    put "pc: "
    put %1
    put " "
%endmacro

main:
    call pci
    call bda
    call bios_area
    call rom
    call rom_paged
    call cmos
    call absent
    say "pc: done"
    mov al, 0
    jmp exit

; ---- PCI --------------------------------------------------------------------
pci:
    mov dx, 0xcfb                      ; pci_check_type1
    mov al, 1
    out dx, al
    mov dx, 0xcf8
    in eax, dx
    mov ebx, eax                       ; what was there
    mov eax, 0x80000000
    out dx, eax
    in eax, dx
    key "pci1-readback"
    hex eax
    put 10
    mov eax, 0x80000000                ; 00:00.0, register 0: vendor and device
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    key "pci1-vendor-device"
    hex eax
    put 10
    mov dx, 0xcf8
    mov eax, ebx
    out dx, eax
    mov dx, 0xcfb                      ; pci_check_type2
    xor al, al
    out dx, al
    mov dx, 0xcf8
    out dx, al
    mov dx, 0xcfa
    out dx, al
    mov dx, 0xcf8
    in al, dx
    movzx ebx, al
    mov dx, 0xcfa
    in al, dx
    movzx ecx, al
    key "pci2-cf8-cfa"
    hex ebx
    put " "
    hex ecx
    put 10
    ret

; ---- the BIOS data area (0x400) --------------------------------------------------
; word16 A: print the word at A, then a space
%macro word16 1
    movzx eax, word [%1]
    hex eax
    put " "
%endmacro

bda:
    key "bda-com-0x400"
    word16 0x400
    word16 0x402
    word16 0x404
    word16 0x406
    put 10
    key "bda-lpt-0x408"
    word16 0x408
    word16 0x40a
    word16 0x40c
    put 10
    key "bda-ebda-segment-0x40e"
    word16 0x40e
    put 10
    key "bda-equipment-0x410"
    word16 0x410
    put 10
    key "bda-base-kib-0x413"
    word16 0x413
    put 10
    key "ebda-kib"                     ; the EBDA's first byte: its size in KiB
    movzx esi, word [0x40e]
    shl esi, 4
    movzx eax, byte [esi]
    test esi, esi
    jnz .size
    put "none"
    put 10
    ret
.size:
    hex eax
    put 10
    ret

; ---- the BIOS area -------------------------------------------------------------
; scan esi .. edi (16-byte steps) for the signature in eax (first dword);
; for "RSD PTR " the second dword must be "PTR " too.  eax = where, or 0.
scan:
    push ebx
.at:
    cmp esi, edi
    jae .none
    cmp [esi], eax
    jne .next
    cmp eax, 'RSD '
    jne .found
    cmp dword [esi + 4], 'PTR '
    je .found
.next:
    add esi, 16
    jmp .at
.found:
    mov eax, esi
    pop ebx
    ret
.none:
    xor eax, eax
    pop ebx
    ret

; sig S, label L: "pc: L" and where S was found in each area, or "none"
%macro sig 2
    key %2
    mov esi, 0xe0000
    mov edi, 0x100000
    mov eax, %1
    call scan
    call put_where
    put " "
    movzx esi, word [0x40e]            ; the EBDA's segment, from the BDA
    shl esi, 4
    lea edi, [esi + 1024]
    mov eax, %1
    call scan
    call put_where
    put " "
    mov esi, 0x9fc00
    mov edi, 0xa0000
    mov eax, %1
    call scan
    call put_where
    put 10
%endmacro

put_where:
    test eax, eax
    jnz .at
    put "none"
    ret
.at:
    hex eax
    ret

bios_area:
    sig '_MP_', "sig-mp"
    sig 'RSD ', "sig-acpi-rsdp"
    sig '$PIR', "sig-pir"
    sig '_32_', "sig-bios32"
    ret

; ---- the BIOS area is ROM -------------------------------------------------------
; "same" if the dword at esi is still ebx, else "changed"
same:
    cmp [esi], ebx
    jne .changed
    put "same"
    ret
.changed:
    put "changed"
    ret

rom:
    key "rom-byte-store-0xf0000"       ; a read-modify-write byte store
    mov esi, 0xf0000
    mov ebx, [esi]
    not byte [esi]
    call same
    put 10
    key "rom-straddle-0xdfffe"         ; the RAM half sticks, the ROM half does not
    mov esi, 0xe0000
    mov ebx, [esi]
    mov dword [0xdfffe], 0x11223344
    movzx eax, word [0xdfffe]
    hex eax
    put " "
    call same
    put 10
    key "rom-rep-stosb-0xffff0"        ; ECX and EDI run on as for any rep stosb
    mov esi, 0xffff0
    mov ebx, [esi]
    mov edi, esi
    mov ecx, 16
    mov al, 0x5a
    cld
    rep stosb
    hex ecx
    put " "
    hex edi
    put " "
    call same
    put 10
    key "rom-rep-insb-0xf0010"         ; from an absent port (COM2's LCR): all ones
    mov esi, 0xf0010
    mov ebx, [esi]
    mov edi, esi
    mov ecx, 4
    mov dx, 0x2fb
    rep insb
    hex edi
    put " "
    call same
    put 10
    key "rom-xchg-0xf0020"             ; a locked read-modify-write: the old value comes back
    mov esi, 0xf0020
    mov ebx, [esi]
    mov eax, ebx
    not eax
    xchg [esi], eax
    cmp eax, ebx
    jne .xchg_bad
    put "old "
    jmp .xchg_done
.xchg_bad:
    put "wrong "
.xchg_done:
    call same
    put 10
    ret

; ---- CMOS ----------------------------------------------------------------------
; al = CMOS byte at index bl (NMI left enabled)
cmos_read:
    mov al, bl
    out 0x70, al
    in al, 0x71
    ret

; cmos16 I, label: the little-endian word at I and I + 1
%macro cmos16 2
    key %2
    mov bl, %1 + 1
    call cmos_read
    movzx ecx, al
    shl ecx, 8
    mov bl, %1
    call cmos_read
    mov cl, al
    hex ecx
    put 10
%endmacro

cmos:
    key "cmos-floppy-types-0x10"
    mov bl, 0x10
    call cmos_read
    movzx eax, al
    hex eax
    put 10
    key "cmos-equipment-0x14"
    mov bl, 0x14
    call cmos_read
    movzx eax, al
    hex eax
    put 10
    cmos16 0x15, "cmos-base-kib-0x15"
    cmos16 0x17, "cmos-ext-kib-0x17"
    cmos16 0x30, "cmos-ext-kib-0x30"
    cmos16 0x34, "cmos-above16m-64k-0x34"
    mov ebx, [mbinfo]
    test dword [ebx], 1
    jz .nomem
    key "mb-mem-lower-kib"
    hex [ebx + 4]
    put 10
    key "mb-mem-upper-kib"
    hex [ebx + 8]
    put 10
.nomem:
    ret

; ---- the BIOS area is ROM with paging on too ---------------------------------
; The first 4 MiB mapped to themselves by one page (CR4.PSE), supervisor
; and writable: the guest's tables allow the write, so it sets Dirty as any
; allowed write does, and the PC drops it all the same.
rom_paged:
    mov dword [pgdir], 0x83            ; present, writable, 4 MiB
    mov eax, cr4
    or eax, 0x10                       ; PSE
    mov cr4, eax
    mov eax, pgdir
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000                 ; PG
    mov cr0, eax
    key "rom-paged-byte-store-0xf0040"
    mov esi, 0xf0040
    mov ebx, [esi]
    not byte [esi]
    call same
    test byte [pgdir], 0x40            ; Dirty
    jz .clean
    put " dirty"
    jmp .out
.clean:
    put " clean"
.out:
    put 10
    mov eax, cr0
    and eax, 0x7fffffff
    mov cr0, eax
    mov eax, cr4
    and eax, ~0x10
    mov cr4, eax
    ret

section .bss
alignb 4096
pgdir: resb 4096
section .text

; ---- absent hardware -----------------------------------------------------------
; ports dx .. dx + ecx - 1: each byte read, in hex without 0x
dump:
    push edx
.b:
    in al, dx
    movzx eax, al
    call hex2
    inc dx
    loop .b
    pop edx
    ret

hex2:                                  ; al as two hex digits and a space
    push eax
    push ebx
    movzx ebx, al
    shr ebx, 4
    mov bl, [hexdigits + ebx]
    mov [two], bl
    movzx ebx, al
    and ebx, 0xf
    mov bl, [hexdigits + ebx]
    mov [two + 1], bl
    push esi
    mov esi, two
    call print
    pop esi
    pop ebx
    pop eax
    ret

; range P, N, label: "pc: label" and N bytes from port P
%macro range 3
    key %3
    mov dx, %1
    mov ecx, %2
    call dump
    put 10
%endmacro

; echo P, V, label: write V to port P, read it back
%macro echo 3
    key %3
    mov dx, %1
    mov al, %2
    out dx, al
    in al, dx
    call hex2
    put 10
%endmacro

absent:
    range 0x3f0, 8, "fdc-0x3f0"
    echo 0x3f2, 0x0c, "fdc-dor-write-0x0c"     ; motors off, DMA on, out of reset
    range 0x170, 8, "ide2-0x170"
    range 0x376, 1, "ide2-ctl-0x376"
    echo 0x172, 0x55, "ide2-sector-count-write-0x55"
    echo 0x173, 0xaa, "ide2-lba-low-write-0xaa"
    range 0x2f8, 8, "com2-0x2f8"
    echo 0x2ff, 0x5a, "com2-scratch-write-0x5a"
    range 0x3e8, 8, "com3-0x3e8"
    echo 0x3ef, 0x5a, "com3-scratch-write-0x5a"
    range 0x2e8, 8, "com4-0x2e8"
    echo 0x2ef, 0x5a, "com4-scratch-write-0x5a"
    range 0x378, 3, "lpt-0x378"
    echo 0x378, 0xaa, "lpt-0x378-data-write-0xaa"
    range 0x278, 3, "lpt-0x278"
    echo 0x278, 0xaa, "lpt-0x278-data-write-0xaa"
    range 0x3bc, 3, "lpt-0x3bc"
    echo 0x3bc, 0xaa, "lpt-0x3bc-data-write-0xaa"
    range 0x330, 4, "scsi-0x330"
    range 0x334, 4, "scsi-0x334"
    range 0x230, 4, "scsi-0x230"
    range 0x234, 4, "scsi-0x234"
    echo 0x331, 0x00, "scsi-0x330-status-after-cmd"
    ret

section .data
two: db "00 ", 0

section .text
