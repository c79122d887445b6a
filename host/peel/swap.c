/*
 * Swapping a subsystem: a peel resolves every symbol and native first and
 * then arms all its sites, or refuses and writes nothing; an unpeel writes
 * the displaced bytes back (drain sites wait until the native side owns
 * nothing) and checks that the code equals the image file's again.
 */
#include "host/peel/peel_priv.h"
#include "host/vmm/guest.h"
#include "host/peel/natives.h"
#include "loader/elf32.h"
#include "kernel/console.h"
#include "kernel/printf.h"
#include "kernel/string.h"

/* Does the loaded code, with the scanner's patches undone, equal the
 * image file's bytes?  After an unpeel it must: peels leave no trace. */
static bool code_pristine(struct guest *g)
{
    if (g->code_file + (uint64_t)(g->code_hi - g->code_lo) > g->image_size)
        return false;
    const uint8_t *file = g->image + g->code_file - g->code_lo;
    for (uint32_t a = g->code_lo; a < g->code_hi; a++) {
        const struct site *scan = sites_find(&g->sites, a, SITE_PATCH);
        if (scan && scan->block) {                    /* a patch block's jmp: all its bytes displaced */
            if (a + scan->len > g->code_hi || memcmp(scan->orig, file + a, scan->len))
                return false;
            a += scan->len - 1u;
        } else if ((scan ? scan->orig[0] : g->ram[a]) != file[a]) {
            return false;
        }
    }
    return true;
}

/* Every symbol and native of the subsystem must exist, and its natives'
 * lock policy allow what the manifest asks, before anything is written: a
 * peel happens whole or not at all.  Fills the sites and the kept
 * variables' addresses. */
static const char *resolve(struct guest *g, const struct manifest_subsystem *s, unsigned idx,
                           struct peel_site *out, struct peel_kept *kept)
{
    static char why[112];
    for (unsigned i = 0; i < s->nfns; i++) {
        struct elf32_symbol sym;
        const struct native_subsystem *owner = 0;
        const struct native *n = native_find(s->fns[i].native, &owner);
        if (!guest_symbol(g, s->fns[i].symbol, &sym) || sym.type != ELF32_STT_FUNC) {
            snprintf(why, sizeof why, "the image has no function %s", s->fns[i].symbol);
            return why;
        }
        if (!n) {
            snprintf(why, sizeof why, "no native replacement called %s", s->fns[i].native);
            return why;
        }
        if (s->outside_gkl && !owner->may_leave_gkl) {
            snprintf(why, sizeof why, "%s must run under the guest kernel lock, and the manifest says outside-gkl",
                     s->fns[i].native);
            return why;
        }
        const char *refused = owner->refuses ? owner->refuses(g) : 0;
        if (refused)
            return refused;
        if (!guest_ptr(g, sym.value, 1)) {
            snprintf(why, sizeof why, "%s lies outside guest memory", s->fns[i].symbol);
            return why;
        }
        out[i] = (struct peel_site){ .addr = sym.value, .len = (uint8_t)peel_patch_length(g, sym.value, sym.size),
                                     .subsystem = (uint8_t)idx, .nargs = (uint8_t)s->fns[i].nargs,
                                     .drain = s->fns[i].drain, .native = n, .owner = owner };
    }
    for (unsigned i = 0; i < s->nidle; i++) {
        struct elf32_symbol sym;
        if (!guest_symbol(g, s->idle[i], &sym) || !guest_ptr(g, sym.value, 4)) {
            snprintf(why, sizeof why, "the image has no variable %s", s->idle[i]);
            return why;
        }
    }
    for (unsigned i = 0; i < s->nkeeps; i++) {
        struct elf32_symbol sym;
        if (!guest_symbol(g, s->keeps[i], &sym) || !guest_ptr(g, sym.value, 4)) {
            snprintf(why, sizeof why, "the image has no variable %s", s->keeps[i]);
            return why;
        }
        strncpy_safe(kept[i].symbol, s->keeps[i], MANIFEST_NAME);
        kept[i].addr = sym.value;
    }
    return 0;
}

static void remember_kept(struct peels *p, const struct peel_kept *kept, unsigned n)
{
    for (unsigned i = 0; i < n && p->nkept < sizeof p->kept / sizeof p->kept[0]; i++) {
        bool known = false;
        for (unsigned k = 0; k < p->nkept; k++)
            known |= !strcmp(p->kept[k].symbol, kept[i].symbol);
        if (!known)
            p->kept[p->nkept++] = kept[i];
    }
}

uint32_t peel_kept(struct guest *g, const char *symbol)
{
    for (unsigned i = 0; i < g->peels->nkept; i++)
        if (!strcmp(g->peels->kept[i].symbol, symbol)) return g->peels->kept[i].addr;
    return 0;
}

uint32_t peel_kept_once(struct guest *g, uint32_t *slot, const char *symbol)
{
    uint32_t at = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (!at && (at = peel_kept(g, symbol)))
        __atomic_store_n(slot, at, __ATOMIC_RELAXED);
    return at;
}

/* The changed() hook of each native subsystem whose natives the manifest
 * subsystem uses, once. */
static void tell_natives(struct guest *g, unsigned idx, bool peeled)
{
    const struct manifest_subsystem *s = &g->peels->manifest.subsystems[idx];
    for (unsigned i = 0; i < s->nfns; i++) {
        const struct native_subsystem *ns = 0, *other = 0;
        bool seen = false;
        native_find(s->fns[i].native, &ns);
        for (unsigned k = 0; k < i && ns && ns->changed; k++)
            seen |= native_find(s->fns[k].native, &other) && other == ns;
        if (ns && ns->changed && !seen)
            ns->changed(g, peeled);
    }
}

static const char *peel_on(struct guest *g, unsigned idx)
{
    struct peels *p = g->peels;
    const struct manifest_subsystem *s = &p->manifest.subsystems[idx];
    struct peel_site new_sites[MANIFEST_MAX_FNS];
    struct peel_kept kept[MANIFEST_MAX_KEEPS];
    if (p->draining[idx])
        return "its previous unpeel is still draining (the native side owns objects)";
    if (p->nsites + s->nfns > PEEL_MAX_SITES)
        return "too many peeled functions";
    const char *why = resolve(g, s, idx, new_sites, kept);
    if (why)
        return why;
    for (unsigned i = 0; i < s->nfns; i++)
        for (unsigned j = 0; j < p->nsites; j++)
            if (p->sites[j].addr == new_sites[i].addr)
                return "one of its functions is already peeled by another subsystem";
    for (unsigned i = 0; i < s->nfns; i++)          /* the side table first: no trap it cannot tell */
        if (!sites_add(&g->sites, &(struct site){ .addr = new_sites[i].addr, .kind = SITE_PEEL,
                                                  .owner = &p->sites[p->nsites + i] })) {
            while (i-- > 0) sites_remove(&g->sites, new_sites[i].addr, SITE_PEEL);
            return "out of memory for the side table of trap sites";
        }
    remember_kept(p, kept, s->nkeeps);
    for (unsigned i = 0; i < s->nfns; i++) {
        struct peel_site *site = &p->sites[p->nsites++];
        *site = new_sites[i];
        memcpy(site->orig, &g->ram[site->addr], site->len);
        peel_arm(g, site);
    }
    p->peeled[idx] = true;
    tell_natives(g, idx, true);
    return 0;
}

bool peel_still_owns(struct guest *g, const struct peel_site *site)
{
    return site->drain && site->owner->owned && site->owner->owned(g) > 0;
}

/* Take out the sites which() picks: their bytes back, their side-table
 * entries gone, the rest moved down (their entries follow, no allocation). */
void peel_sites_remove(struct guest *g, bool (*which)(struct guest *, const struct peel_site *, void *), void *arg)
{
    struct peels *p = g->peels;
    unsigned kept = 0;
    for (unsigned i = 0; i < p->nsites; i++) {
        struct peel_site *site = &p->sites[i];
        if (which(g, site, arg)) {
            peel_unarm(g, site);
            sites_remove(&g->sites, site->addr, SITE_PEEL);
        } else {
            p->sites[kept++] = *site;
        }
    }
    p->nsites = kept;
    for (unsigned i = 0; i < kept; i++)
        sites_add(&g->sites, &(struct site){ .addr = p->sites[i].addr, .kind = SITE_PEEL, .owner = &p->sites[i] });
}

struct disarm { unsigned idx; bool keep_draining; };

static bool disarmed(struct guest *g, const struct peel_site *site, void *arg)
{
    const struct disarm *d = arg;
    return site->subsystem == d->idx && !site->gate && !(d->keep_draining && peel_still_owns(g, site));
}

/* Restore this subsystem's sites, except drain sites whose native side still
 * owns objects: those wait (peel_safe_point finishes the job). */
void peel_disarm(struct guest *g, unsigned idx, bool keep_draining)
{
    struct peels *p = g->peels;
    peel_sites_remove(g, disarmed, &(struct disarm){ idx, keep_draining });
    p->draining[idx] = false;
    for (unsigned i = 0; i < p->nsites; i++)
        if (p->sites[i].subsystem == idx && !p->sites[i].gate) p->draining[idx] = true;
    if (p->draining[idx]) {
        peel_want_safe_points(g);                    /* they finish there */
        kprintf("guest %s: unpeel %s: draining: the native side still owns objects the guest will free\n",
                g->name, p->manifest.subsystems[idx].name);
        return;
    }
    bool others = false;
    for (unsigned i = 0; i < p->nsites; i++)
        others |= !p->sites[i].gate;                 /* other subsystems' traps are still in */
    kprintf("guest %s: unpeel %s: code bytes %s\n", g->name, p->manifest.subsystems[idx].name,
            others ? "restored (other peels remain in place)"
                   : code_pristine(g) ? "restored exactly: the code equals the image file's, but for the scanner's patches"
                                      : "DIFFER from the image file");
}

static const char *peel_off(struct guest *g, unsigned idx)
{
    if (g->peels->manifest.subsystems[idx].boot_only)
        return "it is boot-only: its natives hold state the guest's own code could not take back";
    g->peels->peeled[idx] = false;
    peel_disarm(g, idx, true);
    tell_natives(g, idx, false);
    return 0;
}

const char *peel_apply(struct guest *g, unsigned idx, bool peel)
{
    if (peel == g->peels->peeled[idx])
        return peel ? "already peeled" : "not peeled";
    const char *why = peel ? peel_on(g, idx) : peel_off(g, idx);
    char how[48] = "";
    unsigned by[PEEL_PATCH_MAX + 1] = { 0 };
    for (unsigned i = 0; peel && !why && i < g->peels->nsites; i++)
        if (g->peels->sites[i].subsystem == idx) by[g->peels->sites[i].len]++;
    if (peel && !why)
        snprintf(how, sizeof how, " (entered by %s %u, by hlt %u)", peel_by_syscall ? "syscall" : "int", by[2], by[1]);
    kprintf("guest %s: %s %s%s%s%s\n", g->name, peel ? "peel" : "unpeel", g->peels->manifest.subsystems[idx].name,
            why ? " refused: " : " done", why ? why : "", how);
    return why;
}
