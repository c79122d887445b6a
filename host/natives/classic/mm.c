/*
 * The mm peel: a guest's kmalloc/kfree served by the pool allocator
 * (host/natives/classic/mm_pool.c) over [GUEST_POOL_BASE(g), GUEST_POOL_BASE(g) +
 * GUEST_POOL_MM_SIZE), memory the guest's own map marks reserved.  Every
 * piece of bookkeeping lives on the host side, so a wild guest write can
 * spoil only guest data, never the allocator.  The subsystem runs outside
 * the guest kernel lock: calls come from several vCPUs on several CPUs at
 * once, each CPU served from its own magazines (preemption off while it
 * touches them) and the pool behind one spinlock.
 *
 * kfree of an object the guest's own allocator made (before the peel)
 * falls through to the guest's kfree; a kfree the pool cannot account for
 * (freed twice, not the start of an object) stops the guest instead.
 */
#include "host/natives/classic/layout.h"
#include "host/natives/classic/mm_pool.h"
#include "host/peel/peel.h"
#include "host/peel/natives.h"
#include "host/vmm/guest.h"
#include "kernel/console.h"
#include "kernel/heap.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "smp/percpu.h"
#include "smp/spinlock.h"

#define POOL_PAGES (GUEST_POOL_MM_SIZE / MM_PAGE)

_Static_assert(GUEST_RAM_UNIT % MM_PAGE == 0 && GUEST_POOL_SIZE % MM_PAGE == 0 && GUEST_POOL_MM_SIZE % MM_PAGE == 0,
               "the mm pool is whole pages");

struct native_mm {
    struct spinlock lock;            /* the pool's; magazines need none */
    uint32_t live_at;                /* the guest's mm_kmalloc_live (manifest keeps), or 0 */
    void *mem;                       /* the pool's books, as allocated */
    struct mm_pool *pool;            /* the same, 64-byte aligned */
};

NATIVE_SUBSYSTEM_DECLARE(mm);

static void pool_lock(void *ctx) { spin_lock(&((struct native_mm *)ctx)->lock); }
static void pool_unlock(void *ctx) { spin_unlock(&((struct native_mm *)ctx)->lock); }

/* Preemption off, not interrupts: no interrupt handler allocates from a
 * guest's pool, and this CPU's magazines must not change hands midway. */
static unsigned pin(void *ctx)
{
    (void)ctx;
    preempt_disable();
    return this_cpu()->id;
}

static void unpin(void *ctx) { (void)ctx; preempt_enable(); }

static void broken(void *ctx, const char *what, uint32_t off)
{
    (void)ctx;
    panic("mm peel: %s (pool offset 0x%x): the allocator's books disagree", what, off);
}

static void destroy(struct native_mm *m)
{
    kfree(m->mem);
    kfree(m);
}

static struct native_mm *create(struct guest *g)
{
    struct native_mm *m = kzalloc(sizeof *m);
    if (!m)
        return 0;
    m->mem = kzalloc(mm_pool_bytes(POOL_PAGES, ncpus) + 63);
    if (!m->mem) {
        kfree(m);
        return 0;
    }
    spin_init(&m->lock, "mm pool");
    uint32_t at = L_KEPT_U32(g, mm_kmalloc_live);    /* resolved when the peel was applied */
    m->live_at = at % 4 ? 0 : at;                    /* an atomic add wants it aligned */
    struct mm_pool_ops ops = { pool_lock, pool_unlock, pin, unpin, broken, m };
    m->pool = mm_pool_init((void *)(((uintptr_t)m->mem + 63) & ~(uintptr_t)63), POOL_PAGES, ncpus, &ops);
    if (!m->pool) {
        destroy(m);
        return 0;
    }
    return m;
}

/* Made at the first call after a peel; vCPUs making their first calls at
 * once race to install theirs, and the losers throw theirs away. */
static struct native_mm *state(struct guest *g)
{
    struct native_mm *m = native_state(g, &native_subsystem_mm), *won;
    if (m || !(m = create(g)))
        return m;
    if ((won = native_state_install(g, &native_subsystem_mm, m)) != m)
        destroy(m);
    return won;
}

/* The guest's own count of live blocks, which its end-of-run report
 * prints; several CPUs change it at once. */
static void keep_live_count(struct guest *g, struct native_mm *m, int delta)
{
    uint32_t *v = m->live_at ? guest_ptr(g, m->live_at, 4) : 0;
    if (v)
        __atomic_add_fetch(v, (uint32_t)delta, __ATOMIC_RELAXED);
}

/* kmalloc(size): 0 when the pool is exhausted, as the guest's would */
static bool mm_alloc(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct native_mm *m = state(g);
    if (!m)
        return false;                            /* no host memory: let the guest do it */
    uint32_t got, off = mm_pool_alloc(m->pool, a[0], &got);
    *ret = 0;
    if (off == MM_NONE)
        return true;
    void *p = guest_ptr(g, GUEST_POOL_BASE(g) + off, got);
    if (p)
        memset(p, 0, got);
    keep_live_count(g, m, 1);
    *ret = GUEST_POOL_BASE(g) + off;
    return true;
}

/* kfree(p) */
static bool mm_free(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    uint32_t at = a[0];
    *ret = 0;
    if (!at)
        return true;
    if (at < GUEST_POOL_BASE(g) || at >= GUEST_POOL_BASE(g) + GUEST_POOL_SIZE)
        return false;                            /* the guest's own object: its kfree */
    struct native_mm *m = native_state(g, &native_subsystem_mm);
    if (m && at < GUEST_POOL_BASE(g) + GUEST_POOL_MM_SIZE && mm_pool_free(m->pool, at - GUEST_POOL_BASE(g))) {
        keep_live_count(g, m, -1);
        return true;
    }
    char why[112];
    snprintf(why, sizeof why, "kfree(0x%x): not an object the native allocator handed out, or freed twice", at);
    guest_end(g, GUEST_DEAD, -1, why);
    return true;
}

/* Objects handed to the guest and not yet freed (not those in magazines):
 * never fewer than the truth, so a drain never ends early. */
static uint64_t mm_owned(struct guest *g)
{
    struct native_mm *m = native_state(g, &native_subsystem_mm);
    return m ? mm_pool_owned(m->pool) : 0;
}

/* The guest has ended and no vCPU of it runs a native any more: report
 * the allocator's counts and free its host-side books. */
static void release(struct guest *g, void *state)
{
    struct native_mm *m = state;
    struct mm_pool_stats s;
    mm_pool_stats(m->pool, &s);
    uint64_t calls = s.allocs + s.frees + s.bypassed;
    kprintf("guest %s: mm peel: %lu kmalloc and %lu kfree served, %lu%% without the pool lock "
            "(%lu waits for it), %lu objects still held\n", g->name, s.allocs, s.frees,
            calls ? 100 * (calls - s.locked - s.bypassed) / calls : 100, m->lock.contended,
            mm_pool_owned(m->pool));
    const char *why = mm_pool_check(m->pool);        /* nothing runs now: the books must agree */
    if (why)
        kprintf("guest %s: mm peel: the allocator's books DISAGREE: %s\n", g->name, why);
    destroy(m);
}

static const struct native natives[] = {
    { "mm_alloc", mm_alloc, NATIVE_QUICK },     /* a magazine's pop or push, mostly */
    { "mm_free", mm_free, NATIVE_QUICK },
    { 0, 0, 0 },
};

NATIVE_SUBSYSTEM(mm) = {
    .name = "mm",
    .natives = natives,
    .refuses = classic_layout_check,
    .may_leave_gkl = true,
    .owned = mm_owned,
    .release = release,
};
