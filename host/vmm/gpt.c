/*
 * The guest page-table walker (SDM Vol. 3A, 4.3 "32-bit paging", 4.6
 * "access rights", 4.7 "page-fault exceptions", 4.8 "accessed and dirty").
 *
 * Every entry is read once into a local: the tables are guest memory that
 * another vCPU may rewrite while we walk, so nothing is judged on one read
 * and used on another.  Accessed and Dirty are set with a locked
 * compare-exchange against the value the walk judged, as the CPU does; if
 * the entry changed meanwhile, the walk starts again.
 *
 * Which Accessed bits a faulting walk sets follows the CPU (and QEMU, our
 * bare-metal oracle): a present page directory entry that points to a page
 * table is marked as soon as it is used, even if the page table entry then
 * faults; the leaf (the PTE, or the PDE of a 4 MiB page) only when the
 * access is allowed.
 */
#include "host/vmm/gpt.h"

/* A guest that keeps rewriting the entries we walk, from another vCPU, is
 * not allowed to hold us: after this many restarts the bits are ORed in. */
#define GPT_RETRIES 16

static enum gpt_status bad(const char **why, const char *s)
{
    *why = s;
    return GPT_BAD_TABLE;
}

static uint32_t load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Set bits in an entry the walk read as seen; false if it changed since. */
static bool mark(uint32_t *p, uint32_t seen, uint32_t bits, bool force)
{
    if ((seen & bits) == bits)
        return true;
    if (force) {
        __atomic_fetch_or(p, bits, __ATOMIC_SEQ_CST);
        return true;
    }
    return __atomic_compare_exchange_n(p, &seen, seen | bits, false,
                                       __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

/* May this access use a page with these combined R/W and U/S bits?  A
 * ring-3 access needs U, and W to write; a supervisor reads anything and
 * writes a read-only page only while CR0.WP is clear (SDM 4.6.1). */
static bool allowed(const struct gpt_env *e, uint32_t access, bool w, bool u)
{
    if ((access & PF_U) && !u)
        return false;
    if (!(access & PF_W) || w)
        return true;
    return !(access & PF_U) && !(e->cr0 & CR0_WP);
}

static enum gpt_status fault(uint32_t *pfec, uint32_t access, uint32_t bits)
{
    *pfec = (access & (PF_W | PF_U)) | bits;
    return GPT_FAULT;
}

/* One walk; GPT_OK with *retry set if an entry changed under it. */
static enum gpt_status walk(const struct gpt_env *e, uint32_t lin, uint32_t access,
                            struct gpt_map *m, uint32_t *pfec, const char **why,
                            bool force, bool *retry)
{
    uint32_t *pdep = e->word(e->ctx, (e->cr3 & PG32_ADDR) | (lin >> 22) << 2);
    if (!pdep)
        return bad(why, "its page directory is outside guest RAM");
    uint32_t pde = load(pdep);
    if (!(pde & PG32_P))
        return fault(pfec, access, 0);

    uint32_t *leafp, leaf, gpa;
    bool w, u, big = (pde & PG32_PS) && (e->cr4 & CR4_PSE);
    if (big) {
        if (pde & PG32_BIG_RSVD)
            return fault(pfec, access, PF_P | PF_RSVD);
        leafp = pdep;
        leaf = pde;
        gpa = (pde & PG32_BIG_ADDR) | (lin & ~PG32_BIG_ADDR);
        w = pde & PG32_W;
        u = pde & PG32_U;
    } else {
        if (!e->peek && !mark(pdep, pde, PG32_A, force)) {
            *retry = true;
            return GPT_OK;
        }
        leafp = e->word(e->ctx, (pde & PG32_ADDR) | (lin >> 12 & 0x3ff) << 2);
        if (!leafp)
            return bad(why, "one of its page tables is outside guest RAM");
        leaf = load(leafp);
        if (!(leaf & PG32_P))
            return fault(pfec, access, 0);
        gpa = (leaf & PG32_ADDR) | (lin & ~PG32_ADDR);
        w = (pde & leaf & PG32_W) != 0;
        u = (pde & leaf & PG32_U) != 0;
    }
    if (!allowed(e, access, w, u))
        return fault(pfec, access, PF_P);
    if (!e->word(e->ctx, gpa & ~3u))
        return bad(why, "its page tables map a page outside guest RAM");

    uint32_t bits = PG32_A | (access & PF_W ? PG32_D : 0);
    if (!e->peek && !mark(leafp, leaf, bits, force)) {
        *retry = true;
        return GPT_OK;
    }
    m->gpa = gpa;
    m->writable = w;
    m->user = u;
    m->global = (leaf & PG32_G) && (e->cr4 & CR4_PGE);
    m->big = big;
    m->dirty = (leaf | (e->peek ? 0 : bits)) & PG32_D;   /* a peek leaves it as it is */
    return GPT_OK;
}

enum gpt_status gpt_walk(const struct gpt_env *e, uint32_t lin, uint32_t access,
                         struct gpt_map *m, uint32_t *pfec, const char **why)
{
    if (!(e->cr0 & CR0_PG)) {
        if (!e->word(e->ctx, lin & ~3u))
            return bad(why, "it addressed memory outside guest RAM");
        *m = (struct gpt_map){ .gpa = lin, .writable = true, .user = true, .dirty = true };
        return GPT_OK;
    }
    if (e->cr4 & CR4_PAE)
        return bad(why, "PAE paging is not supported");
    for (unsigned n = 0;; n++) {
        bool retry = false;
        enum gpt_status s = walk(e, lin, access, m, pfec, why, n >= GPT_RETRIES, &retry);
        if (!retry)
            return s;
    }
}
