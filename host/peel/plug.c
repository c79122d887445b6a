/*
 * How the peel framework plugs into the VMM, which names none of it
 * (host/vmm/guest.h, struct guest_hooks): per guest it makes its state at
 * the start (the manifest, the profiler, the boot peels) and frees it at
 * the release; per trap it serves the peel sites of the side table, the
 * host's own single steps, the profiler's samples and the safe points.
 */
#include "host/peel/peel.h"
#include "host/peel/peel_priv.h"
#include "host/peel/natives.h"
#include "host/peel/prof.h"
#include "host/vmm/guest.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/cpufeat.h"
#include "kernel/heap.h"
#include "kernel/initcall.h"
#include "kernel/trap.h"

static char boot_peels[128];          /* peel=a,b: subsystems replaced from the start */

static const char *set_boot_peels(const char *v, size_t n)
{
    return cmdline_copy(boot_peels, sizeof boot_peels, v, n) ? 0 : "wants subsystem names";
}
CMDLINE_OPTION("peel", true, set_boot_peels);

/* peelentry=int|syscall: how a peel site enters the host.  syscall where
 * the vendor takes it from compatibility mode (the cheaper trap under TCG),
 * unless int 15 is asked for; int 15 elsewhere.  The entry is open only in
 * the ring 1 of a guest with a manifest, where the scanner sends the
 * guest's own syscall and every far transfer through the host, so that the
 * CS the entry assumes is the guest's (docs/peel.md, "How a site enters"). */
static enum { ENTRY_DEFAULT, ENTRY_INT, ENTRY_SYSCALL } entry_word;
bool peel_by_syscall;

static const char *set_entry(const char *v, size_t n)
{
    if (cmdline_is(v, n, "int")) { entry_word = ENTRY_INT; return 0; }
    if (cmdline_is(v, n, "syscall")) { entry_word = ENTRY_SYSCALL; return 0; }
    return "wants int or syscall";
}
CMDLINE_OPTION("peelentry", true, set_entry);

/* Before the APs start: they take the syscall MSRs from the boot CPU's choice. */
static void choose_entry(void)
{
    char vendor[13];
    cpu_vendor(vendor);
    peel_by_syscall = entry_word != ENTRY_INT && trap_enable_syscall();
    kprintf("trap: peel sites enter by %s (%s; CPU vendor %s: syscall from compatibility mode %s)\n",
            peel_by_syscall ? "syscall" : "int 15",
            entry_word == ENTRY_SYSCALL ? (peel_by_syscall ? "peelentry=syscall" : "peelentry=syscall refused")
            : entry_word == ENTRY_DEFAULT ? "the default"
            : "peelentry=int", vendor,
            cpu_vendor_syscall_compat(vendor) ? "works" : "is #UD or not known to work");
}
INITCALL(INIT_EARLY, choose_entry);

/* peel=a,b at boot: applied before the guest's first instruction. */
static void peel_at_boot(struct guest *g, const char *list)
{
    char name[MANIFEST_NAME];
    while (list && *list) {
        size_t n = 0;
        while (list[n] && list[n] != ',' && n + 1 < sizeof name) { name[n] = list[n]; n++; }
        name[n] = '\0';
        list += n + (list[n] == ',');
        const char *why = peel_request(g, name, true);
        bool reported = g->peels->have_manifest && manifest_find(&g->peels->manifest, name);  /* by peel_apply */
        if (why && !reported)
            kprintf("guest %s: peel %s refused: %s\n", g->name, name, why);
    }
}

/* The natives' state goes with the guest's memory; the framework's own
 * (the manifest, the counts, the profile) stays, like the guest's record,
 * for the monitor's `peels` and `prof` after the guest has ended. */
static void release(struct guest *g)
{
    if (g->natives)
        natives_release(g);
}

static const char *start(struct guest *g, const void *manifest, size_t len)
{
    g->peels = kzalloc(sizeof *g->peels);
    g->prof = kzalloc(sizeof *g->prof);
    g->natives = kzalloc(sizeof *g->natives);
    if (!g->peels || !g->prof || !g->natives)
        return "out of memory for its peel state";
    spin_init(&g->peels->gate_lock, "peel gates");
    frames_init(g);
    if (manifest)
        peel_load_manifest(g, manifest, len);
    peel_at_boot(g, boot_peels);
    prof_init(g);
    return 0;
}

/* Is the site's trap in place?  Not while its displaced bytes are being
 * single-stepped: a trap there then is the guest's own instruction's. */
static bool site_armed(struct guest *g, void *site)
{
    return !g->host_stepping || site != &g->peels->sites[g->host_stepping - 1];
}

static void site_trap(struct guest *g, struct trapframe *tf, void *site)
{
    peel_call(g, tf, site);
}

static bool request_ready(struct guest *g)
{
    return g->peels && peel_request_ready(g);
}

static void ended(struct guest *g)
{
    peel_print_native_time(g);
    peel_gates_kick(g);                      /* callers held at gates: they see the end and exit */
    if (g->natives)
        natives_guest_ended(g);
}

static const struct guest_hooks peel_hooks = {
    .start = start,
    .site_armed = site_armed,
    .site_trap = site_trap,
    .step_done = peel_step_done,
    .code_changing = peel_code_changing,
    .lock_taken = natives_lock_taken,
    .lock_released = natives_lock_released,
    .sample = prof_sample,                   /* start made g->prof, or the guest did not start */
    .request_ready = request_ready,
    .safe_point = peel_safe_point,
    .ended = ended,
    .release = release,
};

static void peel_plug(void)
{
    guest_set_hooks(&peel_hooks);
    peel_monitor_init();
    prof_monitor_init();
}
INITCALL(INIT_PLUG, peel_plug);
