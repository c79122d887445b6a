#include "host/vmm/scan.h"
#include "host/vmm/guest.h"
#include "host/decode/decode.h"
#include "kernel/heap.h"
#include "kernel/string.h"
#include "kernel/cpufeat.h"

/* One scan's work list; what it has seen stays in struct patches. */
struct scan {
    struct guest *g;
    uint32_t lo, hi;
    uint8_t *seen;
    uint32_t *work;
    size_t nwork, capwork;
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

static bool add_patch(struct patches *t, uint32_t addr, const uint8_t *bytes, uint8_t len)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct patch *p = kmalloc(cap * sizeof *p);
        if (!p) return false;
        if (t->p) { memcpy(p, t->p, t->n * sizeof *p); kfree(t->p); }
        t->p = p;
        t->cap = cap;
    }
    size_t i = t->n;
    while (i > 0 && t->p[i - 1].addr > addr) { t->p[i] = t->p[i - 1]; i--; }
    t->p[i].addr = addr;
    t->p[i].len = len;
    memcpy(t->p[i].orig, bytes, len);
    t->n++;
    return true;
}

const struct patch *patch_find(const struct patches *t, uint32_t addr)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->p[mid].addr == addr) return &t->p[mid];
        if (t->p[mid].addr < addr) lo = mid + 1; else hi = mid;
    }
    return 0;
}

void patches_free(struct patches *t)
{
    kfree(t->seen);
    t->seen = 0;
    kfree(t->p);
    t->p = 0;
    t->n = t->cap = 0;
}

/* Instructions that misbehave in ring 1 without faulting. */
static bool sensitive(const struct insn *in)
{
    switch (in->cls) {
    case INSN_PUSHF: case INSN_POPF: case INSN_IRET:
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
            if (!add_patch(&s->g->patches, a, code, in.length))
                return false;
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
    kfree(s.work);
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
