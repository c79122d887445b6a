/*
 * The monitor's peel commands: peel, unpeel, peels, settle, churn.
 */
#include "host/peel/peel.h"
#include "host/vmm/guest.h"
#include "kernel/console.h"
#include "kernel/monitor.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "sched/sched.h"

static void cmd_peel(int argc, char **argv)
{
    struct guest *g = guest_of(0);
    bool peel = !strcmp(argv[0], "peel");
    if (argc < 2 || !g) {
        kprintf("usage: %s SUBSYSTEM (of guest 0)\n", argv[0]);
        return;
    }
    if (!g->peels) {
        kprintf("  %s %s: guest %s never started\n", argv[0], argv[1], g->name);
        return;
    }
    if (peel && !strcmp(argv[1], "cancel")) {
        char done[64];
        const char *why = peel_cancel(g, done, sizeof done);
        kprintf("  peel cancel: %s\n", why ? why : done);
        return;
    }
    const char *why = peel_request(g, argv[1], peel);
    if (why)
        kprintf("  %s %s: %s\n", argv[0], argv[1], why);
    else
        kprintf("  %s %s: at the guest's next safe point\n", argv[0], argv[1]);
}

static void cmd_peels(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (unsigned gi = 0; gi < guest_count(); gi++) {
        struct guest *g = guest_of(gi);
        struct peels *p = g->peels;
        if (!p || !p->have_manifest) {
            kprintf("  guest %u %s: no manifest\n", gi, g->name);
            continue;
        }
        for (unsigned i = 0; i < p->manifest.nsubsystems; i++) {
            const struct manifest_subsystem *s = &p->manifest.subsystems[i];
            uint64_t fell = 0;
            for (unsigned k = 0; k < p->nsites; k++)
                if (p->sites[k].subsystem == i) fell += p->sites[k].fell_through;
            uint64_t timed, ns = peel_native_ns(p, i, &timed);
            kprintf("  guest %u %-10s %-8s %s, %u functions, %lu native calls, %lu fell through", gi,
                    s->name, p->peeled[i] ? "peeled" : p->draining[i] ? "draining" : "guest",
                    s->outside_gkl ? "outside the GKL" : "under the GKL", s->nfns, peel_calls(p, i), fell);
            if (timed)
                kprintf("; native time %lu ms, %lu ns a call", ns / 1000000, ns / timed);
            kprintf("\n");
        }
        char pending[224];
        peel_pending(g, pending, sizeof pending);
        if (pending[0])
            kprintf("  guest %u: %s\n", gi, pending);
    }
}

void peel_print_native_time(struct guest *g)
{
    struct peels *p = g->peels;
    char line[512];
    size_t n = 0;
    for (unsigned i = 0; p && p->have_manifest && i < p->manifest.nsubsystems && n < sizeof line; i++) {
        uint64_t timed, ns = peel_native_ns(p, i, &timed);
        if (timed)
            n += (size_t)snprintf(line + n, sizeof line - n, "%s %s %lu ms in %lu calls (%lu ns a call)",
                                  n ? "," : "", p->manifest.subsystems[i].name, ns / 1000000, timed, ns / timed);
    }
    if (n)
        kprintf("guest %s: native time:%s\n", g->name, line);
}

/* settle [S]: wait until guest 0 has no request pending (carried out,
 * abandoned or withdrawn), S seconds at most (15): scripts peel one change
 * after another. */
static void cmd_settle(int argc, char **argv)
{
    struct guest *g = guest_of(0);
    unsigned secs = argc > 1 ? monitor_uint(argc, argv, 1, 15) : 15;
    uint64_t t0 = time_ns(), deadline = t0 + secs * 1000000000ull;
    while (g && g->peels && peel_busy(g) && g->state == GUEST_RUNNING && time_ns() < deadline)
        thread_sleep_ns(1000000ull);
    bool pending = g && g->peels && peel_busy(g);
    kprintf("  settle: %s after %lu ms\n", pending ? "still pending" : "nothing pending", (time_ns() - t0) / 1000000);
}

/* churn S A B ...: for S seconds, toggle a random one of the named
 * subsystems of guest 0 at random intervals (a fixed seed: a run can be
 * repeated), while the workload runs.  The stress suite's peel churn. */
static void cmd_churn(int argc, char **argv)
{
    struct guest *g = guest_of(0);
    unsigned secs = monitor_uint(argc, argv, 1, 0), peels = 0, unpeels = 0, refused = 0;
    if (argc < 3 || !g || !g->peels || !secs) {
        kprintf("usage: churn SECONDS SUBSYSTEM...\n");
        return;
    }
    uint64_t deadline = time_ns() + secs * 1000000000ull, x = 0x9e3779b97f4a7c15ull;
    while (time_ns() < deadline && g->state == GUEST_RUNNING) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        const char *name = argv[2 + x % (unsigned)(argc - 2)];
        const struct manifest_subsystem *s = g->peels->have_manifest ? manifest_find(&g->peels->manifest, name) : 0;
        bool peel = !s || !g->peels->peeled[s - g->peels->manifest.subsystems];
        if (peel_request(g, name, peel)) refused++;
        else if (peel) peels++;
        else unpeels++;
        thread_sleep_ns((50 + (x >> 32) % 250) * 1000000ull);
    }
    kprintf("  churn: %u peels, %u unpeels requested, %u refused (pending, draining or not running)\n",
            peels, unpeels, refused);
}

void peel_monitor_init(void)
{
    monitor_register("peel", "peel SUBSYSTEM: replace it by native code (guest 0); peel cancel: withdraw a pending request", cmd_peel);
    monitor_register("unpeel", "unpeel SUBSYSTEM: give it back to the guest's own code", cmd_peel);
    monitor_register("peels", "subsystems per guest: peeled or not, native calls; a pending request and what it waits for", cmd_peels);
    monitor_register("settle", "settle [S]: wait until guest 0's peel request is carried out or given up (S seconds at most)", cmd_settle);
    monitor_register("churn", "churn S A B...: peel and unpeel those subsystems at random for S seconds", cmd_churn);
}
