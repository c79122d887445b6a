#include <stdbool.h>
#include "host/peel/prof.h"
#include "host/vmm/guest.h"
#include "host/peel/peel.h"
#include "host/peel/peel_priv.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/gmem.h"
#include "host/decode/decode.h"
#include "loader/elf32.h"
#include "kernel/console.h"
#include "kernel/heap.h"
#include "kernel/monitor.h"
#include "kernel/string.h"
#include "sched/sched.h"

void prof_init(struct guest *g)
{
    struct prof *p = g->prof;
    size_t n = guest_symbol_count(g), k = 0;
    p->fns = kzalloc((n ? n : 1) * sizeof *p->fns);
    p->fn_traps = kzalloc((n ? n : 1) * sizeof *p->fn_traps);
    if (!p->fns || !p->fn_traps) {
        kfree(p->fns);
        kfree(p->fn_traps);
        p->fns = 0;
        p->fn_traps = 0;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct elf32_symbol s;
        if (!guest_symbol_at(g, i, &s) || s.type != ELF32_STT_FUNC || !s.size)
            continue;
        size_t j = k++;                           /* insertion sort: images have few thousand */
        while (j > 0 && p->fns[j - 1].addr > s.value) { p->fns[j] = p->fns[j - 1]; j--; }
        p->fns[j] = (struct prof_fn){ s.value, s.size, s.name, 0 };
    }
    p->nfns = k;
}

static struct prof_fn *lookup(struct prof *p, uint32_t eip)
{
    size_t lo = 0, hi = p->nfns;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->fns[mid].addr <= eip) lo = mid + 1; else hi = mid;
    }
    if (!lo) return 0;
    struct prof_fn *f = &p->fns[lo - 1];
    return eip - f->addr < f->size ? f : 0;
}

static bool inside(const struct prof_fn *f, uint32_t eip)
{
    return eip - f->addr < f->size;
}

/* A trap of vCPU pv at eip: one more in its run, or the run ends and a
 * new one starts.  Only pv's own vCPU writes pv, and a run ends into
 * fn_traps atomically: a peel call counts its trap outside the guest kernel
 * lock (prof_count_trap). */
static void count_trap(struct prof *p, struct prof_vcpu *pv, uint32_t eip)
{
    pv->traps++;
    if (pv->last && inside(&p->fns[pv->last - 1], eip)) {
        pv->run++;
        return;
    }
    if (pv->last)
        __atomic_add_fetch(&p->fn_traps[pv->last - 1], pv->run, __ATOMIC_RELAXED);
    struct prof_fn *f = lookup(p, eip);
    pv->last = f ? (size_t)(f - p->fns) + 1 : 0;
    pv->run = f ? 1 : 0;
}

static uint64_t traps_total(const struct prof *p)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < GUEST_MAX_VCPUS; k++)
        n += p->vcpu[k].traps;
    return n;
}

static uint64_t fn_traps(const struct prof *p, size_t i)
{
    uint64_t n = p->fn_traps[i];
    for (unsigned k = 0; k < GUEST_MAX_VCPUS; k++)
        n += p->vcpu[k].last == i + 1 ? p->vcpu[k].run : 0;
    return n;
}

/* Which subsystem is the guest in: the innermost of its functions on the
 * stack (a conservative look at the top of the stack for return addresses;
 * the helpers a subsystem calls are not in the manifest, its entry points
 * are).  A host interrupt's sample pays for this under the guest kernel
 * lock, and at -smp 2 the lock's holder takes hundreds of them a run (the
 * other CPU's wakeups): read word by word through SS and paging, with every
 * subsystem's code tested at each, the look cost ~76 us a sample, 7% of the
 * lock's time (docs/bench.md, session 20).  So the window is read a page
 * at a time, and a word outside every subsystem's span costs one compare. */
#define STACK_LOOK 256

/* Up to max words from SS:esp upwards, as many as read without a fault
 * (through SS and paging, setting nothing): a page per read. */
static unsigned stack_words(struct vcpu *v, uint32_t esp, uint32_t *w, unsigned max)
{
    unsigned n = 0;
    while (n < max) {
        uint32_t lin, whole;
        struct gfault f;
        if (!gmem_linear(v, SEG_SS, esp + 4 * n, 4, GMEM_READ, &lin, &f))
            break;
        unsigned k = (4096 - (lin & 4095)) / 4;      /* the words left on this page */
        k = k < 1 ? 1 : k > max - n ? max - n : k;
        if (k > 1 && !gmem_linear(v, SEG_SS, esp + 4 * n, 4 * k, GMEM_READ, &whole, &f))
            k = 1;                                   /* SS's limit falls inside: a word at a time */
        if (!gmem_peek_lin(v, lin, w + n, 4 * k))
            break;
        n += k;
    }
    return n;
}

static unsigned subsystem_now(struct guest *g, uint32_t eip, uint32_t esp)
{
    int s = peel_subsystem_at(g, eip);
    struct vcpu *v = vcpu_current();                 /* (the sampled one: this is its trap) */
    if (v && s < 0) {
        uint32_t lo = UINT32_MAX, hi = 0, w[STACK_LOOK];
        const struct peels *p = g->peels;
        for (unsigned i = 0; p->have_manifest && i < p->manifest.nsubsystems; i++) {
            peel_learn_subsystem(g, i);
            if (p->span[i].hi) {
                lo = p->span[i].lo < lo ? p->span[i].lo : lo;
                hi = p->span[i].hi > hi ? p->span[i].hi : hi;
            }
        }
        unsigned n = lo < hi ? stack_words(v, esp, w, STACK_LOOK) : 0;
        for (unsigned i = 0; s < 0 && i < n; i++)
            if (w[i] - lo < hi - lo)
                s = peel_subsystem_at(g, w[i]);
    }
    return s < 0 ? MANIFEST_MAX_SUBSYSTEMS : (unsigned)s;
}

void prof_count_trap(struct guest *g, const struct vcpu *v, uint32_t eip)
{
    struct prof *p = g->prof;
    count_trap(p, &p->vcpu[v && v->index < GUEST_MAX_VCPUS ? v->index : 0], eip);
}

void prof_sample(struct guest *g, uint32_t eip, uint32_t esp, bool trap)
{
    struct prof *p = g->prof;
    if (trap) {
        prof_count_trap(g, vcpu_current(), eip);
        return;
    }
    struct prof_fn *f = lookup(p, eip);
    p->samples++;
    if (f) f->samples++; else p->unknown_samples++;
    p->by_subsystem[subsystem_now(g, eip, esp)]++;
}

static const char *subsystem_of(struct guest *g, const char *fn)
{
    const struct manifest *m = &g->peels->manifest;
    for (unsigned i = 0; g->peels->have_manifest && i < m->nsubsystems; i++)
        for (unsigned j = 0; j < m->subsystems[i].nfns; j++)
            if (!strcmp(m->subsystems[i].fns[j].symbol, fn))
                return m->subsystems[i].name;
    return "-";
}

/* A function's rank: its samples, and its traps weighted so that all the
 * traps weigh as much as all the samples. */
static uint64_t score(const struct prof *p, const uint64_t *ft, uint64_t traps, size_t i)
{
    return p->fns[i].samples * 4 + ft[i] * (p->samples * 4 + 1) / (traps + 1);
}

/* The top functions by time, then by traps: candidates for the next peel. */
void prof_report(struct guest *g, unsigned top)
{
    struct prof *p = g->prof;
    if (!p || !g->peels) {
        kprintf("  guest %s: never started, no profile\n", g->name);
        return;
    }
    uint64_t traps = traps_total(p);
    kprintf("  guest %s: %lu samples of guest time (the GKL), %lu traps; %lu samples outside named functions\n",
            g->name, p->samples, traps, p->unknown_samples);
    /* a sample is a host timer tick (1/HZ s) that found the lock held in guest code */
    kprintf("  GKL time by subsystem (the one the guest was inside):");
    for (unsigned i = 0; i <= MANIFEST_MAX_SUBSYSTEMS; i++) {
        bool named = g->peels->have_manifest && i < g->peels->manifest.nsubsystems;
        if (!p->by_subsystem[i] || (!named && i < MANIFEST_MAX_SUBSYSTEMS))
            continue;
        kprintf(" %s %lu%% (~%lu ms)", named ? g->peels->manifest.subsystems[i].name : "none",
                p->by_subsystem[i] * 100 / (p->samples + !p->samples), p->by_subsystem[i] * 1000 / HZ);
    }
    kprintf("\n  rank  time%%  traps%%  function                 subsystem\n");
    bool *shown = kzalloc(p->nfns + 1);
    uint64_t *ft = kzalloc((p->nfns + 1) * sizeof *ft);   /* each function's traps, all vCPUs' */
    for (size_t i = 0; ft && i < p->nfns; i++)
        ft[i] = fn_traps(p, i);
    for (unsigned r = 1; shown && ft && r <= top; r++) {
        size_t best = p->nfns;
        for (size_t i = 0; i < p->nfns; i++)
            if (!shown[i] && (p->fns[i].samples || ft[i]) &&
                (best == p->nfns || score(p, ft, traps, i) > score(p, ft, traps, best)))
                best = i;
        if (best == p->nfns) break;
        shown[best] = true;
        const struct prof_fn *f = &p->fns[best];
        kprintf("  %4u %5lu.%lu %6lu.%lu  %-24s %s\n", r,
                f->samples * 100 / (p->samples + !p->samples), f->samples * 1000 / (p->samples + !p->samples) % 10,
                ft[best] * 100 / (traps + !traps), ft[best] * 1000 / (traps + !traps) % 10,
                f->name, subsystem_of(g, f->name));
    }
    kfree(ft);
    kfree(shown);
}

static void cmd_prof(int argc, char **argv)
{
    unsigned top = monitor_uint(argc, argv, 1, 15);
    for (unsigned i = 0; i < guest_count(); i++)
        prof_report(guest_of(i), top);
}

void prof_monitor_init(void)
{
    monitor_register("prof", "prof [N]: guest functions ranked by guest time and traps", cmd_prof);
}
