/* The same families in 16-bit code (real-mode and 16-bit protected-mode
 * guests); swept by diffdec in 16-bit mode. */
	.text
	.code16
	.globl system16
system16:
	cli; sti; hlt; pushf; popf; pushfl; popfl; iret; iretl; int $0x10; int3; into
	lgdt (%bx,%si); lidt 2(%bp); sgdt 0x1234; sidt (%di); lldt %ax; sldt (%bp,%di)
	ltr %bx; str %ax; smsw %ax; lmsw %ax; invlpg (%si)
	addr32 lgdt (%eax); lidtl %cs:0x10(%bx); lgdtl 4(%esp)
	mov %cr0, %eax; mov %eax, %cr0; mov %ds, %ax; mov %ax, %ss; mov (%bp), %es
	in $0x60, %al; in (%dx), %ax; in (%dx), %eax; out %al, $0x80; outsb; rep insw; rep outsl
	mov %ax, (%bx); mov 4(%bp,%si), %cx; movb $1, 0x10; movw $0x1234, -2(%bp); mov 0x400, %ax
	mov %al, %es:0x20; push %ax; push $-1; push $0x1234; pushl $0x12345678; pushw (%bx); pop 2(%bp)
	ljmp $0xf000, $0xfff0; lcall $0x10, $0x2000; ljmpl $0x08, $0x100000; ljmp *(%bx); lret; lretl
	movsb; movsw; movsl; rep movsw; stosw; lodsb; scasb; cmpsw; rep stosb
	jmp 1f; 1: call 1b; jz 1b; jcxz 1b; loop 1b; jmp *%ax; call *(%bx); wrmsr; rdmsr; cpuid; rdtsc
	mov %es:(%bx,%di), %al; lea (%bp,%si), %ax; enter $4, $0; leave
