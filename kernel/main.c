/*
 * kmain: the boot order, one step a line.  The boot CPU arrives here from
 * boot/entry.asm in long mode on the boot stack, with the first GiB mapped.
 */
#include "boot/entry.h"
#include "boot/multiboot2.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/failalloc.h"
#include "kernel/fwcfg.h"
#include "kernel/heap.h"
#include "kernel/monitor.h"
#include "kernel/panic.h"
#include "kernel/pmm.h"
#include "kernel/string.h"
#include "kernel/trap.h"
#include "kernel/vm.h"
#include "kernel/espfix.h"
#include "kernel/x86.h"
#include "smp/ioapic.h"
#include "smp/ipi.h"
#include "smp/lapic.h"
#include "smp/percpu.h"
#include "smp/smp.h"
#include "smp/topology.h"
#include "sched/sched.h"
#include "sched/capacity.h"
#include "kernel/initcall.h"

struct bootinfo boot_info;


static void warn_option(const char *word, const char *why)
{
    kprintf("cmdline: ignoring '%s': %s\n", word, why);
}

/* GRUB's command line, then the words a scripted QEMU run adds via fw_cfg. */
static void read_cmdline(void)
{
    static char extra[CMDLINE_MAX];
    cmdline_parse(boot_info.cmdline, &cmdline, warn_option);
    if (fwcfg_read_file("opt/peel/cmdline", extra, sizeof extra) > 0) {
        kprintf("cmdline: %s %s\n", boot_info.cmdline, extra);
        cmdline_parse(extra, &cmdline, warn_option);
    } else {
        kprintf("cmdline: %s\n", boot_info.cmdline);
    }
    failalloc_configure(cmdline.failalloc_rate, cmdline.failalloc_seed);
}

static void read_bootinfo(uint32_t magic, uint32_t info_phys)
{
    if (magic != MB2_BOOT_MAGIC)
        panic("not booted by a Multiboot2 loader (magic 0x%x)", magic);
    const uint8_t *info = phys_to_virt(info_phys);
    const char *err = mb2_parse(info, *(const uint32_t *)info, &boot_info);
    if (err)
        panic("boot information unusable: %s", err);
    if (boot_info.warning)
        kprintf("boot: %s\n", boot_info.warning);
}

static void init_memory(uint32_t info_phys)
{
    if (!boot_info.nregions)
        panic("the boot loader gave no memory map");
    page_init(boot_info.regions, boot_info.nregions, boot_info.top);
    page_reserve(info_phys, *(const uint32_t *)phys_to_virt(info_phys));
    for (size_t i = 0; i < boot_info.nmodules; i++)
        page_reserve(boot_info.modules[i].start, boot_info.modules[i].end - boot_info.modules[i].start);
    vm_init(boot_info.top);
    kmalloc_init();
    kprintf("mem: %lu MiB usable, %lu MiB free, %zu map entries, %zu modules\n",
            page_total_count() * PAGE_SIZE >> 20, page_free_count() * PAGE_SIZE >> 20,
            boot_info.nregions, boot_info.nmodules);
}

/* The first thread: what registered itself (kernel/initcall.h) — the
 * hypervisor, the test runners — in stages, then the monitor. */
static void init_thread(void *arg)
{
    (void)arg;
    sched_probe_capacity();              /* how many CPUs the machine beneath runs at once */
    initcalls_run(INIT_PLUG);            /* hooks, trap clients, monitor commands */
    initcalls_run(INIT_START);           /* the guest, if the command line names one */
    initcalls_run(INIT_TEST);            /* ktest=, stress=: run, then leave QEMU */
    initcalls_run(INIT_WAIT);            /* oneshot: the guest's end is ours */
    monitor_main();
}

void kmain(uint32_t magic, uint32_t info_phys)
{
    trap_init();                          /* one IDT for all CPUs */
    smp_init_bsp();                       /* GS per-CPU data, GDT, TSS, IDT: panic works */
    console_init();                       /* COM1 + VGA */
    kprintf("Peel: x86-64 SMP microkernel\n");
    read_bootinfo(magic, info_phys);      /* memory map, command line, modules, RSDP */
    read_cmdline();
    initcalls_run(INIT_EARLY);            /* CPU-wide choices of plugged code, before the APs come */
    init_memory(info_phys);               /* page allocator, direct map, heap */
    const struct acpi_info *acpi = topology_discover(&boot_info);
    lapic_init_bsp(acpi ? acpi->lapic_addr : rdmsr(MSR_APIC_BASE) & ~0xffful);  /* + timer calibration */
    ioapic_init(acpi);                    /* 8259s masked; devices routed one by one */
    ipi_init();
    sched_init_cpu();                     /* this context becomes cpu 0's idle thread */
    lapic_init_cpu();                     /* the tick starts: preemption from here on */
    smp_boot(acpi, cmdline.nosmp ? 1 : cmdline.max_cpus ? cmdline.max_cpus : MAX_CPUS,
             sched_start_ap);             /* each AP joins the scheduler and idles */
    espfix_init();                        /* each CPU's ministack for 16-bit guest stacks */
    console_enable_input();               /* COM1 receive interrupt -> monitor */
    cpus[0].online = true;
    if (!thread_create("init", init_thread, 0))
        panic("cannot create the init thread");
    sched_idle();                         /* never returns */
}
