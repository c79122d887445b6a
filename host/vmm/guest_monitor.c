/* The monitor's guest commands: guests, guest N stats|screen|send, wait. */
#include "host/vmm/guest.h"
#include "host/decode/decode.h"
#include "kernel/console.h"
#include "kernel/monitor.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "sched/sched.h"

static const char *state_name(enum guest_state s)
{
    static const char *const names[] = { "loading", "running", "exited", "dead" };
    return names[s];
}

static void cmd_guests(int argc, char **argv)
{
    (void)argc; (void)argv;
    kprintf("  id name         state    status sha256\n");
    for (unsigned i = 0; i < guest_count(); i++) {
        struct guest *g = guest_of(i);
        kprintf("  %2u %-12s %-8s %6d %s\n", i, g->name, state_name(g->state), g->exit_status, g->sha256);
        if (g->state > GUEST_RUNNING)
            kprintf("     %s\n", g->why);
    }
}

/* Host input to the guest: the words, then a carriage return, into COM1. */
static void guest_send(struct guest *g, int argc, char **argv)
{
    char text[128];
    unsigned n = 0;
    for (int i = 3; i < argc && n + 2 < sizeof text; i++) {
        if (i > 3) text[n++] = ' ';
        for (const char *p = argv[i]; *p && n + 2 < sizeof text; p++)
            text[n++] = *p;
    }
    text[n++] = '\r';
    spin_lock_irq(&g->dev.lock);
    unsigned taken = vdevs_input(&g->dev, text, n);
    vdevs_unlock(&g->dev, vdevs_now(g));
    kprintf("  %u of %u bytes queued for %s's COM1\n", taken, n, g->name);
}

static void guest_screen(struct guest *g)
{
    if (!g->ram) {
        kprintf("  its memory is gone: the guest has ended\n");
        return;
    }
    char row[VGA_COLS + 1];
    for (int r = 0; r < VGA_ROWS; r++) {
        vga_row_text(&g->dev.vga, r, row);
        kprintf("  |%s|\n", row);
    }
}

static void guest_stats(struct guest *g);

static void cmd_guest(int argc, char **argv)
{
    struct guest *g = guest_of(monitor_uint(argc, argv, 1, ~0u));
    if (argc < 3 || !g) {
        kprintf("usage: guest N stats | guest N screen | guest N send TEXT\n");
        return;
    }
    if (!strcmp(argv[2], "send"))
        guest_send(g, argc, argv);
    else if (!strcmp(argv[2], "screen"))
        guest_screen(g);
    else
        guest_stats(g);
}

static void guest_stats(struct guest *g)
{
    static struct vcpu sum;                          /* the monitor is one thread */
    struct vcpu *v = &sum;
    guest_vcpu_totals(g, v);
    uint64_t held = gkl_held_ns(&g->gkl) / 1000000;
    kprintf("  vCPUs %u (%u running); GKL held %lu ms, %lu acquisitions, %lu handoffs\n", g->nvcpus,
            g->live_vcpus, held, g->gkl.acquisitions, g->gkl.handoffs);
    static const char *const kinds[VEXIT_KINDS] = { "privileged", "patched", "int n", "exception", "host irq",
                                                     "code page" };
    kprintf("  traps:");
    for (unsigned k = 0; k < VEXIT_KINDS; k++) kprintf(" %s %lu", kinds[k], v->exits[k]);
    kprintf("\n  emulated:");
    for (unsigned c = 1; c < INSN_CLASS_COUNT && c < 64; c++)
        if (v->insn_count[c]) kprintf(" %s %lu", insn_class_name(c), v->insn_count[c]);
    kprintf("\n  interrupts delivered %lu, halts %lu, patches %zu (scan saw %lu instructions, %lu undecodable paths)\n",
            v->irqs_delivered, v->halts, g->patches.n, g->patches.insns_seen, g->patches.undecodable);
    char off[96] = "";
    if (!g->blocks.on)
        snprintf(off, sizeof off, " (off%s%s)", g->blocks.off ? ": " : "", g->blocks.off ? g->blocks.off : "");
    kprintf("  patch blocks %lu (%u KiB of %u), withdrawn %lu, faults in them %lu, given back %lu%s; "
            "interrupts they delivered %lu; branch targets learnt %lu, forgotten %lu; return trampolines %lu\n",
            g->blocks.made, (g->blocks.peak + 1023) / 1024, BLOCKS_CODE_ROOM / 1024, g->blocks.broken,
            g->blocks.faults, g->blocks.reverted, off, g->blocks.taken, g->blocks.learnt, g->blocks.forgotten,
            g->blocks.trampolines);
    if (g->blocks.windows_lost || g->blocks.aliased || (g->blocks.lin && g->blocks.lin != g->blocks.base))
        kprintf("  patch blocks with paging on: window 0x%x, %lu windows the guest mapped, %lu pages run at another address\n",
                g->blocks.lin, g->blocks.windows_lost, g->blocks.aliased);
    const struct codepages *cp = &g->codepages;
    kprintf("  scan on execute: %lu pages scanned, %lu fetch faults, %lu write faults, %lu drops "
            "(%lu by the host's writes), %lu writes stepped\n", cp->pages_scanned, cp->fetch_faults,
            cp->write_faults, cp->drops, cp->host_writes, cp->steps);
    kprintf("  port I/O (in/out):");
    for (unsigned i = 0; i < v->nio; i++)
        kprintf(" 0x%x %lu/%lu", v->io[i].port, v->io[i].in, v->io[i].out);
    kprintf(v->io_other ? " others %lu\n" : "\n", v->io_other);
    const struct ports *p = &g->dev.ports;
    kprintf("  ports with no device:");
    for (int i = 0; i < p->nstat; i++)
        kprintf(" 0x%x (r%u w%u)", p->stat[i].port, p->stat[i].reads, p->stat[i].writes);
    kprintf("\n");
}

/* wait [S]: until every guest has ended and its last vCPU has given back its
 * memory and native state, or S seconds (default 60).  Commands after it
 * (mem) see the host as the guest left it, whichever CPU that vCPU ran on. */
static void cmd_wait(int argc, char **argv)
{
    unsigned limit = monitor_uint(argc, argv, 1, 60);
    uint64_t deadline = time_ns() + limit * 1000000000ull;
    while (guest_any_unreleased() && time_ns() < deadline)
        thread_sleep_ns(50000000ull);
    kprintf("  %s\n", guest_any_running() ? "guests still running"
                     : guest_any_unreleased() ? "a guest ended but its memory is not given back"
                     : "no guest running");
}

void guest_monitor_init(void)
{
    monitor_register("wait", "wait [S]: until every guest has ended and freed its memory (at most S s)", cmd_wait);
    monitor_register("guests", "hosted guests: state, exit status, image SHA-256", cmd_guests);
    monitor_register("guest", "guest N stats|screen|send TEXT: traps and ports, VGA text, COM1 input", cmd_guest);
}
