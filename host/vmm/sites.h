/*
 * The side table of trap sites: every guest address where the host has put
 * a trapping instruction of its own, or claims the trap of one, and what
 * it stands for.  One table per guest, keyed by guest linear address,
 * sorted, so that a guest trap is classified by one binary search
 * (host/vmm/emulate.c classify):
 *
 *   SITE_CLAIM  an address a subsystem claims (site_claim, host/vmm/
 *               emulate.h): its #GP(0)
 *               goes to the claimer's handler (the sched peel's
 *               thread-exit stub);
 *   SITE_PEEL   a peeled function's entry (host/peel/peel.c): int 15,
 *               syscall or hlt, served by a native;
 *   SITE_PATCH  a scanner's patch (host/vmm/scan.c): hlt in place of a
 *               pushf, popf, iret (or sgdt & co. without UMIP), whose
 *               original bytes are kept here.
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
    uint32_t addr;                   /* guest linear address */
    uint8_t kind;                    /* enum site_kind */
    uint8_t len;                     /* SITE_PATCH: the bytes in orig */
    union {
        uint8_t orig[SITE_ORIG_MAX]; /* SITE_PATCH: the instruction the hlt displaced */
        struct {
            void *owner;             /* SITE_PEEL: its struct peel_site; SITE_CLAIM: the claimer's */
            site_handler_t handler;  /* SITE_CLAIM */
        };
    };
};

struct sites {
    struct site *s;                  /* sorted by address, then kind */
    size_t n, cap;
    size_t count[SITE_KINDS];
};

/* Add one entry; one of the same address and kind is replaced.  False if
 * out of memory. */
bool sites_add(struct sites *t, const struct site *e);
/* Add n entries at once (sorted here, merged in one pass): none may share
 * an address and kind with another or with an entry already in the table.
 * False if out of memory (then nothing was added). */
bool sites_add_many(struct sites *t, struct site *e, size_t n);
void sites_remove(struct sites *t, uint32_t addr, enum site_kind kind);
/* The entries at addr, claims first: the first one, *n of them; 0 if none. */
const struct site *sites_at(const struct sites *t, uint32_t addr, size_t *n);
const struct site *sites_find(const struct sites *t, uint32_t addr, enum site_kind kind);
void sites_free(struct sites *t);
