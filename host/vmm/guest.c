/*
 * Guests: find the image among the GRUB modules, check and load it into a
 * fresh address space below 4 GiB as its boot loader would (the module's own
 * bytes are never written: the loader copies them, the scanner patches the
 * copy), build its Multiboot v1 information or, for a Linux bzImage, its
 * zero page, and run it as one host thread.
 */
#include "host/vmm/guest.h"
#include "host/decode/decode.h"
#include "boot/multiboot2.h"
#include "loader/elf32.h"
#include "loader/multiboot.h"
#include "loader/bzimage.h"
#include "host/vmm/vcpu_seg.h"
#include "loader/sha256.h"
#include "kernel/trap.h"
#include "kernel/console.h"
#include "kernel/heap.h"
#include "kernel/pmm.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/vm.h"
#include "kernel/x86.h"
#include "smp/percpu.h"
#include "sched/sched.h"
#include "sched/capacity.h"

#define INFO_AREA 0x10000

static struct guest *guests[GUEST_MAX];
static unsigned nguests;
static struct waitq ended = WAITQ_INIT(ended, "guests ended");

struct guest *guest_of(unsigned id) { return id < nguests ? guests[id] : 0; }
unsigned guest_count(void) { return nguests; }

void *guest_ptr(struct guest *g, uint64_t gpa, uint64_t len)
{
    if (gpa >= g->ram_size || len > g->ram_size - gpa)
        return 0;
    return g->ram + gpa;
}

/* A module's name: the last path component of the first word of its string. */
static bool module_is(const struct mb2_module *m, const char *name)
{
    const char *s = m->cmdline ? m->cmdline : "", *base = s, *end = s;
    for (; *end && *end != ' '; end++)
        if (*end == '/') base = end + 1;
    size_t n = strlen(name);
    return (size_t)(end - base) == n && !strncmp(base, name, n);
}

static const struct mb2_module *find_module(const char *name)
{
    for (size_t i = 0; i < boot_info.nmodules; i++)
        if (module_is(&boot_info.modules[i], name))
            return &boot_info.modules[i];
    return 0;
}

/* Guest RAM as the guest's memory map shows it: RAM below 640 KiB and from
 * 1 MiB, the legacy hole between (backed, for VGA text memory; the BIOS
 * area 0xE0000-0xFFFFF in it holds no BIOS, so no MP, ACPI or PCI BIOS
 * signature) reserved, and the natives' pool at the top reserved. */
#define GUEST_REGIONS 4
static void memory_map(const struct guest *g, struct loader_region r[GUEST_REGIONS])
{
    r[0] = (struct loader_region){ 0, 0x9fc00, LOADER_RAM };
    r[1] = (struct loader_region){ 0x9fc00, 0x60400, LOADER_RESERVED };
    r[2] = (struct loader_region){ 0x100000, g->pool_base - 0x100000, LOADER_RAM };
    r[3] = (struct loader_region){ g->pool_base, GUEST_POOL_SIZE, LOADER_RESERVED };
}

static void *map_guest(void *ctx, uint64_t paddr, uint64_t len, uint64_t *span)
{
    struct guest *g = ctx;
    if (paddr >= g->ram_size) return 0;
    *span = g->ram_size - paddr < len ? g->ram_size - paddr : len;   /* at most what was asked */
    return g->ram + paddr;
}

static bool make_memory(struct guest *g, uint64_t bytes)
{
    g->ram_size = bytes;
    g->pool_base = (uint32_t)(bytes - GUEST_POOL_SIZE);
    g->ram = page_alloc(bytes / PAGE_SIZE);
    g->root = vm_space_create();
    if (!g->ram || !g->root || !codepage_init(g) || !rom_init(g))
        return false;
    /* not executable until scanned (host/vmm/codepage.h) */
    uint64_t base = virt_to_phys(g->ram);
    /* user-accessible: guest ring 3 runs in real ring 3, and with the
     * guest's paging off every byte is its user code's to touch (the host
     * sets neither SMEP nor SMAP, so ring 1 is unaffected) */
    for (uint64_t a = 0; a < g->ram_size; a += PAGE_SIZE)
        if (!vm_space_map(g->root, a, base + a, (rom_overlaps(a, PAGE_SIZE) ? 0 : PTE_W) | PTE_U | PTE_NX))
            return false;                   /* the ROM read-only: a write there is stepped (host/vmm/rom.h) */
    return blocks_init(g, GUEST_POOL_BLOCKS_BASE(g), true);
}

/* The (first) executable segment: where peels write, and what an unpeel
 * must give back byte for byte (data changes as the guest runs; code must
 * not, but for the scanner's own patches). */
static void exec_range(struct guest *g, const struct elf32_image *img)
{
    uint32_t paddr, offset, filesz;
    if (!elf32_exec_segment(img, &paddr, &offset, &filesz))
        return;
    g->code_lo = paddr;
    g->code_hi = paddr + filesz;
    g->code_file = offset;
}

/* NAME.map, if there is one, then the warm-start scan: from the entry
 * point and every function the image (or its map) names in [lo, hi), before
 * the first instruction.  The rest is scanned as it first runs
 * (host/vmm/codepage.h); for a stripped image with no map, that is nearly
 * everything. */
static const char *symbols_and_scan(struct guest *g, uint32_t entry, uint64_t lo, uint64_t hi)
{
    char file[GUEST_NAME + 16];
    snprintf(file, sizeof file, "%s.map", g->name);
    const struct mb2_module *map = find_module(file);
    guest_symbols_load(g, map ? phys_to_virt(map->start) : 0, map ? map->end - map->start : 0);
    size_t n = guest_symbol_count(g), nstarts = 0;
    uint32_t *starts = kmalloc((n + 1) * sizeof *starts);
    if (!starts)
        return "out of memory for the scan";
    starts[nstarts++] = entry;
    for (size_t i = 0; i < n; i++) {
        struct elf32_symbol s;
        if (guest_symbol_at(g, i, &s) && s.type == ELF32_STT_FUNC && s.value >= lo && s.value < hi)
            starts[nstarts++] = s.value;
    }
    bool ok = scan_run(g, starts, nstarts, 0, 32);    /* (Multiboot: flat 32-bit code) */
    kfree(starts);
    return ok ? 0 : "out of memory while scanning";
}

/* A Multiboot ELF: *regs gets the entry, EAX and EBX. */
static const char *load_multiboot(struct guest *g, const char *cmdline, const struct loader_mem *mem,
                                  struct bz_regs *regs)
{
    struct elf32_image *img = &g->elf;
    static struct mb1_kernel k;             /* guests start one at a time, from the init thread */
    static struct mb1_info mi;
    /* ELF checks first: a truncated image should say so, not "no header" */
    if (elf32_open(img, g->image, g->image_size) != ELF32_OK)
        return elf32_strerror(img);
    if (mb1_open(&k, g->image, g->image_size) != MB1_OK)
        return mb1_kernel_strerror(&k);
    if (elf32_load(img, mem) != ELF32_OK)
        return elf32_strerror(img);
    struct mb1_boot b = { .header_flags = k.header.flags, .cmdline = cmdline,
                          .area_base = (uint32_t)((img->hi + 4095) & ~4095ull), .area_size = INFO_AREA,
                          .kernel_lo = img->lo, .kernel_hi = img->hi };
    if (mb1_build_info(&b, mem, &mi) != MB1_OK)
        return mb1_info_strerror(&mi);
    *regs = (struct bz_regs){ .eip = img->entry_phys, .ebx = mi.info_addr };
    exec_range(g, img);
    return symbols_and_scan(g, img->entry_phys, img->lo, img->hi);
}

/* A Linux bzImage (loader/bzimage.h): the 32-bit boot protocol's zero page
 * and registers; NAME.initrd as its initrd, if there is one.  The command
 * line is the guestarg words alone. */
static const char *load_bzimage(struct guest *g, const char *cmdline, const struct loader_mem *mem,
                                struct bz_regs *regs)
{
    static struct bz_kernel k;
    char file[GUEST_NAME + 16];
    snprintf(file, sizeof file, "%s.initrd", g->name);
    const struct mb2_module *initrd = find_module(file);
    struct bz_boot boot = { cmdline, initrd ? phys_to_virt(initrd->start) : 0,
                            initrd ? (uint32_t)(initrd->end - initrd->start) : 0 };
    struct bz_layout l;
    if (bz_open(&k, g->image, g->image_size) != BZ_OK || bz_load(&k, mem, &boot, &l, regs) != BZ_OK)
        return bz_strerror(&k);
    g->code_lo = l.kernel;                           /* the protected-mode code, as the file has it */
    g->code_hi = l.kernel + (uint32_t)k.pm_size;
    g->code_file = (uint32_t)k.pm_offset;
    kprintf("guest %s: Linux boot protocol %u.%02u: kernel at 0x%x (%lu bytes, %lu reserved from 0x%x), "
            "zero page 0x%x, initrd %s\n", g->name, k.version >> 8, k.version & 0xff, l.kernel, k.pm_size,
            k.init_size, l.run, l.zero_page, initrd ? file : "none");
    return symbols_and_scan(g, regs->eip, l.kernel, l.kernel_end);
}

/* By the image's contents, not its name. */
static const char *load(struct guest *g, const char *cmdline, struct bz_regs *regs)
{
    struct loader_region regions[GUEST_REGIONS];
    memory_map(g, regions);
    struct loader_mem mem = { regions, GUEST_REGIONS, 0x100000, map_guest, g };
    if (bz_probe(g->image, g->image_size))
        return load_bzimage(g, cmdline, &mem, regs);
    return load_multiboot(g, cmdline, &mem, regs);
}

static void guest_thread(void *arg)
{
    struct guest *g = arg;
    pushcli();                                        /* the scheduler reloads it from here on */
    current_thread()->cr3 = g->root;
    write_cr3(g->root);
    popcli();
    g->start_ns = time_ns();
    vcpu_run(&g->vcpu);
}

void guest_vcpu_totals(struct guest *g, struct vcpu *sum)
{
    memset(sum, 0, sizeof *sum);
    for (unsigned i = 0; i < g->nvcpus; i++)
        vcpu_add_counts(sum, g->vcpus[i]);
}

/* Give back the guest's memory, disk copy and address space; the small
 * tables the monitor still shows (patches, profile, manifest) stay.  Runs on
 * the guest's own thread after its last instruction, or on a failed start. */
void guest_release(struct guest *g)
{
    struct thread *t = current_thread();
    if (t->cr3 == g->root && g->root) {
        pushcli();
        t->cr3 = 0;
        write_cr3(vm_kernel_root());         /* never free the tables we run on */
        popcli();
    }
    sites_free(&g->sites);                  /* no trap comes any more: the trap sites go with the guest */
    blocks_free(g);
    codepage_free(g);
    rom_free(g);
    if (g->root)
        vm_space_destroy(g->root);
    if (g->ram)
        page_free(g->ram, g->ram_size / PAGE_SIZE);
    if (g->disk)
        page_free(g->disk, (g->disk_size + PAGE_SIZE - 1) / PAGE_SIZE);
    if (guest_hooks->release)
        guest_hooks->release(g);
    g->root = 0;
    g->ram = 0;
    g->ram_size = 0;
    g->disk = 0;
    __atomic_store_n(&g->released, true, __ATOMIC_RELEASE);   /* after every free: `wait` reads the heap next */
}

static struct guest *fail(struct guest *g, const char *what, const char *detail)
{
    guest_release(g);
    kprintf("guest %s: %s%s%s\n", g->name, what, detail ? ": " : "", detail ? detail : "");
    g->state = GUEST_DEAD;
    strncpy_safe(g->why, what, sizeof g->why);
    return 0;
}

static const struct guest_hooks no_hooks;
const struct guest_hooks *guest_hooks = &no_hooks;

void guest_set_hooks(const struct guest_hooks *hooks)
{
    guest_hooks = hooks;
}

struct guest *guest_start(const char *name, const char *disk_name, const char *guest_cmdline, uint64_t ram_bytes)
{
    if (nguests == GUEST_MAX) { kprintf("guest %s: too many guests\n", name); return 0; }
    struct guest *g = kzalloc(sizeof *g);
    if (!g) { kprintf("guest %s: out of memory\n", name); return 0; }
    g->id = nguests;
    strncpy_safe(g->name, name, sizeof g->name);
    g->exit_status = -1;
    guests[nguests++] = g;
    char file[GUEST_NAME + 16], elf[GUEST_NAME + 16];
    snprintf(elf, sizeof elf, "%s.elf", name);
    snprintf(file, sizeof file, "%s.bzImage", name);
    const struct mb2_module *image = find_module(elf);
    if (image)
        strncpy_safe(file, elf, sizeof file);        /* an ELF first; else a bzImage */
    else
        image = find_module(file);
    if (!image)
        return fail(g, "no such image among the boot modules", elf);
    g->image = phys_to_virt(image->start);
    g->image_size = image->end - image->start;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256(g->image, g->image_size, digest);
    sha256_hex(digest, g->sha256);
    kprintf("guest %s: image %s, %zu bytes, sha256 %s\n", name, file, g->image_size, g->sha256);
    if (disk_name[0])
        strncpy_safe(file, disk_name, sizeof file);
    else
        snprintf(file, sizeof file, "%s-disk.img", name);
    const struct mb2_module *disk = find_module(file);
    if (!disk && disk_name[0])
        return fail(g, "no such disk among the boot modules", file);
    if (disk) {
        g->disk_size = disk->end - disk->start;
        g->disk = page_alloc((g->disk_size + PAGE_SIZE - 1) / PAGE_SIZE);
        if (!g->disk)
            return fail(g, "out of memory for the disk", 0);
        memcpy(g->disk, phys_to_virt(disk->start), g->disk_size);   /* the module stays pristine */
    }
    ram_bytes = ram_bytes ? ram_bytes : GUEST_RAM_DEFAULT;
    char detail[96];
    snprintf(detail, sizeof detail, "%lu MiB (guestmem=) asked, %u to %u MiB in whole MiB allowed",
             ram_bytes >> 20, GUEST_RAM_MIN >> 20, GUEST_RAM_MAX >> 20);
    if (ram_bytes < GUEST_RAM_MIN || ram_bytes > GUEST_RAM_MAX || ram_bytes % GUEST_RAM_UNIT)
        return fail(g, "bad guest RAM size", detail);
    if (!make_memory(g, ram_bytes)) {
        snprintf(detail, sizeof detail, "%lu MiB (guestmem=) is more than the host has free in one piece",
                 ram_bytes >> 20);
        return fail(g, "out of memory for guest RAM", detail);
    }
    kprintf("guest %s: %lu MiB of RAM\n", name, ram_bytes >> 20);
    struct bz_regs regs;
    char cmd[256];
    bool bz = bz_probe(g->image, g->image_size);  /* its command line is the guestarg words alone */
    /* a Multiboot kernel's, as GRUB gives it: the image's path, then the words */
    snprintf(cmd, sizeof cmd, bz ? "%.0s%s" : "/boot/%s %s", elf, guest_cmdline ? guest_cmdline : "");
    snprintf(file, sizeof file, "%s.manifest", name);
    const struct mb2_module *manifest = find_module(file);
    /* where the layer above may write syscall entries (a manifest, the entry
     * allowed), the scan that load begins must know it (scan.c own_syscall) */
    g->syscall_entry = trap_syscall_on && manifest;
    const char *err = load(g, cmd, &regs);
    if (err)
        return fail(g, "image refused", err);
    kprintf("guest %s: loaded, entry 0x%x, %zu patches over %lu instructions scanned (%lu pages); "
            "the rest is scanned as it runs\n", name, regs.eip, g->patches.n, g->patches.insns_seen,
            g->codepages.pages_scanned);
    gkl_init(&g->gkl);
    if (bz) {
        vcpu_init(&g->vcpu, g, regs.eip, 0, regs.ebx);
        g->vcpu.boot.rsi = regs.esi;                 /* the zero page; EBP and EDI are 0 */
        vseg_boot_gdt(&g->vcpu, regs.gdt_base, regs.gdt_limit, regs.cs, regs.ds);
    } else {
        vcpu_init(&g->vcpu, g, regs.eip, MB1_BOOTLOADER_MAGIC, regs.ebx);
    }
    g->vcpus[g->nvcpus++] = &g->vcpu;
    g->live_vcpus = 1;
    err = guest_hooks->start ? guest_hooks->start(g, manifest ? phys_to_virt(manifest->start) : 0,
                                                  manifest ? manifest->end - manifest->start : 0) : 0;
    if (err)
        return fail(g, "could not start", err);
    vdevs_init(&g->dev, g);
    g->state = GUEST_RUNNING;
    /* One vCPU stays on one CPU: guest 0 on CPU 0, sharing it with the
     * monitor, which a single vCPU's slice always lets in.  Under TCG the
     * BSP is the fast place (docs/bench.md, session 18: unpeeled classic
     * 0.96x of -smp 1 there, 0.84x on CPU 1): QEMU sizes a vCPU's TLB only
     * when it is flushed, and an AP that idled since bring-up keeps the
     * smallest, which a guest that never reloads CR3 then runs with.  When every guest thread is a vCPU (the sched peel)
     * they are host threads, kept to as many CPUs as the machine beneath
     * runs at once: they meet at the GKL, and a holder the host deschedules
     * stalls them all. */
    unsigned cpu = g->id % ncpus;
    cpumask_t where = g->threads_are_vcpus ? sched_capacity_mask() : (cpumask_t)1 << cpu;
    g->thread = thread_create_on(name, guest_thread, g, where);
    if (!g->thread)
        return fail(g, "cannot create its thread", 0);
    thread_detach(g->thread);
    return g;
}

void guest_end(struct guest *g, enum guest_state how, int status, const char *why)
{
    if (g->state != GUEST_RUNNING || __atomic_exchange_n(&g->ending, true, __ATOMIC_ACQ_REL))
        return;                                      /* one end only, though vCPUs race to it */
    g->exit_status = status;
    strncpy_safe(g->why, why, sizeof g->why);
    g->end_ns = time_ns();
    static struct vcpu sum;                          /* too big for the stack; ends are rare */
    static struct spinlock sum_lock = SPINLOCK_INIT("guest_end");
    spin_lock_irq(&sum_lock);
    guest_vcpu_totals(g, &sum);
    kprintf("guest %s: %s (%s); %lu privileged-instruction traps, %lu patched-instruction traps, "
            "%lu interrupts delivered, %lu halts\n", g->name,
            how == GUEST_EXITED ? "exited" : "stopped", why, sum.exits[VEXIT_PRIV], sum.exits[VEXIT_PATCH],
            sum.irqs_delivered, sum.halts);
    const uint64_t *n = sum.insn_count;
    kprintf("guest %s: traps by instruction: interrupt flag %lu (cli %lu sti %lu pushf %lu popf %lu iret %lu), "
            "port I/O %lu, near branches %lu; %lu patch blocks, which delivered %lu interrupts\n", g->name,
            n[INSN_CLI] + n[INSN_STI] + n[INSN_PUSHF] + n[INSN_POPF] + n[INSN_IRET], n[INSN_CLI], n[INSN_STI],
            n[INSN_PUSHF], n[INSN_POPF], n[INSN_IRET], n[INSN_IN] + n[INSN_OUT] + n[INSN_INS] + n[INSN_OUTS],
            n[INSN_CALL] + n[INSN_JMP] + n[INSN_RET], g->blocks.made, g->blocks.taken);
    kprintf("guest %s: its vCPUs ran on %u of %u CPUs (mask %lx; capacity %u)\n", g->name,
            cpumask_count(sum.ran_on), ncpus, sum.ran_on, sched_capacity());
    spin_unlock_irq(&sum_lock);
    uint64_t ran = (g->end_ns - g->start_ns) / 1000000, held = gkl_held_ns(&g->gkl) / 1000000;
    held = held > ran ? ran : held;                  /* the holder's last stretch ends with us */
    unsigned pct10 = ran ? (unsigned)(held * 1000 / ran) : 0;
    kprintf("guest %s: ran %lu ms on %u vCPUs; GKL held %lu ms (%u.%u%%), %lu acquisitions, %lu handoffs, "
            "%lu waited spinning, %lu asleep\n", g->name, ran, g->nvcpus, held, pct10 / 10, pct10 % 10,
            g->gkl.acquisitions, g->gkl.handoffs, g->gkl.spun, g->gkl.slept);
    const struct codepages *cp = &g->codepages;
    kprintf("guest %s: scan on execute: %lu pages scanned, %lu fetch faults, %lu write faults, %lu drops "
            "(%lu by the host's writes), %lu writes stepped; %zu patches\n", g->name, cp->pages_scanned,
            cp->fetch_faults, cp->write_faults, cp->drops, cp->host_writes, cp->steps, g->patches.n);
    uint8_t digest[SHA256_DIGEST_SIZE];
    char hex[65];
    bool irqs = irq_window_open();                   /* a large image takes a while */
    sha256(g->image, g->image_size, digest);         /* the module must be as GRUB loaded it */
    irq_window_close(irqs);
    sha256_hex(digest, hex);
    kprintf("guest %s: image module %s (sha256 %s)\n", g->name,
            strcmp(hex, g->sha256) ? "MODIFIED" : "unchanged", hex);
    __atomic_store_n(&g->state, how, __ATOMIC_RELEASE);
    if (guest_hooks->ended)
        guest_hooks->ended(g);                       /* wake its sleeping vCPUs: they exit */
    waitq_wake_all(&ended);
}

bool guest_any_running(void)
{
    for (unsigned i = 0; i < nguests; i++)
        if (guests[i]->state == GUEST_RUNNING || guests[i]->state == GUEST_LOADING)
            return true;
    return false;
}

/* The state ends (guest_end) before the last vCPU out gives the memory back
 * (guest_release), maybe on another CPU and much later: a check of the heap
 * after the guest must wait for this, not for guest_any_running(). */
bool guest_any_unreleased(void)
{
    for (unsigned i = 0; i < nguests; i++)
        if (!__atomic_load_n(&guests[i]->released, __ATOMIC_ACQUIRE))
            return true;
    return false;
}

int guest_wait_all(void)
{
    spin_lock_irq(&ended.lock);
    while (guest_any_running())
        waitq_sleep(&ended, &ended.lock);
    spin_unlock_irq(&ended.lock);
    return nguests ? guests[0]->exit_status : -1;
}
