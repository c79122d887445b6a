; Multiboot2 header.  GRUB finds it in the first 32 KiB of the image, 8-byte
; aligned (Multiboot2 spec 3.1.1); it loads us at the physical addresses of the
; ELF program headers and enters _start in 32-bit protected mode with
; EAX = 0x36d76289 and EBX = the physical address of the boot information.

section .multiboot2 align=8
MB2_MAGIC  equ 0xe85250d6
MB2_ARCH   equ 0                      ; i386 protected mode
mb2_header:
    dd MB2_MAGIC, MB2_ARCH, mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH + (mb2_header_end - mb2_header))
    ; information request: we need the memory map, command line, modules and
    ; an ACPI RSDP; we can boot without any of them, so the tag is optional.
    align 8
    dw 1, 1                           ; type 1, flags: optional
    dd 8 + 4*5
    dd 1, 3, 6, 14, 15                ; cmdline, module, mmap, ACPI old, ACPI new
    align 8
    dw 0, 0                           ; end tag
    dd 8
mb2_header_end:
