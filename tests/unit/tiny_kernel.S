/*
 * A tiny real Multiboot v1 kernel, assembled and linked by binutils at test
 * build time (tests/unit/loader.mk) so the loader is also checked against
 * what a real linker writes: higher-half link address, load addresses in
 * p_paddr, a bss, and a real symbol table.  Nothing binary is checked in.
 */
	.section .multiboot, "a"
	.align 4
	.long 0x1BADB002		/* magic */
	.long 3				/* page-align modules, memory info */
	.long -(0x1BADB002 + 3)		/* checksum */

	.text
	.globl _start
	.type _start, @function
_start:
	cli
	movl $stack_top - 0xC0000000, %esp
	movl %ebx, boot_info - 0xC0000000
1:	hlt
	jmp 1b
	.size _start, . - _start

	.data
	.globl boot_info
	.type boot_info, @object
boot_info:
	.long 0
	.size boot_info, 4

	.bss
	.align 16
stack:
	.skip 16384
stack_top:
