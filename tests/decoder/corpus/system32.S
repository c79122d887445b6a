/* Every instruction the host emulates or patches, in 32-bit code, so the
 * differential test sees them even if no guest image is built yet. */
	.text
	.code32
	.globl system32
system32:
	cli; sti; hlt; pushf; popf; pushfw; popfw; iret; iretw
	int $0x80; int3; into; .byte 0xf1
	wrmsr; rdmsr; cpuid; rdtsc; rdtscp; rdpmc; clts; wbinvd; invd
	mov %cr0, %eax; mov %eax, %cr0; mov %cr2, %edx; mov %cr3, %ecx; mov %ebx, %cr3
	mov %cr4, %esi; mov %edi, %cr4; mov %dr0, %eax; mov %eax, %dr7; mov %dr6, %ebx
	mov %ds, %ax; mov %ax, %ss; mov %es, (%ebx); mov 4(%ebp), %fs; mov %gs, %eax
	lgdt (%eax); lidt 8(%ebp); sgdt 0x1000; sidt (%esp); lldt %ax; sldt (%ecx)
	ltr %bx; str %eax; smsw %eax; smsw (%edx); lmsw %ax; lmsw 2(%esi); invlpg (%edi)
	lgdtw %cs:0x12(%ebx,%esi,4); addr16 lidt (%bx,%si)
	in $0x60, %al; in $0x61, %eax; in (%dx), %al; in (%dx), %ax; in (%dx), %eax
	out %al, $0x80; out %eax, $0x20; out %al, (%dx); out %ax, (%dx); out %eax, (%dx)
	insb; insw; insl; outsb; outsw; outsl; rep insb; rep outsl; rep outsw %cs:(%esi), (%dx)
	mov %eax, (%ebx); mov (%ecx,%edx,8), %esi; movb $1, 0xb8000; movl $2, -4(%ebp)
	movw $3, %es:(%di); mov 0x1234, %eax; mov %al, %fs:0x10; mov %ax, 0x20
	push %eax; pop %ebx; push $-1; push $0x12345678; pushl (%eax); popl 4(%esp)
	push %es; push %cs; push %ss; push %ds; push %fs; push %gs
	pop %es; pop %ss; pop %ds; pop %fs; pop %gs; pusha; popa
	ljmp $0x08, $0x100000; lcall $0x10, $0x2000; ljmp *(%eax); lcall *0x10(%ebx)
	ljmpw $0x08, $0x1000; lret; lret $8; ret; ret $4; lretw
	movsb; movsl; movsw; cmpsb; cmpsl; stosb; stosl; lodsb; lodsl; scasb; scasl
	rep movsb; rep stosl; repne scasb; repe cmpsb; movsb %es:(%esi), %es:(%edi)
	lock incl (%eax); lock cmpxchg %ecx, (%edx); lock cmpxchg8b (%esi); xchg %eax, (%ebx)
	jmp 1f; 1: call 1b; jz 1b; jecxz 1b; loop 1b; jmp *%eax; call *(%eax); jmp *0x10(,%eax,4)
	ud2; ud1 %eax, %ebx; sysenter; sysexit; rsm; lar %ax, %bx; lsl (%eax), %ecx; verr %ax; verw (%ebx)
	arpl %ax, (%ebx); bound %eax, (%ecx); les (%eax), %ebx; lds 4(%esi), %edx; lss (%esp), %esp
	lfs (%eax), %ecx; lgs (%ebx), %edx; enter $16, $0; leave; xlat; .byte 0xd6; aam; aad $16
	fninit; fld1; fldz; fstp %st(1); faddp; fnstsw %ax; fldcw (%eax); fnstenv (%ebx); frstor (%ecx)
	monitor; mwait; xgetbv; xsetbv; vmcall; vmlaunch; vmresume; vmxoff
	fxsave (%eax); fxrstor (%eax); xsave (%ebx); xrstor (%ebx); lfence; mfence; sfence; clflush (%eax)
	prefetchnta (%eax); prefetchw (%ebx); nopl 0(%eax,%eax,1); nopw 0(%eax,%eax,1); endbr32
	rdrand %eax; rdseed %ebx; movbe (%eax), %ecx; crc32b %al, %ecx; popcnt %eax, %ebx
	.byte 0x0f, 0x0f, 0xc1, 0x9e	/* pfadd %mm1, %mm0 */
	.byte 0x0f, 0x0f, 0x44, 0x24, 0x08, 0xb4	/* pfmul 8(%esp), %mm0 */
	femms
