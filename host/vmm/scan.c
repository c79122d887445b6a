#include "host/vmm/scan.h"
#include "host/vmm/sites.h"
#include "host/vmm/guest.h"
#include "host/decode/decode.h"
#include "kernel/heap.h"
#include "kernel/string.h"
#include "kernel/cpufeat.h"

/* One scan's work list and the patches it made, which go into the side
 * table together when it ends; what it has seen stays in struct patches. */
struct scan {
    struct guest *g;
    uint32_t lo, hi;
    uint8_t *seen;
    uint32_t *work;
    size_t nwork, capwork;
    struct site *made;
    size_t nmade, capmade;
};

static bool seen(struct scan *s, uint32_t a) { return s->seen[(a - s->lo) / 8] >> ((a - s->lo) % 8) & 1; }
static void mark(struct scan *s, uint32_t a) { s->seen[(a - s->lo) / 8] |= 1 << ((a - s->lo) % 8); }

static bool push_work(struct scan *s, uint32_t a)
{
    if (a < s->lo || a >= s->hi || seen(s, a))
        return true;
    if (s->nwork == s->capwork) {
        size_t cap = s->capwork ? s->capwork * 2 : 1024;
        uint32_t *w = kmalloc(cap * sizeof *w);
        if (!w) return false;
        if (s->work) { memcpy(w, s->work, s->nwork * sizeof *w); kfree(s->work); }
        s->work = w;
        s->capwork = cap;
    }
    s->work[s->nwork++] = a;
    return true;
}

/* Room for one more patch, before its hlt is written. */
static bool room_for_patch(struct scan *s)
{
    if (s->nmade < s->capmade)
        return true;
    size_t cap = s->capmade ? s->capmade * 2 : 64;
    struct site *m = kmalloc(cap * sizeof *m);
    if (!m) return false;
    if (s->made) { memcpy(m, s->made, s->nmade * sizeof *m); kfree(s->made); }
    s->made = m;
    s->capmade = cap;
    return true;
}

/* Instructions that misbehave in ring 1 without faulting. */
static bool sensitive(const struct insn *in)
{
    switch (in->cls) {
    case INSN_PUSHF: case INSN_POPF: case INSN_IRET:
    case INSN_CPUID:                        /* the host's CPU otherwise: no CPUID faulting under TCG */
        return true;
    case INSN_SGDT: case INSN_SIDT: case INSN_SLDT: case INSN_STR: case INSN_SMSW:
        return !cpu_has_umip;               /* with UMIP they fault by themselves */
    default:
        return false;
    }
}

/* Follow one path until it ends (ret, jmp, hlt, undecodable, seen before). */
static bool follow(struct scan *s, uint32_t a)
{
    while (a >= s->lo && a < s->hi && !seen(s, a)) {
        uint8_t *code = s->g->ram + a;
        struct insn in;
        uint32_t avail = s->hi - a < 15 ? s->hi - a : 15;
        if (decode(code, avail, 32, &in) != DECODE_OK) {
            s->g->patches.undecodable++;
            return true;
        }
        mark(s, a);
        s->g->patches.insns_seen++;
        if (sensitive(&in)) {
            if (!room_for_patch(s))
                return false;
            struct site *p = &s->made[s->nmade++];
            *p = (struct site){ .addr = a, .kind = SITE_PATCH, .len = in.length };
            memcpy(p->orig, code, in.length);
            code[0] = 0xf4;                  /* hlt: #GP(0) in ring 1; the side table tells */
        }
        struct flow f;
        insn_flow(&in, a, &f);
        if (f.has_target && !push_work(s, f.target))
            return false;
        if (!f.falls_through)
            return true;
        a += in.length;
    }
    return true;
}

static bool run(struct guest *g, const uint32_t *starts, size_t nstarts)
{
    struct patches *t = &g->patches;
    struct scan s = { .g = g, .lo = t->lo, .hi = t->hi, .seen = t->seen };
    bool ok = true;
    for (size_t i = 0; ok && i < nstarts; i++)
        ok = push_work(&s, starts[i]);
    while (ok && s.nwork)
        ok = follow(&s, s.work[--s.nwork]);
    ok = ok && sites_add_many(&g->sites, s.made, s.nmade);
    if (ok)
        t->n += s.nmade;
    else                                     /* no hlt without its entry: the originals back */
        for (size_t i = 0; i < s.nmade; i++) g->ram[s.made[i].addr] = s.made[i].orig[0];
    kfree(s.work);
    kfree(s.made);
    return ok;
}

bool scan_and_patch(struct guest *g, const uint32_t *starts, size_t nstarts, uint32_t lo, uint32_t hi)
{
    struct patches *t = &g->patches;
    t->lo = lo;
    t->hi = hi;
    t->seen = kzalloc((hi - lo) / 8 + 1);
    return t->seen && run(g, starts, nstarts);
}

bool scan_entry(struct guest *g, uint32_t addr)
{
    struct patches *t = &g->patches;
    if (!t->seen || addr < t->lo || addr >= t->hi || (t->seen[(addr - t->lo) / 8] >> ((addr - t->lo) % 8) & 1))
        return true;
    return run(g, &addr, 1);
}
