/*
 * A native replacement for a guest's kmalloc/kfree: objects come from the
 * pool at the top of guest RAM that the guest's memory map marks reserved
 * (GUEST_POOL_*), in size classes of one page each; every piece of
 * bookkeeping lives on the host side, so a wild guest write can spoil only
 * guest data, never the allocator.  kfree of an object the guest's own
 * allocator made (before the peel) falls through to the guest's kfree; a
 * kfree the pool cannot account for stops the guest instead of corrupting it.
 * With one vCPU per guest there is nothing to cache per CPU yet.
 */
#include "host/peel.h"
#include "host/guest.h"
#include "kernel/heap.h"
#include "kernel/string.h"
#include "kernel/printf.h"

#define PAGE 4096u
#define POOL_PAGES (GUEST_POOL_SIZE / PAGE)
#define MIN_SHIFT 4                          /* 16 bytes */
#define CLASSES 8                            /* 16 .. 2048 */
#define BIG 0xff                             /* first page of a multi-page object */
#define TAIL 0xfe                            /* its other pages */

struct native_mm {
    uint8_t cls[POOL_PAGES];                 /* 0 free, 1 + class, BIG, TAIL */
    uint16_t used[POOL_PAGES];               /* objects in use on the page; BIG: its length */
    uint8_t bits[POOL_PAGES][PAGE >> MIN_SHIFT >> 3];
    uint64_t live;
};

static struct native_mm *state(struct guest *g)
{
    if (!g->native_mm)
        g->native_mm = kzalloc(sizeof *g->native_mm);
    return g->native_mm;
}

static void keep_live_count(struct guest *g, int delta)
{
    uint32_t at = peel_kept(g, "mm_kmalloc_live");   /* named by the manifest's keeps */
    uint32_t *v = at ? guest_ptr(g, at, 4) : 0;
    if (v) *v += delta;
}

static int find_pages(struct native_mm *m, uint32_t n)
{
    for (uint32_t start = 0, run = 0, pg = 0; pg < POOL_PAGES; pg++) {
        run = m->cls[pg] ? 0 : run + 1;
        if (run == 1) start = pg;
        if (run == n) return (int)start;
    }
    return -1;
}

static uint32_t alloc_small(struct native_mm *m, unsigned c)
{
    uint32_t size = 1u << (c + MIN_SHIFT), per = PAGE / size;
    for (uint32_t pg = 0; pg < POOL_PAGES; pg++) {
        if (m->cls[pg] != 1 + c || m->used[pg] == per) continue;
        for (uint32_t i = 0; i < per; i++)
            if (!(m->bits[pg][i / 8] >> (i % 8) & 1)) {
                m->bits[pg][i / 8] |= 1 << (i % 8);
                m->used[pg]++;
                return pg * PAGE + i * size;
            }
    }
    int pg = find_pages(m, 1);
    if (pg < 0) return ~0u;
    m->cls[pg] = 1 + c;
    m->used[pg] = 1;
    memset(m->bits[pg], 0, sizeof m->bits[pg]);
    m->bits[pg][0] = 1;
    return (uint32_t)pg * PAGE;
}

static uint32_t alloc_big(struct native_mm *m, uint32_t size)
{
    uint32_t n = (size + PAGE - 1) / PAGE;
    int pg = find_pages(m, n);
    if (pg < 0) return ~0u;
    m->cls[pg] = BIG;
    m->used[pg] = (uint16_t)n;
    for (uint32_t i = 1; i < n; i++) m->cls[pg + i] = TAIL;
    return (uint32_t)pg * PAGE;
}

/* kmalloc(size): 0 when the pool is exhausted, as the guest's would */
static bool mm_alloc(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct native_mm *m = state(g);
    if (!m) return false;                        /* no host memory: let the guest do it */
    uint32_t size = a[0] ? a[0] : 1;
    unsigned c = 0;
    while (c < CLASSES && (1u << (c + MIN_SHIFT)) < size) c++;
    if (size > POOL_PAGES * PAGE) { *ret = 0; return true; }
    uint32_t off = c < CLASSES ? alloc_small(m, c) : alloc_big(m, size);
    if (off == ~0u) { *ret = 0; return true; }
    void *p = guest_ptr(g, GUEST_POOL_BASE + off, c < CLASSES ? 1u << (c + MIN_SHIFT) : size);
    if (p) memset(p, 0, c < CLASSES ? 1u << (c + MIN_SHIFT) : size);
    m->live++;
    keep_live_count(g, 1);
    *ret = GUEST_POOL_BASE + off;
    return true;
}

static bool free_in_pool(struct guest *g, struct native_mm *m, uint32_t off)
{
    uint32_t pg = off / PAGE, in = off % PAGE;
    uint8_t c = m->cls[pg];
    if (c == BIG && in == 0) {
        for (uint32_t i = 1; i < m->used[pg]; i++) m->cls[pg + i] = 0;
        m->cls[pg] = 0;
        m->used[pg] = 0;
    } else if (c >= 1 && c <= CLASSES && in % (1u << (c - 1 + MIN_SHIFT)) == 0) {
        uint32_t i = in >> (c - 1 + MIN_SHIFT);
        if (!(m->bits[pg][i / 8] >> (i % 8) & 1)) return false;   /* freed twice */
        m->bits[pg][i / 8] &= ~(1 << (i % 8));
        if (--m->used[pg] == 0) m->cls[pg] = 0;
    } else {
        return false;
    }
    m->live--;
    keep_live_count(g, -1);
    return true;
}

/* kfree(p) */
static bool mm_free(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    *ret = 0;
    if (!a[0]) return true;
    if (a[0] < GUEST_POOL_BASE || a[0] >= GUEST_POOL_BASE + GUEST_POOL_SIZE)
        return false;                            /* the guest's own object: its kfree */
    struct native_mm *m = state(g);
    if (m && free_in_pool(g, m, a[0] - GUEST_POOL_BASE))
        return true;
    char why[96];
    snprintf(why, sizeof why, "kfree(0x%x): not an object the native allocator handed out, or freed twice", a[0]);
    guest_end(g, GUEST_DEAD, -1, why);
    return true;
}

static uint64_t mm_owned(struct guest *g)
{
    return g->native_mm ? g->native_mm->live : 0;
}

const struct native native_mm_alloc = { "mm_alloc", mm_alloc, 0, 0 };
const struct native native_mm_free = { "mm_free", mm_free, mm_owned, 0 };
