/*
 * The side table of trap sites: every guest address where the host has put
 * a trapping instruction of its own, or claims the trap of one, and what
 * it stands for.  One table per guest, keyed by guest-physical address (the
 * linear one while the guest runs with paging off): the
 * entries sorted by address, with a hash index over the addresses, so that
 * classifying a guest trap (host/vmm/emulate.c classify) costs one probe,
 * rarely two, however many sites there are:
 *
 *   SITE_CLAIM  an address a subsystem claims (site_claim, host/vmm/
 *               emulate.h): its #GP(0) goes to the claimer's handler (the
 *               sched peel's thread-exit stub);
 *   SITE_PEEL   a peeled function's entry (host/peel/swap.c): int 15,
 *               syscall or hlt, served by a native;
 *   SITE_PATCH  a scanner's patch (host/vmm/scan.c): hlt in place of a
 *               pushf, popf, iret, cpuid (or sgdt & co. without UMIP), whose
 *               original bytes are kept here; or a patch block's jmp in
 *               place of len bytes (block set), and each of its stubs in the
 *               arena (host/vmm/blocks.h), a hlt for the one byte in orig.
 *
 * An address may hold several kinds (a peeled function that begins with a
 * patched pushf): they sort by kind, and the first that applies wins.
 * Written and read under the guest kernel lock (or before the guest runs).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "kernel/trap.h"

struct guest;
struct vcpu;

enum site_kind { SITE_CLAIM, SITE_PEEL, SITE_PATCH, SITE_KINDS };

/* A claimed address trapped (#GP(0) with EIP there): true if the claimer
 * handled it; false declines it, and the trap is classified as though the
 * address were not claimed. */
typedef bool (*site_handler_t)(struct vcpu *v, struct trapframe *tf, void *owner);

#define SITE_ORIG_MAX 15

struct site {
    uint32_t addr;                   /* guest-physical address */
    uint8_t kind;                    /* enum site_kind */
    uint8_t len;                     /* SITE_PATCH: the bytes in orig */
    uint16_t table;                  /* SITE_PATCH of a jump table's jmp: its entries (scan.c), else 0 */
    union {
        struct {
            uint8_t orig[SITE_ORIG_MAX];   /* SITE_PATCH: the instruction the hlt displaced */
            bool block;                    /* SITE_PATCH: a patch block's jmp displaced all len bytes
                                              (host/vmm/blocks.h); no trap is taken here */
        };
        struct {
            void *owner;             /* SITE_PEEL: its struct peel_site; SITE_CLAIM: the claimer's */
            site_handler_t handler;  /* SITE_CLAIM */
        };
    };
};

struct sites {
    struct site *s;                  /* sorted by address, then kind */
    size_t n, cap;
    /* Open addressing by address, rebuilt at every change (changes are
     * rare: a scan, a peel, a claim): 1 + the index in s of the first
     * entry at an address, 0 for an empty slot.  At most half full. */
    uint32_t *index;
    uint32_t mask, shift;            /* slots - 1; 32 - log2(slots) */
    size_t count[SITE_KINDS];
    uint32_t gen;                    /* bumped at every change: an entry found before is still good if equal */
};

/* Add one entry; one of the same address and kind is replaced.  False if
 * out of memory. */
bool sites_add(struct sites *t, const struct site *e);
/* Add n entries at once (sorted here, merged in one pass): none may share
 * an address and kind with another or with an entry already in the table.
 * False if out of memory (then nothing was added). */
bool sites_add_many(struct sites *t, struct site *e, size_t n);
void sites_remove(struct sites *t, uint32_t addr, enum site_kind kind);
/* Remove every entry of kind in [lo, hi), calling each() with it first
 * (one pass, one reindex); how many went. */
size_t sites_take_range(struct sites *t, uint32_t lo, uint32_t hi, enum site_kind kind,
                        void (*each)(const struct site *e, void *ctx), void *ctx);
void sites_free(struct sites *t);

/* The first entry at addr, or 0; the others at addr follow it, up to
 * sites_end, in kind order (claims first). */
static inline const struct site *sites_at(const struct sites *t, uint32_t addr)
{
    if (!t->index)
        return 0;
    for (uint32_t h = (addr * 0x9e3779b1u) >> t->shift;; h = (h + 1) & t->mask) {
        uint32_t i = t->index[h];
        if (!i || t->s[i - 1].addr == addr)
            return i ? &t->s[i - 1] : 0;
    }
}

static inline const struct site *sites_end(const struct sites *t)
{
    return t->s + t->n;
}

static inline const struct site *sites_find(const struct sites *t, uint32_t addr, enum site_kind kind)
{
    const struct site *e = sites_at(t, addr);
    for (; e && e < sites_end(t) && e->addr == addr; e++)
        if (e->kind == kind)
            return e;
    return 0;
}
