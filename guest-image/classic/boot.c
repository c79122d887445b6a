/* boot: kmain, the table of contents of classic.  Each step says why it
 * comes where it does. */
#include "boot.h"
#include "blk.h"
#include "cache.h"
#include "console.h"
#include "exit.h"
#include "fs.h"
#include "klib.h"
#include "mm.h"
#include "pic.h"
#include "sched.h"
#include "svc.h"
#include "timer.h"
#include "trap.h"
#include "x86.h"

struct classic_config classic_config;
char boot_cmdline[256];

/* The info block and command line live wherever the loader put them,
 * possibly in memory mm is about to hand out: copy what we keep now. */
static void save_cmdline(const struct mb_info *mbi)
{
    if (mbi->flags & MB_INFO_CMDLINE)
        strncpy(boot_cmdline, (const char *)mbi->cmdline, sizeof boot_cmdline - 1);
}

static void init_main(void *arg);

static void stats(void)
{
    console_printf("classic: %u context switches (%u preemptions), %u timer IRQs, %u disk IRQs, "
                   "%u spurious\n", sched_context_switches, sched_preemptions, trap_irq_counts[0],
                   trap_irq_counts[14], trap_spurious);
    console_printf("classic: cache %u hits %u misses, disk %u reads %u writes, "
                   "%u KiB free, %u kmalloc blocks live\n", cache_hits, cache_misses, blk_reads,
                   blk_writes, mm_free_pages * 4, mm_kmalloc_live);
}

__init void kmain(uint32_t magic, const struct mb_info *mbi)
{
    console_init();                 /* first, so every later failure can speak */
    console_printf("classic: legacy uniprocessor kernel, Multiboot v1\n");
    if (magic != MB_BOOT_MAGIC)
        classic_fail(EXIT_BOOT, "boot: not loaded by a Multiboot v1 loader (EAX=%08x)\n", magic);
    save_cmdline(mbi);
    console_printf("classic: command line '%s'\n", boot_cmdline);
    if (cmdline_parse(boot_cmdline, &classic_config))
        classic_exit(EXIT_CMDLINE); /* before touching any device */
    trap_init();                    /* own GDT and IDT before any interrupt can come */
    pic_init();                     /* PIC off the exception vectors, all lines masked */
    if (mm_init(mbi))               /* memory map, before anything allocates */
        classic_exit(EXIT_BOOT);
    if (mm_free_pages < 256)
        classic_fail(EXIT_BOOT, "mm: only %u free pages, need 256\n", mm_free_pages);
    sched_init();                   /* this context becomes the idle thread */
    timer_init(classic_config.hz);  /* IRQ 0 unmasked; ticks start at the sti below */
    if (blk_init())                 /* polled IDENTIFY, then IRQ 14 */
        classic_exit(EXIT_NODISK);
    cache_init();
    console_printf("classic: %u KiB free, disk %u sectors, %u Hz\n", mm_free_pages * 4,
                   blk_sectors, timer_hz);
    sched_spawn("init", init_main, NULL);
    sti();
    sched_idle();                   /* never returns */
}

/* Runs as a thread: disk I/O sleeps, so it cannot run on the boot path. */
static void init_main(void *arg)
{
    (void)arg;
    struct classic_config *cfg = &classic_config;
    if (fs_mount())
        classic_exit(EXIT_BADFS);
    console_printf("fs: mounted, %u blocks (%u free), %u inodes (%u free)\n", fs_sb.nblocks,
                   fs_free_blocks, fs_sb.ninodes, fs_free_inodes);
    /* The default bound grows with the work: 10 minutes plus 1 s per 8
     * requests, far above any bare run, loose enough for a slow host. */
    if (!cfg->watchdog)
        cfg->watchdog = 600 + cfg->workers * cfg->requests / 8;
    timer_watchdog_arm(cfg->watchdog * timer_hz);  /* covers the workload and fsck */
    if (!cfg->fsck_only) {
        console_printf("classic: workers=%u requests=%u watchdog=%us\n", cfg->workers,
                       cfg->requests, cfg->watchdog);
        svc_run(cfg);
        stats();
    }
    if (fs_check())
        classic_exit(EXIT_FSCK);
    classic_exit(EXIT_OK);
}
