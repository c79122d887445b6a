/*
 * AP bring-up: the MP "universal startup algorithm" (Intel MP spec 1.4,
 * B.4): INIT, wait 10 ms, STARTUP, wait 200 us, STARTUP again — each AP in
 * turn, through the trampoline (smp/trampoline.h), waiting a bounded time
 * for it to say it is online.  An AP that never answers is reported and
 * skipped; the others still come up.
 */
#include "smp/smp.h"
#include "smp/percpu.h"
#include "smp/lapic.h"
#include "smp/trampoline.h"
#include "boot/entry.h"
#include "kernel/gdt.h"
#include "kernel/cpufeat.h"
#include "kernel/trap.h"
#include "kernel/vm.h"
#include "kernel/pmm.h"
#include "kernel/heap.h"
#include "kernel/string.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "kernel/cmdline.h"
#include "kernel/x86.h"
#include "kernel/clock.h"

#define AP_TIMEOUT_US 1000000            /* generous: TCG starts vCPU threads lazily */
#define AP_STACK_PAGES 4

static uint64_t bsp_gdt[GDT_ENTRIES] __attribute__((aligned(4096)));
static uint8_t bsp_ist[2 * IST_STACK_SIZE] __attribute__((aligned(16)));

static void cpu_setup(unsigned id, uint32_t apic_id, uint64_t *gdt)
{
    percpu_init(id, apic_id);
    cpufeat_init();
    gdt_init_cpu(this_cpu(), gdt);
    trap_load();
}

void smp_init_bsp(void)
{
    cpus[0].ist_stacks = bsp_ist;
    cpu_setup(0, 0, bsp_gdt);
}

static void (*ap_start)(void);

void smp_cpu_online(void)
{
    __atomic_store_n(&this_cpu()->online, true, __ATOMIC_RELEASE);
}

/* First C code of an AP, on its boot stack, with the kernel page tables. */
static void __attribute__((noreturn)) ap_main(uint64_t id)
{
    struct cpu *c = cpu_of(id);
    cpu_setup(id, c->apic_id, c->gdt);
    lapic_init_cpu();
    ap_start();
    panic("smp: cpu %lu: the AP start routine returned", id);
}

static bool start_ap(unsigned id, uint32_t apic_id)
{
    struct cpu *c = cpu_of(id);
    c->apic_id = apic_id;
    c->gdt = page_alloc(GDT_ENTRIES * 8 / PAGE_SIZE);
    c->ist_stacks = page_alloc(2 * IST_STACK_SIZE / PAGE_SIZE);
    uint8_t *stack = page_alloc(AP_STACK_PAGES);
    if (!c->gdt || !c->ist_stacks || !stack) {
        kprintf("smp: out of memory for cpu %u\n", id);
        return false;
    }
    volatile struct trampoline_params *tp = phys_to_virt(TRAMPOLINE_PHYS + TRAMPOLINE_PARAMS);
    tp->cr3 = vm_kernel_root();
    tp->stack = (uint64_t)stack + AP_STACK_PAGES * PAGE_SIZE;
    tp->entry = (uint64_t)ap_main;
    tp->cpu = id;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    bool silent = cmdline.ap_silent == apic_id + 1;    /* a test of the timeout below */
    lapic_send(apic_id, ICR_INIT);
    udelay(10000);
    for (int sipi = 0; sipi < 2 && !c->online && !silent; sipi++) {
        lapic_send(apic_id, ICR_STARTUP | (TRAMPOLINE_PHYS >> 12));
        udelay(200);
    }
    uint64_t deadline = time_ns() + AP_TIMEOUT_US * 1000ull;
    while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && time_ns() < deadline)
        cpu_relax();
    return c->online;
}

static unsigned listed;
unsigned smp_listed_cpus(void) { return listed; }

void smp_boot(const struct acpi_info *acpi, unsigned max_cpus, void (*start)(void))
{
    ap_start = start;
    listed = acpi ? acpi->ncpus : 1;
    cpus[0].apic_id = lapic_id();
    if (max_cpus > MAX_CPUS)
        max_cpus = MAX_CPUS;
    if (listed > 1 && max_cpus > 1) {
        /* The trampoline turns paging on while running at its physical
         * address: lend the kernel tables the boot identity map meanwhile. */
        uint64_t *pml4 = phys_to_virt(vm_kernel_root());
        pml4[0] = boot_pml4[0];
        memcpy(phys_to_virt(TRAMPOLINE_PHYS), trampoline_start, trampoline_end - trampoline_start);
        uint32_t self = lapic_id();
        for (unsigned i = 0; i < listed && ncpus < max_cpus; i++) {
            if (acpi->apic_ids[i] == self)
                continue;
            unsigned id = ncpus;
            if (start_ap(id, acpi->apic_ids[i]))
                ncpus++;
            else {
                kprintf("smp: cpu with APIC id %u did not come up within %u ms; skipped\n",
                        acpi->apic_ids[i], AP_TIMEOUT_US / 1000);
                lapic_send(acpi->apic_ids[i], ICR_INIT);   /* park it: no late start */
            }
        }
        pml4[0] = 0;                    /* the lower half belongs to guests again */
        write_cr3(read_cr3());          /* APs never touch low memory after entry */
    }
    kprintf("smp: %u of %u CPUs online\n", ncpus, listed);
    if (listed > max_cpus)
        listed = max_cpus;              /* what was asked for is what must come up */
}
