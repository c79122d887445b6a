/*
 * Shadow paging: the virtual TLB of a vCPU whose guest turned paging on.
 *
 * Layout.  A PML4 from vm_space_create (the host's upper half, shared),
 * whose entry 0 names one PDPT whose entries 0-3 name four page
 * directories, 1 GiB each: guest PDE i (4 MiB) is shadow PD entries 2i and
 * 2i+1, each a table of 4 KiB entries from the vCPU's pool.  The tables
 * above the leaves allow everything (P W U); a leaf allows what the
 * guest's entries allow, for host frames of this guest's RAM only.  No
 * shadow entry is global: the space is one vCPU's, and a thread switch
 * must take it from the TLB.
 *
 * Exactness.  The CPU never caches a not-present entry and may drop a
 * cached one whenever it likes, so a shadow entry may always be dropped,
 * and one is made only from a walk of the guest's tables that set Accessed
 * (host/vmm/gpt.c) as the CPU's walk would.  A leaf is writable only once
 * the guest's Dirty is set, by this write or an earlier one: a first write
 * faults here, and the walk sets Dirty; so A and D are exact.  A change of
 * CR0.PG/WP/PE or CR4.PSE/PGE/PAE drops everything; invlpg drops one
 * entry, or, where the guest mapped a 4 MiB page, all of that page's.  mov
 * to CR3 drops what the guest's non-global entries made and keeps what its
 * global ones made (G with CR4.PGE), as the CPU's TLB does: a kernel that
 * marks its own mappings global (Linux does) then pays for them once, not
 * after every address-space switch (Linux: 23,000 a boot).  The guest
 * changes a global mapping with invlpg or a CR4.PGE toggle, as on the CPU.
 *
 * Privilege.  The guest's ring 0 is real ring 1, and ring 1 is supervisor
 * for paging, like ring 0: a guest-supervisor page is a shadow page
 * without U, which guest ring 3 (real ring 3) cannot touch.  The host's
 * CR0.WP is set (boot/entry.asm), so a ring-1 write to a read-only leaf
 * faults: that is what Dirty tracking and the guest's own CR0.WP=1 need.
 * Guest CR0.WP=0 lets its supervisor write a read-only page, which one
 * shadow leaf cannot say for a page its user code may still read: such a
 * page is mapped writable but supervisor-only on a supervisor write, and
 * read-only with U otherwise, each fault switching it (as KVM does for
 * the same case).  The host never sets CR4.SMEP or CR4.SMAP
 * (kernel/cpufeat.c): with them, the guest kernel's accesses to its user
 * pages (U leaves) would fault in ring 1 as they never do on the guest's
 * CPU.  A shadow is refused if the host ever gains them, rather than
 * guessing what else would have to change.
 *
 * Concurrency.  Only the vCPU's own thread changes its shadow, in a trap,
 * with the guest kernel lock; its root is loaded on the one CPU that runs
 * that thread, and every switch away writes CR3 (no PCIDs), so a change
 * needs only this CPU's TLB flushed.  shadow_flush_guest, for the others,
 * bumps a generation that each vCPU compares when it takes the lock (its
 * way back into guest code after being out), so no trap pays for it.
 */
#include "host/vmm/shadow.h"
#include "host/vmm/gpt.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/guest.h"
#include "host/vmm/codepage.h"
#include "host/vmm/rom.h"
#include "host/vmm/scan.h"
#include "host/vmm/blocks.h"
#include "kernel/heap.h"
#include "kernel/pmm.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/vm.h"
#include "kernel/x86.h"
#include "smp/percpu.h"
#include "smp/spinlock.h"
#include "sched/sched.h"
#include "kernel/console.h"

/* Page tables per vCPU: 256 MiB of guest linear space mapped at once.
 * When they are all in use the shadow starts again from nothing. */
#define SHADOW_POOL  128
#define SHADOW_SLOTS 2048                   /* 2 MiB slots in the low 4 GiB */
#define SLOT_SIZE    (1u << 21)
#define TABLE_FLAGS  (PTE_P | PTE_W | PTE_U)
#define LEAF_GLOBAL  (1ul << 9)             /* (ignored by the CPU) made from a guest global entry */

struct shadow {
    uint64_t root;                          /* the PML4 (physical) */
    uint64_t *pdpt, *pd[4];
    uint64_t *pool[SHADOW_POOL];            /* page tables, allocated as first needed */
    unsigned allocated, used;
    unsigned pd_used;                       /* a bit per page directory with entries */
    uint8_t big[SHADOW_SLOTS / 8];          /* slots filled from a guest 4 MiB page */
    /* slots with a leaf a CR3 load drops (not LEAF_GLOBAL), and a list of
     * them: a slot with leaves has a table from the pool, so at most
     * SHADOW_POOL */
    uint8_t local[SHADOW_SLOTS / 8];
    uint16_t local_slot[SHADOW_POOL];
    unsigned nlocal;
    uint64_t gen;                           /* the guest's shadow_gen at the last drop */
    uint64_t fills, faults, drops, switches;
};

/* Scan-on-execute (host/vmm/codepage.h, "paging on"): a leaf may be
 * executable only where the scanner says the page's code may run as it
 * is, and is then read-only, so that a write to it faults and can drop its
 * scan and patches first.  A fetch from a leaf that is NX for that reason
 * faults with the host's PF_I; the fault goes to the scanner
 * (codepage_paged_fault) before the fill, as does a write to a leaf that
 * is read-only for it.  When a page loses either permission, the scanner
 * calls shadow_flush_guest (g->codepages.dropped): no leaf filled before
 * allows what it may no longer. */
static bool exec_allowed(struct guest *g, uint32_t gpa)
{
    return codepage_may_exec(g, gpa);
}

static bool scanned_code(struct guest *g, uint32_t gpa)
{
    return codepage_read_only(g, gpa);
}

/* Stop the guest: what, at linear address lin if the fault had one. */
static void stop(struct vcpu *v, const char *what, const uint32_t *lin)
{
    char why[128], at[24] = "";
    if (lin)
        snprintf(at, sizeof at, "linear 0x%x, ", *lin);
    snprintf(why, sizeof why, "%s (%seip 0x%lx)", what, at, v->tf ? v->tf->rip : 0ul);
    guest_end(v->guest, GUEST_DEAD, -1, why);
}

/* ---- the shadow's own tables ---------------------------------------------- */

static void destroy(struct shadow *s)
{
    for (unsigned i = 0; i < s->allocated; i++)
        page_free(s->pool[i], 1);
    for (unsigned i = 0; i < 4; i++)
        if (s->pd[i])
            page_free(s->pd[i], 1);
    if (s->pdpt)
        page_free(s->pdpt, 1);
    if (s->root) {
        ((uint64_t *)phys_to_virt(s->root))[0] = 0;   /* the tables below were ours: freed above */
        vm_space_destroy(s->root);
    }
    kfree(s);
}

static struct shadow *create(struct vcpu *v)
{
    struct shadow *s = kzalloc(sizeof *s);
    if (!s)
        return 0;
    s->root = vm_space_create();
    s->pdpt = page_alloc(1);
    bool ok = s->root && s->pdpt;
    for (unsigned i = 0; i < 4; i++)
        ok = (s->pd[i] = page_alloc(1)) && ok;
    if (!ok) {
        destroy(s);
        return 0;
    }
    ((uint64_t *)phys_to_virt(s->root))[0] = virt_to_phys(s->pdpt) | TABLE_FLAGS;
    for (unsigned i = 0; i < 4; i++)
        s->pdpt[i] = virt_to_phys(s->pd[i]) | TABLE_FLAGS;
    s->gen = __atomic_load_n(&v->guest->shadow_gen, __ATOMIC_ACQUIRE);
    v->guest->codepages.dropped = shadow_flush_guest;   /* scan-on-execute's changes reach every shadow */
    return s;
}

/* This CPU's TLB, if it holds the shadow (see Concurrency above). */
static void tlb_flush(struct shadow *s)
{
    pushcli();
    if (read_cr3() == s->root)
        write_cr3(s->root);
    popcli();
}

static void drop_all(struct shadow *s)
{
    for (unsigned i = 0; i < 4; i++)
        if (s->pd_used & 1u << i)
            memset(s->pd[i], 0, PAGE_SIZE);
    s->pd_used = 0;
    s->used = 0;
    memset(s->big, 0, sizeof s->big);
    memset(s->local, 0, sizeof s->local);
    s->nlocal = 0;
    s->drops++;
    tlb_flush(s);
}

static uint64_t *slot_entry(struct shadow *s, unsigned slot)
{
    return &s->pd[slot >> 9][slot & 511];
}

/* The page table of a 2 MiB slot, from the pool if it has none; NULL if
 * there is no memory for even one. */
static uint64_t *table(struct shadow *s, unsigned slot)
{
    uint64_t *pde = slot_entry(s, slot);
    if (*pde & PTE_P)
        return phys_to_virt(*pde & PTE_ADDR);
    if (s->used == SHADOW_POOL)
        drop_all(s);                        /* dry: start again */
    if (s->used == s->allocated) {
        uint64_t *t = page_alloc(1);
        if (t)
            s->pool[s->allocated++] = t;
        else if (s->used)
            drop_all(s);
        else
            return 0;
    }
    uint64_t *t = s->pool[s->used++];
    memset(t, 0, PAGE_SIZE);
    *pde = virt_to_phys(t) | TABLE_FLAGS;
    s->pd_used |= 1u << (slot >> 9);
    return t;
}

static bool is_big(const struct shadow *s, unsigned slot) { return s->big[slot / 8] >> (slot % 8) & 1; }

/* A leaf that a CR3 load drops goes into slot. */
static void mark_local(struct shadow *s, unsigned slot)
{
    if (s->local[slot / 8] >> (slot % 8) & 1)
        return;
    s->local[slot / 8] |= (uint8_t)(1u << (slot % 8));
    s->local_slot[s->nlocal++] = (uint16_t)slot;
}

/* mov to CR3: every leaf but the global ones dropped (see Exactness). */
static void drop_local(struct shadow *s)
{
    for (unsigned i = 0; i < s->nlocal; i++) {
        unsigned slot = s->local_slot[i];
        uint64_t *pde = slot_entry(s, slot);
        uint64_t *t = *pde & PTE_P ? phys_to_virt(*pde & PTE_ADDR) : 0;
        for (unsigned j = 0; t && j < 512; j++)
            if (!(t[j] & LEAF_GLOBAL))
                t[j] = 0;
        s->local[slot / 8] &= (uint8_t)~(1u << (slot % 8));
    }
    s->nlocal = 0;
    s->switches++;
    tlb_flush(s);
}

/* Drop what the shadow holds for linear address lin: its entry, or all of
 * a guest 4 MiB page's (both slots) if it came from one. */
static void drop(struct shadow *s, uint32_t lin)
{
    unsigned slot = lin >> 21, pair = slot & ~1u;
    if (is_big(s, pair) || is_big(s, pair + 1)) {
        for (unsigned i = pair; i < pair + 2; i++)
            if (*slot_entry(s, i) & PTE_P)
                memset(phys_to_virt(*slot_entry(s, i) & PTE_ADDR), 0, PAGE_SIZE);
        s->big[pair / 8] &= (uint8_t)~(3u << (pair % 8));
        tlb_flush(s);
        return;
    }
    uint64_t *pde = slot_entry(s, slot);
    if (!(*pde & PTE_P))
        return;
    ((uint64_t *)phys_to_virt(*pde & PTE_ADDR))[lin >> 12 & 511] = 0;
    invlpg(lin);                            /* harmless if another space is loaded */
}

/* ---- filling from the guest's tables -------------------------------------- */

static uint32_t *guest_word(void *ctx, uint32_t gpa)
{
    return guest_ptr(ctx, gpa, 4);
}

/* A leaf's permission bits for what the walk m allowed, made on this
 * access (see Privilege above for guest CR0.WP=0). */
static uint64_t leaf_perms(const struct vcpu *v, uint32_t access, const struct gpt_map *m)
{
    bool wp = v->cr0 & CR0_WP, user = access & PF_U;
    if (!m->writable && m->user && !wp && !user)
        return access & PF_W ? PTE_W : PTE_U;
    bool w = m->dirty && (m->writable || (!wp && !user));
    return (w ? PTE_W : 0) | (m->user ? PTE_U : 0);
}

/* The leaf for guest-physical page gpa at linear lin (user: the guest's
 * entries allow ring 3), or 0 (not present) outside RAM. */
static uint64_t leaf(struct guest *g, uint32_t lin, uint32_t gpa, uint64_t perms)
{
    uint8_t *p = guest_ptr(g, gpa & ~0xfffu, PAGE_SIZE);
    if (!p)
        return 0;
    if (blocks_owns(&g->blocks, gpa)) {     /* the guest's own mapping of the blocks' arena: as paging off has it */
        bool flags = (gpa & ~0xfffu) == g->blocks.base;
        return virt_to_phys(p) | PTE_P | (flags ? perms | PTE_NX : rom_writable(g, gpa) ? perms : perms & ~PTE_W);
    }
    if (!exec_allowed(g, gpa)) {
        perms |= PTE_NX;
    } else {
        if (blocks_alias(g, lin, gpa, perms & PTE_U))
            perms |= PTE_NX;                /* its patch blocks jump to another page: a fetch faults */
        if (scanned_code(g, gpa))
            perms &= ~PTE_W;
    }
    if (!rom_writable(g, gpa))
        perms &= ~PTE_W;                    /* the BIOS area: a write faults, to be dropped (rom.h) */
    return virt_to_phys(p) | PTE_P | perms;
}

/* A guest 4 MiB page is one entry of the guest's, and one entry of the
 * CPU's TLB would cover it all: its half in this slot is filled at once,
 * each 4 KiB page as the scan hooks say. */
static bool fill(struct vcpu *v, struct shadow *s, uint32_t lin, uint32_t access, const struct gpt_map *m)
{
    unsigned slot = lin >> 21;
    uint64_t *t = table(s, slot);
    if (!t) {
        stop(v, "out of memory for its shadow page tables", &lin);
        return false;
    }
    uint64_t perms = leaf_perms(v, access, m) | (m->global ? LEAF_GLOBAL : 0);
    if (!m->global)
        mark_local(s, slot);
    s->fills++;
    if (!m->big) {
        t[lin >> 12 & 511] = leaf(v->guest, lin, m->gpa, perms);
    } else {
        uint32_t base = m->gpa & ~(SLOT_SIZE - 1);
        for (unsigned i = 0; i < 512; i++)
            t[i] = leaf(v->guest, (lin & ~(SLOT_SIZE - 1)) + i * PAGE_SIZE, base + i * PAGE_SIZE, perms);
        s->big[slot / 8] |= (uint8_t)(1u << (slot % 8));
    }
    invlpg(lin);                            /* the rest of a 4 MiB page faults once more if stale */
    return true;
}

/* The leaf of the arena's page at guest-physical at, as its window shows
 * it: the flags page writable and NX, code read-only; supervisor. */
static uint64_t arena_leaf(const struct guest *g, uint32_t at)
{
    bool flags = (at & ~4095u) == g->blocks.base;
    return virt_to_phys(g->ram + (at & ~4095u)) | PTE_P | (flags ? PTE_W | PTE_NX : 0);
}

/* The patch blocks' arena where the guest's tables map nothing at lin
 * (host/vmm/blocks.c, "the arena's window"), for its kernel: code to run,
 * never to write; the flags page to write, never to run.  False if lin is
 * not the arena's, or the access is one the arena does not allow (the
 * guest's #PF, as where nothing is mapped). */
static bool fill_arena(struct vcpu *v, struct shadow *s, uint32_t lin, uint32_t error)
{
    struct guest *g = v->guest;
    uint32_t at = blocks_arena(&g->blocks, lin);
    if (!at || (error & PF_U))
        return false;
    bool flags = (at & ~4095u) == g->blocks.base;
    if (flags ? (error & PF_I) : (error & PF_W))
        return false;
    uint64_t *t = table(s, lin >> 21);
    if (!t)
        return false;
    t[lin >> 12 & 511] = arena_leaf(g, at);
    mark_local(s, lin >> 21);               /* (the next address space may map the window) */
    s->fills++;
    invlpg(lin);
    return true;
}

/* After a CR3 load: the arena's pages in use mapped at once, where the
 * guest maps nothing (blocks_window_check has just looked), rather than
 * each faulting in again (Linux switches address space 23,000 times a
 * boot; three arena pages faulted in after each). */
static void prefill_arena(struct vcpu *v, struct shadow *s)
{
    const struct blocks *b = &v->guest->blocks;
    if (!b->lin || b->lin == b->base || !(v->cr0 & CR0_PG))
        return;
    uint32_t end = blocks_lin(b, BLOCKS_CODE_BASE(b)) + ((b->used + 4095) & ~4095u);   /* (flags, targets, code) */
    for (uint32_t lin = b->lin; lin < end; lin += PAGE_SIZE) {
        uint64_t *t = table(s, lin >> 21);
        if (!t)
            return;
        uint32_t at = blocks_arena(b, lin);
        t[lin >> 12 & 511] = arena_leaf(v->guest, at);
        mark_local(s, lin >> 21);
    }
}

bool shadow_page_fault(struct vcpu *v, struct trapframe *tf, uint32_t lin)
{
    struct shadow *s = v->shadow;
    if (!(v->cr0 & CR0_PG) || !s)
        return false;
    if (lin >> 22 == v->guest->blocks.lin >> 22)
        blocks_window_check(v);             /* the guest may be mapping the window's 4 MiB */
    uint32_t access = (uint32_t)tf->error & (PF_W | PF_U);
    struct gpt_env e = { .cr0 = v->cr0, .cr3 = v->cr3, .cr4 = v->cr4, .ctx = v->guest, .word = guest_word };
    struct gpt_map m;
    uint32_t pfec;
    const char *why;
    switch (gpt_walk(&e, lin, access, &m, &pfec, &why)) {
    case GPT_OK:
        if ((tf->error & PF_I) && blocks_owns(&v->guest->blocks, m.gpa)) {
            stop(v, "it jumped into the patch blocks' flags page, which its memory map reserves", &lin);
            return true;
        } else if ((tf->error & PF_I) && !exec_allowed(v->guest, m.gpa)) {
            if (!codepage_paged_fault(v, tf, lin, m.gpa, false))
                return true;                /* stopped: no memory to scan it */
        } else if ((access & PF_W) && !rom_writable(v->guest, m.gpa)) {
            /* a write to the ROM: stepped with the page writable, its
             * bytes put back after (host/vmm/rom.h) */
            if (scanned_code(v->guest, m.gpa))
                codepage_paged_fault(v, tf, lin, m.gpa, true);
            if (!rom_step_begin(v, tf, lin, m.gpa))
                return true;                /* stopped: a write of more pages than a step keeps */
        } else if ((access & PF_W) && scanned_code(v->guest, m.gpa)) {
            codepage_paged_fault(v, tf, lin, m.gpa, true);
        } else if ((tf->error & PF_I) && blocks_alias(v->guest, lin, m.gpa, m.user)) {
            blocks_exec_alias(v->guest, m.gpa);   /* run here, its patch blocks would jump to the other page */
        } else if ((tf->error & PF_I) && !v->guest->codepages.stepping && lin == vcpu_linear_ip(v, tf) &&
                   !scan_seen(v->guest, m.gpa)) {
            /* a scanned page entered where no scan has been (a pointer, a
             * gate): the fill is a chance to scan from there first (not
             * while the host steps a write over code: those bytes change) */
            if (!codepage_paged_fault(v, tf, lin, m.gpa, false))
                return true;
        }
        fill(v, s, lin, access, &m);
        return true;
    case GPT_FAULT:
        if (fill_arena(v, s, lin, (uint32_t)tf->error))
            return true;
        codepage_step_abort(v, tf);         /* (a write over code being stepped faults in the guest's tables) */
        drop(s, lin);                       /* a #PF takes the address from the TLB */
        s->faults++;
        v->cr2 = lin;
        v->exits[VEXIT_EXCEPTION]++;
        vcpu_reflect(v, tf, VEC_PF, true, pfec);
        return true;
    case GPT_BAD_TABLE:
    default:
        stop(v, why, &lin);
        return true;
    }
}

/* ---- control registers, invlpg, life ---------------------------------------- */

/* The thread's address space (the scheduler loads it from t->cr3). */
static void load(struct vcpu *v)
{
    uint64_t root = v->cr0 & CR0_PG ? v->shadow->root : v->guest->root;
    pushcli();
    current_thread()->cr3 = root;
    if (read_cr3() != root)
        write_cr3(root);
    popcli();
}

/* Paging on: the vCPU has a shadow, and the guest asks nothing we lack. */
static bool paging_ready(struct vcpu *v)
{
    if (v->cr4 & CR4_PAE) {
        stop(v, "PAE paging is not supported", 0);
        return false;
    }
    if (read_cr4() & (CR4_SMEP | CR4_SMAP)) {
        stop(v, "the host runs with SMEP or SMAP, which ring 1 as the guest's supervisor cannot live with", 0);
        return false;
    }
    if (!v->shadow && !(v->shadow = create(v))) {
        stop(v, "out of memory for its shadow page tables", 0);
        return false;
    }
    return true;
}

bool shadow_cr_written(struct vcpu *v, unsigned cr, uint32_t old)
{
    uint32_t now = cr == 0 ? v->cr0 : cr == 3 ? v->cr3 : cr == 4 ? v->cr4 : old;
    uint32_t watched = cr == 0 ? CR0_PG | CR0_WP | CR0_PE : cr == 4 ? CR4_PSE | CR4_PGE | CR4_PAE : cr == 3 ? ~0u : 0;
    if (cr == 3 ? !(v->cr0 & CR0_PG) : !((old ^ now) & watched))
        return true;
    if ((v->cr0 & CR0_PG) && !paging_ready(v))
        return false;
    if (v->shadow && cr == 3)
        drop_local(v->shadow);
    else if (v->shadow)
        drop_all(v->shadow);
    if (cr == 0 && ((old ^ now) & CR0_PG))
        load(v);
    if (cr == 3) {
        blocks_window_check(v);             /* another address space: the window may be mapped there */
        if (v->shadow)
            prefill_arena(v, v->shadow);
    }
    return true;
}

void shadow_invlpg(struct vcpu *v, uint32_t lin)
{
    if (v->shadow && (v->cr0 & CR0_PG))
        drop(v->shadow, lin);
}

/* The caller holds g's kernel lock: no other vCPU of g runs guest code
 * until it takes the lock (vcpu_lock syncs), and the caller's own vCPU,
 * if it is one of g's, drops its shadow now. */
void shadow_flush_guest(struct guest *g)
{
    __atomic_add_fetch(&g->shadow_gen, 1, __ATOMIC_ACQ_REL);
    struct vcpu *v = vcpu_current();
    if (v && v->guest == g && v->shadow)
        shadow_sync(v);
}

void shadow_sync(struct vcpu *v)
{
    struct shadow *s = v->shadow;
    uint64_t gen = __atomic_load_n(&v->guest->shadow_gen, __ATOMIC_ACQUIRE);
    if (s->gen != gen) {
        s->gen = gen;
        drop_all(s);
    }
}

bool shadow_enter(struct vcpu *v)
{
    if (!(v->cr0 & CR0_PG))
        return true;                        /* the guest's identity space: its thread has it */
    if (!paging_ready(v))
        return false;
    shadow_sync(v);
    load(v);
    return true;
}

void shadow_release(struct vcpu *v)
{
    struct shadow *s = v->shadow;
    if (!s)
        return;
    pushcli();
    if (current_thread()->cr3 == s->root) {
        current_thread()->cr3 = 0;
        write_cr3(vm_kernel_root());        /* never free the tables we run on */
    }
    popcli();
    kprintf("guest %s: vCPU %u shadow paging: %lu fills, %lu guest page faults, %lu drops, %lu address-space "
            "switches, %u page tables\n", v->guest->name, v->index, s->fills, s->faults, s->drops, s->switches,
            s->allocated);
    v->shadow = 0;
    destroy(s);
}
