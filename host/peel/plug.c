/*
 * How the peel framework plugs into the VMM, which names none of it
 * (host/vmm/guest.h, struct guest_hooks): per guest it makes its state at
 * the start (the manifest, the profiler, the boot peels) and frees it at
 * the release; per trap it serves the peel sites of the side table, the
 * host's own single steps, the profiler's samples and the safe points.
 */
#include "host/peel/peel.h"
#include "host/peel/natives.h"
#include "host/peel/prof.h"
#include "host/vmm/guest.h"
#include "kernel/console.h"
#include "kernel/heap.h"
#include "kernel/initcall.h"

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

static const char *start(struct guest *g, const void *manifest, size_t len, const char *peel_list)
{
    g->peels = kzalloc(sizeof *g->peels);
    g->prof = kzalloc(sizeof *g->prof);
    g->natives = kzalloc(sizeof *g->natives);
    if (!g->peels || !g->prof || !g->natives)
        return "out of memory for its peel state";
    if (manifest)
        peel_load_manifest(g, manifest, len);
    peel_at_boot(g, peel_list);
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
