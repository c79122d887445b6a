; bzhello: the smallest image the Linux/x86 32-bit boot protocol accepts, a
; bzImage (nasm -f bin) whose protected-mode code checks what the boot
; loader promised and says so on COM1 (tests/suites/bzimage.sh):
;   - ESI holds the zero page: the setup header copied to its 0x1f1, "HdrS"
;     at 0x202, type_of_loader set, an e820 map;
;   - cmd_line_ptr points at the command line (the guestarg words);
;   - ramdisk_image/ramdisk_size give the initrd module's bytes;
;   - the loader's GDT is loaded: DS can be reloaded with __BOOT_DS (0x18).
; Its stack shares a page with its code, so every push is a write to a
; scanned page that the host steps over; a patch block's pushf stepped that
; way once pushed the host's TF, and the popf after it raised a #DB nobody
; expected (host/vmm/codepage.c, unpush_tf).
; Then it leaves through isa-debug-exit with 0 (1 if a check failed).
bits 16
section .setup start=0
    times 0x1f1 - ($ - $$) db 0
setup_sects:     db 1                   ; the protected-mode code at 0x400
root_flags:      dw 0
syssize:         dd 0
ram_size:        dw 0
vid_mode:        dw 0
root_dev:        dw 0
boot_flag:       dw 0xaa55
jump:            db 0xeb, header_end - 0x202
header:          db "HdrS"
version:         dw 0x020f
realmode_swtch:  dd 0
start_sys_seg:   dw 0
kernel_version:  dw 0
type_of_loader:  db 0
loadflags:       db 1                   ; LOADED_HIGH
setup_move_size: dw 0
code32_start:    dd 0x100000
ramdisk_image:   dd 0
ramdisk_size:    dd 0
bootsect_kludge: dd 0
heap_end_ptr:    dw 0
ext_loader_ver:  db 0
ext_loader_type: db 0
cmd_line_ptr:    dd 0
initrd_addr_max: dd 0x7fffffff
kernel_alignment: dd 0x100000
relocatable:     db 0
min_alignment:   db 0
xloadflags:      dw 0
cmdline_size:    dd 255
hardware_subarch: dd 0
hardware_subarch_data: dq 0
payload_offset:  dd 0
payload_length:  dd 0
setup_data:      dq 0
pref_address:    dq 0x100000
init_size:       dd 0x10000
handover_offset: dd 0
kernel_info_offset: dd 0
header_end:
    times 0x400 - ($ - $$) db 0

bits 32
section .pm start=0x400 vstart=0x100000
COM1 equ 0x3f8

start:
    mov esp, stack_top                  ; in its code's page, as boot code's often is
    mov ebx, esi                        ; the zero page
    xor ebp, ebp                        ; failures
    cmp dword [ebx + 0x202], 'HdrS'
    jne .nohdr
    mov esi, msg_hdr
    call puts
    jmp .loader
.nohdr:
    mov esi, msg_nohdr
    call puts
    inc ebp
.loader:
    mov esi, msg_loader
    call puts
    movzx eax, byte [ebx + 0x210]
    call puthex
    call newline
    mov esi, msg_e820
    call puts
    movzx eax, byte [ebx + 0x1e8]
    call puthex
    call newline
    cmp byte [ebx + 0x1e8], 2
    jae .cmdline
    inc ebp
.cmdline:
    mov esi, msg_cmdline
    call puts
    mov esi, [ebx + 0x228]
    call puts
    call newline
    mov ecx, [ebx + 0x21c]              ; the initrd: its first line
    mov esi, [ebx + 0x218]
    test ecx, ecx
    jz .noinitrd
    mov dx, COM1
.initrd:
    lodsb
    out dx, al
    cmp al, 10
    je .segs
    loop .initrd
    jmp .segs
.noinitrd:
    mov esi, msg_noinitrd
    call puts
.segs:
    mov ax, 0x18                        ; __BOOT_DS from the loader's GDT
    mov ds, ax
    mov es, ax
    mov esi, msg_ds
    call puts
    mov al, 0
    test ebp, ebp
    jz .out
    mov al, 1
.out:
    out 0xf4, al
.hang:
    hlt
    jmp .hang

; esi: a NUL-terminated string to COM1
puts:
    mov dx, COM1
.next:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .next
.done:
    ret

newline:
    mov dx, COM1
    mov al, 10
    out dx, al
    ret

; eax: in hex, two digits
puthex:
    mov dx, COM1
    mov ecx, eax
    shr eax, 4
    and eax, 15
    mov al, [hex + eax]
    out dx, al
    mov eax, ecx
    and eax, 15
    mov al, [hex + eax]
    out dx, al
    ret

hex:          db "0123456789abcdef"
msg_hdr:      db "bzhello: the zero page has HdrS at 0x202", 10, 0
msg_nohdr:    db "bzhello: FAIL: no HdrS in the zero page", 10, 0
msg_loader:   db "bzhello: type_of_loader 0x", 0
msg_e820:     db "bzhello: e820 entries 0x", 0
msg_cmdline:  db "bzhello: command line: ", 0
msg_noinitrd: db "bzhello: no initrd", 10, 0
msg_ds:       db "bzhello: DS reloaded with __BOOT_DS 0x18", 10, 0

align 16
    times 512 db 0
stack_top:
