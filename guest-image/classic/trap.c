/* trap: descriptor tables and the C side of interrupt entry.
 *
 * classic owns the machine, so it loads its own GDT (flat 4 GiB code and
 * data, no TSS: there is no ring 3) rather than trusting the loader's,
 * which the Multiboot spec says the OS must not rely on. */
#include "trap.h"
#include "console.h"
#include "exit.h"
#include "pic.h"
#include "sched.h"
#include "x86.h"

_Static_assert(sizeof(struct trapframe) == 17 * 4, "intr.asm frame layout");
_Static_assert(offsetof(struct trapframe, vector) == 12 * 4, "intr.asm frame layout");

extern const uint32_t trap_vectors[TRAP_NVEC];   /* intr.asm */

uint64_t trap_gdt[3];
uint64_t trap_idt[256];
trap_irq_fn trap_irq_handlers[16];
uint32_t trap_irq_counts[16];
uint32_t trap_spurious;

/* Segment descriptor: base 0, limit 4 GiB (G=1), 32-bit (D=1). */
static uint64_t flat_segment(uint32_t type)
{
    return 0x00cf00000000ffffull | ((uint64_t)(0x90 | type) << 40);
}

/* 32-bit interrupt gate, DPL 0: the CPU clears IF on entry. */
static uint64_t interrupt_gate(uint32_t handler)
{
    return (handler & 0xffff) | ((uint64_t)KCODE_SEL << 16) | (0x8eull << 40)
           | ((uint64_t)(handler >> 16) << 48);
}

static __init void load_gdt(void)
{
    trap_gdt[0] = 0;
    trap_gdt[1] = flat_segment(0xa);    /* code, execute/read */
    trap_gdt[2] = flat_segment(0x2);    /* data, read/write */
    struct x86_dtr d = { sizeof trap_gdt - 1, (uint32_t)trap_gdt };
    lgdt(&d);
    /* New descriptors take effect only when a selector is reloaded. */
    __asm__ volatile("ljmp %0, $1f\n1:\n"
                     "movw %w1, %%ax\n movw %%ax, %%ds\n movw %%ax, %%es\n"
                     "movw %%ax, %%fs\n movw %%ax, %%gs\n movw %%ax, %%ss\n"
                     : : "i"(KCODE_SEL), "i"(KDATA_SEL) : "eax", "memory");
}

API __init void trap_init(void)
{
    load_gdt();
    for (int v = 0; v < TRAP_NVEC; v++)
        trap_idt[v] = interrupt_gate(trap_vectors[v]);
    struct x86_dtr d = { TRAP_NVEC * 8 - 1, (uint32_t)trap_idt };
    lidt(&d);
}

API void trap_set_irq(int irq, trap_irq_fn fn)
{
    trap_irq_handlers[irq] = fn;
    pic_unmask(irq);
}

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound", "invalid opcode",
    "device not available", "double fault", "coprocessor overrun", "invalid TSS",
    "segment not present", "stack fault", "general protection", "page fault", "reserved",
    "x87 error", "alignment check", "machine check", "SIMD error",
};

static NORETURN void exception(struct trapframe *tf)
{
    const char *name = exception_names[tf->vector];
    console_printf("exception %u (%s) error %08x in thread '%s'\n", tf->vector,
                   name ? name : "reserved", tf->error,
                   sched_current ? sched_current->name : "boot");
    console_printf("  eip %08x cs %04x eflags %08x\n", tf->eip, tf->cs, tf->eflags);
    console_printf("  eax %08x ebx %08x ecx %08x edx %08x\n", tf->eax, tf->ebx, tf->ecx, tf->edx);
    console_printf("  esi %08x edi %08x ebp %08x esp %08x\n", tf->esi, tf->edi, tf->ebp,
                   (uint32_t)(tf + 1));
    panic("unexpected CPU exception");
}

API void trap_dispatch(struct trapframe *tf)
{
    if (tf->vector < IRQ_BASE)
        exception(tf);
    int irq = (int)tf->vector - IRQ_BASE;
    if (pic_spurious(irq)) {
        trap_spurious++;
        return;
    }
    trap_irq_counts[irq]++;
    if (trap_irq_handlers[irq])
        trap_irq_handlers[irq]();
    pic_eoi(irq);
    /* Preempt only after EOI: the next thread may run for a whole slice
     * and the PIC must be free to deliver the next tick meanwhile. */
    if (sched_need_resched)
        sched_preempt();
}
