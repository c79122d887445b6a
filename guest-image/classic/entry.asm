; void _start(void);
;   Multiboot v1 entry.  The loader (GRUB, QEMU -kernel, or the Peel host)
;   enters here in 32-bit protected mode, paging off, with
;   EAX = 0x2BADB002 and EBX = physical address of the Multiboot info block.
;   We zero .bss, take the boot stack and call
;   void kmain(uint32_t magic, struct mb_info *mbi);  which never returns.
;   The boot stack later becomes the idle thread's stack.

MB_MAGIC    equ 0x1BADB002
MB_FLAGS    equ 0x00000003      ; bit 0: page-align modules, bit 1: memory info
BOOT_STACK  equ 16384

section .multiboot
align 4
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)   ; the three words must sum to zero

section .text
global _start
global boot_stack
global boot_stack_top
extern kmain
extern __bss_start
extern __bss_end

_start:
    cli
    cld
    mov esi, eax                ; rep stosd below needs EAX
    mov edi, __bss_start        ; EBX (info block) is untouched by stosd
    mov ecx, __bss_end
    sub ecx, edi
    shr ecx, 2
    xor eax, eax
    rep stosd
    mov esp, boot_stack_top
    push 0
    popfd                       ; known EFLAGS: IF=0, DF=0, IOPL=0
    push ebx
    push esi
    xor ebp, ebp                ; end of the frame-pointer chain
    call kmain
.hang:
    cli
    hlt
    jmp .hang

section .bss
align 16
boot_stack:
    resb BOOT_STACK
boot_stack_top:
