#include "kernel/gdt.h"
#include "kernel/x86.h"
#include "kernel/string.h"
#include "smp/percpu.h"

static void set_tss(uint64_t *gdt, struct tss *tss)
{
    uint64_t base = (uint64_t)tss;
    gdt[GDT_TSS_IDX] = desc_make((uint32_t)base, sizeof *tss - 1, DESC_PRESENT | DESC_TSS64);
    gdt[GDT_TSS_IDX + 1] = base >> 32;
}

/* Reload CS by a far return, and the data segments, to the new selectors. */
static void reload_segments(void)
{
    __asm__ volatile(
        "pushq %0\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movl %1, %%eax\n\t"
        "movl %%eax, %%ds\n\t"
        "movl %%eax, %%es\n\t"
        "movl %%eax, %%ss\n\t"
        :: "i"(SEL_KCODE), "i"(SEL_KDATA) : "rax", "memory");
}

/* table: GDT_ENTRIES descriptors of zeroed memory owned by this CPU.
 * Loading a null selector into FS/GS would clear GS base: GS is left alone. */
void gdt_init_cpu(struct cpu *c, uint64_t *table)
{
    memset(table, 0, GDT_ENTRIES * sizeof *table);
    table[GDT_KCODE_IDX] = DESC_KCODE64;
    table[GDT_KDATA_IDX] = DESC_KDATA;
    c->gdt = table;
    c->tss.iomap_base = sizeof c->tss;                     /* no I/O bitmap */
    c->tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)c->ist_stacks + IST_STACK_SIZE;
    c->tss.ist[IST_NMI - 1] = (uint64_t)c->ist_stacks + 2 * IST_STACK_SIZE;
    set_tss(table, &c->tss);
    struct descptr d = { GDT_ENTRIES * 8 - 1, (uint64_t)table };
    lgdt(&d);
    reload_segments();
    ltr(SEL_TSS);
}
