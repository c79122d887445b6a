/*
 * A guest's manifest, and the peel requests made against it: checked when
 * asked (peel=a,b at boot, the monitor at run time), carried out by the
 * guest's own thread at a safe point once the subsystem is quiet.
 */
#include "host/peel/peel_priv.h"
#include "host/vmm/guest.h"
#include "host/peel/natives.h"
#include "kernel/console.h"
#include "kernel/printf.h"
#include "sched/sched.h"

void peel_load_manifest(struct guest *g, const char *text, size_t len)
{
    char err[96];
    const char *why = manifest_parse(text, len, &g->peels->manifest, err, sizeof err);
    if (why) {
        kprintf("guest %s: manifest refused (%s); it runs unpeeled\n", g->name, why);
        return;
    }
    g->peels->have_manifest = true;
    kprintf("guest %s: manifest names %u peelable subsystems\n", g->name, g->peels->manifest.nsubsystems);
}

/* A subsystem with idle words changes hands at run time only when every
 * guest thread is a vCPU: only then can the host see whether a thread is
 * inside it (host/peel/quiesce.c).  Named after the native subsystem that
 * makes them so. */
static const char *needs_thread_vcpus(void)
{
    static char why[144];
    const struct native_subsystem *ns = native_subsystem_threading();
    snprintf(why, sizeof why, "at run time it needs the %s peel: without it the host cannot see whether a guest "
             "thread is inside the subsystem", ns ? ns->name : "thread-making");
    return why;
}

/* The VMM calls peel_safe_point only while g->wants_safe_points is set:
 * from a request until it lands, and while a subsystem drains.  The flag is
 * set after the request is posted, and cleared before the request is read
 * again, so a request posted meanwhile is never left without a safe point. */
void peel_want_safe_points(struct guest *g)
{
    __atomic_store_n(&g->wants_safe_points, true, __ATOMIC_SEQ_CST);
}

const char *peel_request(struct guest *g, const char *name, bool peel)
{
    struct peels *p = g->peels;
    if (!p->have_manifest)
        return "this guest has no manifest";
    const struct manifest_subsystem *s = manifest_find(&p->manifest, name);
    if (!s)
        return "no such subsystem in the manifest";
    int idx = s - p->manifest.subsystems;
    if (g->state == GUEST_LOADING)
        return peel_apply(g, idx, peel);
    if (g->state != GUEST_RUNNING)
        return "the guest is not running";
    for (uint64_t t0 = time_ns(); __atomic_load_n(&p->landing, __ATOMIC_SEQ_CST) && time_ns() - t0 < 1000000000ull;)
        thread_sleep_ns(100000);                     /* the last request is being carried out: see what it did */
    if (p->peeled[idx] == peel)
        return peel ? "already peeled" : "not peeled";
    if (s->boot_only)
        return peel ? "it is boot-only (peel=NAME on the command line): its natives cannot adopt what the guest's own code already made"
                    : "it is boot-only: its natives hold state the guest's own code could not take back";
    if (s->nidle && !g->threads_are_vcpus)
        return needs_thread_vcpus();
    int want = peel ? idx + 1 : -(idx + 1);
    if (!__atomic_compare_exchange_n(&p->request, &(int){ 0 }, want, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return "another peel request is still pending (peels shows it, peel cancel withdraws it)";
    p->request_tries = 0;
    p->waiting[0] = 0;
    __atomic_store_n(&p->request_ns, time_ns(), __ATOMIC_RELEASE);   /* (only after the request is its own) */
    peel_want_safe_points(g);
    return 0;
}

/* A request's words: "peel fs", "unpeel cache". */
static void request_words(const struct peels *p, int r, char *buf, size_t len)
{
    unsigned idx = (unsigned)(r > 0 ? r : -r) - 1;
    snprintf(buf, len, "%s %s", r > 0 ? "peel" : "unpeel", p->manifest.subsystems[idx].name);
}

/* Requests come from the monitor's thread only; the lock holder takes one
 * (carried out, or abandoned) by clearing request_ns first, then request:
 * a new request can only be posted, and stamped, after that. */
const char *peel_cancel(struct guest *g, char *buf, size_t len)
{
    struct peels *p = g->peels;
    int r = __atomic_load_n(&p->request, __ATOMIC_ACQUIRE);
    if (!r)
        return "no peel request is pending";
    char words[48];
    request_words(p, r, words, sizeof words);
    if (!__atomic_compare_exchange_n(&p->request, &r, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return "the request was carried out or abandoned meanwhile";
    __atomic_store_n(&p->request_ns, 0, __ATOMIC_RELEASE);
    peel_gates_kick(g);                              /* callers held at its gates: the gates open at the next safe point */
    snprintf(buf, len, "%s withdrawn", words);
    return 0;
}

bool peel_busy(struct guest *g)
{
    return __atomic_load_n(&g->peels->request, __ATOMIC_SEQ_CST) || __atomic_load_n(&g->peels->landing, __ATOMIC_SEQ_CST);
}

void peel_pending(struct guest *g, char *buf, size_t len)
{
    struct peels *p = g->peels;
    int r = __atomic_load_n(&p->request, __ATOMIC_ACQUIRE);
    uint64_t since = __atomic_load_n(&p->request_ns, __ATOMIC_ACQUIRE);
    buf[0] = 0;
    if (!r || !since)
        return;
    char words[48], held[48] = "";
    unsigned parked = 0;
    request_words(p, r, words, sizeof words);
    for (unsigned i = 0; i < PEEL_MAX_PARKED; i++)
        parked += p->parked[i].t != 0;
    if (p->gated)
        snprintf(held, sizeof held, "; its gates hold %u caller%s", parked, parked == 1 ? "" : "s");
    snprintf(buf, len, "%s pending for %lu ms, %lu safe points so far; waiting for %s%s", words,
             (time_ns() - since) / 1000000, p->request_tries, p->waiting[0] ? p->waiting : "its next safe point", held);
}

bool peel_request_ready(struct guest *g)
{
    int r = __atomic_load_n(&g->peels->request, __ATOMIC_ACQUIRE);
    return r && !g->host_stepping && peel_quiet(g, (unsigned)(r > 0 ? r : -r) - 1);
}

static void settle(struct guest *g)
{
    struct peels *p = g->peels;
    for (unsigned i = 0; i < p->manifest.nsubsystems; i++)
        if (p->draining[i])
            return;
    if (p->gated)
        return;                                      /* opened at a safe point: a withdrawn request's */
    __atomic_store_n(&g->wants_safe_points, false, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&p->request, __ATOMIC_SEQ_CST))
        peel_want_safe_points(g);
}

/* A request that has not found its subsystem quiet for
 * PEEL_REQUEST_TIMEOUT_NS is given up, with what it waited for. */
static void abandon(struct guest *g, int r, uint64_t since)
{
    struct peels *p = g->peels;
    char words[48];
    request_words(p, r, words, sizeof words);
    __atomic_store_n(&p->request_ns, 0, __ATOMIC_RELEASE);
    peel_gates_open(g);
    if (__atomic_compare_exchange_n(&p->request, &r, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        kprintf("guest %s: %s abandoned after %lu ms and %lu safe points: it waited for %s\n", g->name, words,
                (time_ns() - since) / 1000000, p->request_tries, p->waiting[0] ? p->waiting : "a safe point");
}

/* Carry out request r, found quiet now: the gates open first (their sites
 * make room for the peel's), then the change, then how long it took.  The
 * last check that found the subsystem busy bounds when the last caller
 * inside left: the change landed at most "N ms after" that. */
static void land(struct guest *g, int r, uint64_t since)
{
    struct peels *p = g->peels;
    unsigned idx = (unsigned)(r > 0 ? r : -r) - 1;
    uint64_t gated = p->gated ? p->gates_ns : 0, held = p->gate_held, busy = p->busy_ns;
    char words[48], gates[96] = "its gates stayed open";
    request_words(p, r, words, sizeof words);
    peel_gates_open(g);
    if (peel_apply(g, idx, r > 0))
        return;                                      /* refused: peel_apply said why */
    uint64_t now = time_ns();
    if (gated)
        snprintf(gates, sizeof gates, "its gates held %lu caller%s for %lu ms", held, held == 1 ? "" : "s",
                 (now - gated) / 1000000);
    if (busy < since)
        busy = since;
    kprintf("guest %s: %s landed %lu ms after the request, %lu ms after the last check that found it busy; %s\n",
            g->name, words, (now - since) / 1000000, (now - busy) / 1000000, gates);
}

/* At a trap of the lock holder, while wanted (above). */
void peel_safe_point(struct guest *g)
{
    struct peels *p = g->peels;
    int r = __atomic_load_n(&p->request, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < p->manifest.nsubsystems && !g->host_stepping; i++) {
        if (!p->draining[i])
            continue;
        bool owns = false;
        for (unsigned k = 0; k < p->nsites; k++)
            owns |= p->sites[k].subsystem == i && peel_still_owns(g, &p->sites[k]);
        if (!owns)
            peel_disarm(g, i, false);                /* drained: the last sites go */
    }
    if (p->gated && r != p->gate_request && !g->host_stepping)
        peel_gates_open(g);                          /* withdrawn */
    if (r) {
        unsigned idx = (r > 0 ? r : -r) - 1;
        uint64_t since = __atomic_load_n(&p->request_ns, __ATOMIC_ACQUIRE);
        if (g->host_stepping || !peel_quiet(g, idx)) {
            p->waited[idx]++;                        /* try again at the next safe point */
            p->request_tries++;
            if (!g->host_stepping && !p->gated)
                peel_gates_close(g, idx, r);         /* new callers wait while those inside drain */
            if (since && time_ns() - since > PEEL_REQUEST_TIMEOUT_NS)
                abandon(g, r, since);
        } else {
            __atomic_store_n(&p->landing, true, __ATOMIC_SEQ_CST);
            __atomic_store_n(&p->request_ns, 0, __ATOMIC_RELEASE);
            if (__atomic_compare_exchange_n(&p->request, &r, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                land(g, r, since);
            __atomic_store_n(&p->landing, false, __ATOMIC_SEQ_CST);
        }
    }
    settle(g);
}
