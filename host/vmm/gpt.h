/*
 * The guest's page tables: a walker of 32-bit two-level paging (SDM Vol. 3A,
 * 4.3) that answers, for one access, what the CPU would: the guest-physical
 * address and its effective permissions, or the #PF it would raise.  It
 * writes Accessed and Dirty into the guest's entries as the CPU does.
 *
 * Pure (guest memory comes through env->word): unit-tested in
 * tests/unit/test_gpt.c.  Used by the shadow page tables (host/vmm/shadow.c)
 * and by the segmentation/translation layer (host/vmm/gmem.c).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/x86-defs.h"     /* CR0/CR4 and 32-bit paging-entry bits */

/* #PF error-code bits, as the CPU pushes them */
#define PF_P 1u    /* the page was present: a protection violation */
#define PF_W 2u    /* a write */
#define PF_U 4u    /* from ring 3 */
#define PF_RSVD 8u /* a reserved bit was set in a paging entry (P is set too) */
/* (PF_I, bit 4, is never reported to a 32-bit guest without NX/SMEP: our CPUID policy has neither;
 * the host's own #PF has it for a fetch from an NX shadow page) */
#define PF_I 16u

enum gpt_status { GPT_OK, GPT_FAULT, GPT_BAD_TABLE };

struct gpt_env {
    uint32_t cr0, cr3, cr4;            /* the guest's, as it wrote them */
    void *ctx;                          /* for word() */
    /* The guest-physical dword at gpa (4-byte aligned), or NULL if outside guest RAM */
    uint32_t *(*word)(void *ctx, uint32_t gpa);
    /* A lookup, not an access: nothing is written to the tables (no
     * Accessed, no Dirty).  The scanner following code and the host
     * finding which physical page EIP is on are not the guest's accesses:
     * the CPU would set nothing for them. */
    bool peek;
};

struct gpt_map {
    uint32_t gpa;                       /* the guest-physical address of lin */
    bool writable, user, global, big;   /* effective permissions (PDE and PTE combined) */
    bool dirty;                         /* the leaf's Dirty bit, after this walk */
};

/* Walk the guest's two-level tables for one access at linear address lin.
 * access: PF_W for a write, PF_U for a ring-3 access, 0 for a supervisor read/fetch.
 * GPT_OK: *m filled, Accessed set in both entries and Dirty in the leaf on a write.
 * GPT_FAULT: *pfec is the #PF error code the CPU would push (CR2 = lin).
 * GPT_BAD_TABLE: a table or the page is outside guest RAM (*why says which):
 * the guest is stopped with that sentence.
 *
 * writable and user are the entries' R/W and U/S bits ANDed (what a ring-3
 * access may do); a supervisor may also write a read-only page while
 * CR0.WP is clear.  global is the leaf's G bit while CR4.PGE is set.  With
 * CR0.PG clear the walk is the identity, everything allowed. */
enum gpt_status gpt_walk(const struct gpt_env *e, uint32_t lin, uint32_t access,
                         struct gpt_map *m, uint32_t *pfec, const char **why);
