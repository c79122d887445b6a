/*
 * A manifest subsystem's guest code, from the image's symbols: the bytes of
 * its functions and the addresses of its idle words, looked up once; which
 * subsystem an address is in (the quiescence scan, the profiler).
 */
#include "host/peel/peel_priv.h"
#include "host/vmm/guest.h"
#include "loader/elf32.h"

int peel_fn_at(struct guest *g, unsigned idx, uint32_t a)
{
    const struct manifest_subsystem *s = &g->peels->manifest.subsystems[idx];
    if (a < g->peels->span[idx].lo || a >= g->peels->span[idx].hi)
        return -1;                                   /* most words: one comparison */
    for (unsigned i = 0; i < s->nfns; i++)
        if (a >= g->peels->code[idx][i].lo && a < g->peels->code[idx][i].hi)
            return (int)i;
    return -1;
}

bool peel_in_code(struct guest *g, unsigned idx, uint32_t a)
{
    return peel_fn_at(g, idx, a) >= 0;
}

/* A subsystem's functions' bytes and its idle words' addresses, looked up
 * once (a missing symbol stays 0: resolve refuses such a peel anyway). */
void peel_learn_subsystem(struct guest *g, unsigned idx)
{
    struct peels *p = g->peels;
    const struct manifest_subsystem *s = &p->manifest.subsystems[idx];
    if (!p->code_known[idx]) {
        for (unsigned i = 0; i < s->nfns; i++) {
            struct elf32_symbol sym;
            bool ok = guest_symbol(g, s->fns[i].symbol, &sym);
            p->code[idx][i].lo = ok ? sym.value : 0;
            p->code[idx][i].hi = ok ? sym.value + (sym.size ? sym.size : 1) : 0;
            if (ok && (!p->span[idx].hi || p->code[idx][i].lo < p->span[idx].lo)) p->span[idx].lo = p->code[idx][i].lo;
            if (ok && p->code[idx][i].hi > p->span[idx].hi) p->span[idx].hi = p->code[idx][i].hi;
        }
        for (unsigned i = 0; i < s->nidle; i++) {
            struct elf32_symbol sym;
            p->idle_at[idx][i] = guest_symbol(g, s->idle[i], &sym) ? sym.value : 0;
        }
        p->code_known[idx] = true;
    }
}

int peel_subsystem_at(struct guest *g, uint32_t addr)
{
    for (unsigned i = 0; g->peels->have_manifest && i < g->peels->manifest.nsubsystems; i++) {
        peel_learn_subsystem(g, i);
        if (peel_in_code(g, i, addr))
            return (int)i;
    }
    return -1;
}
