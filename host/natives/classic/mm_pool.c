/*
 * The mm peel's allocator (see mm_pool.h).  Lock order: pin, then the pool
 * lock.  A magazine is touched only by its own CPU while pinned; the page
 * map only under the lock; the live bits and the owned count only with
 * atomics.  A live object's page cannot change class (its taken bit keeps
 * the page from being freed), which is why a free may read cls[] unlocked
 * once it has cleared the object's live bit.
 */
#include "host/natives/classic/mm_pool.h"

#define MM_BIG   0xff                        /* first page of a run */
#define MM_TAIL  0xfe                        /* its other pages */
#define END      0xffffu                     /* end of a partial list */
#define GRANULES (MM_PAGE >> MM_MIN_SHIFT)   /* per page */
#define ALIGN64(n) (((n) + 63) & ~(size_t)63)

static uint32_t class_size(unsigned c) { return 1u << (c + MM_MIN_SHIFT); }
static uint32_t per_page(unsigned c) { return MM_PAGE / class_size(c); }
/* At most ~8 KiB per magazine: large objects are few and must not be
 * stranded in CPU caches while the pool runs dry. */
static uint32_t capacity(unsigned c)
{
    uint32_t n = 8192 / class_size(c);
    return n > MM_MAG ? MM_MAG : n;
}

static unsigned class_of(uint32_t size)
{
    unsigned c = 0;
    while (class_size(c) < size) c++;
    return c;
}

size_t mm_pool_bytes(uint32_t pages, unsigned ncpus)
{
    return ALIGN64(sizeof(struct mm_pool)) + ALIGN64(ncpus * sizeof(struct mm_cpu)) +
           ALIGN64(pages * sizeof *((struct mm_pool *)0)->taken) + ALIGN64(pages * GRANULES / 8) +
           ALIGN64(pages) + 3 * ALIGN64(pages * sizeof(uint16_t));
}

struct mm_pool *mm_pool_init(void *mem, uint32_t pages, unsigned ncpus, const struct mm_pool_ops *ops)
{
    if ((uintptr_t)mem % 64 || pages == 0 || pages >= END)
        return 0;
    uint8_t *at = mem;
    struct mm_pool *p = mem;
    at += ALIGN64(sizeof *p);
    p->cpu = (void *)at;     at += ALIGN64(ncpus * sizeof(struct mm_cpu));
    p->taken = (void *)at;   at += ALIGN64(pages * sizeof *p->taken);
    p->live = (void *)at;    at += ALIGN64(pages * GRANULES / 8);
    p->cls = at;             at += ALIGN64(pages);
    p->used = (void *)at;    at += ALIGN64(pages * sizeof(uint16_t));
    p->next = (void *)at;    at += ALIGN64(pages * sizeof(uint16_t));
    p->prev = (void *)at;
    p->pages = pages;
    p->ncpus = ncpus;
    p->ops = *ops;
    for (unsigned c = 0; c < MM_CLASSES; c++)
        p->partial[c] = END;
    return p;
}

/* ---- the page map (under the lock) ----------------------------------------- */

static void link_partial(struct mm_pool *p, unsigned c, uint32_t pg)
{
    p->prev[pg] = END;
    p->next[pg] = p->partial[c];
    if (p->partial[c] != END) p->prev[p->partial[c]] = (uint16_t)pg;
    p->partial[c] = (uint16_t)pg;
}

static void unlink_partial(struct mm_pool *p, unsigned c, uint32_t pg)
{
    if (p->prev[pg] != END) p->next[p->prev[pg]] = p->next[pg];
    else p->partial[c] = p->next[pg];
    if (p->next[pg] != END) p->prev[p->next[pg]] = p->prev[pg];
}

/* First fit for a run of n free pages; single pages from a moving hint. */
static uint32_t find_pages(struct mm_pool *p, uint32_t n)
{
    uint32_t start = n == 1 ? p->hint : 0;
    for (uint32_t i = 0, run = 0; i < p->pages; i++) {
        uint32_t pg = (start + i) % p->pages;    /* only single pages wrap */
        run = p->cls[pg] ? 0 : run + 1;
        if (run == n) {
            p->hint = (pg + 1) % p->pages;
            return pg + 1 - n;
        }
    }
    return MM_NONE;
}

/* Move up to `want` free objects of class c from the pool into m. */
static void refill(struct mm_pool *p, unsigned c, struct mm_magazine *m, uint32_t want)
{
    uint32_t per = per_page(c);
    while (m->n < want) {
        uint32_t pg = p->partial[c];
        if (pg == END) {
            if ((pg = find_pages(p, 1)) == MM_NONE)
                return;
            p->cls[pg] = (uint8_t)(1 + c);
            p->used[pg] = 0;
            for (unsigned w = 0; w < GRANULES / 64; w++) p->taken[pg][w] = 0;
            link_partial(p, c, pg);
        }
        uint32_t before = m->n;
        for (uint32_t w = 0; w * 64 < per && m->n < want; w++) {
            uint64_t valid = per - w * 64 >= 64 ? ~0ull : (1ull << (per - w * 64)) - 1;
            for (uint64_t avail = ~p->taken[pg][w] & valid; avail && m->n < want; avail &= avail - 1) {
                uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(avail);
                p->taken[pg][w] |= 1ull << (i % 64);
                p->used[pg]++;
                m->obj[m->n++] = pg * MM_PAGE + i * class_size(c);
            }
        }
        if (m->n == before) {
            p->ops.broken(p->ops.ctx, "a partial page without a free object", pg * MM_PAGE);
            return;
        }
        if (p->used[pg] == per)
            unlink_partial(p, c, pg);
    }
}

/* One cached object back to the pool; a page left empty becomes free. */
static void give_back(struct mm_pool *p, uint32_t off)
{
    uint32_t pg = off / MM_PAGE;
    unsigned c = p->cls[pg] - 1u;
    uint32_t i = c < MM_CLASSES ? off % MM_PAGE >> (c + MM_MIN_SHIFT) : 0;
    uint64_t *w = &p->taken[pg][i / 64], bit = 1ull << (i % 64);
    if (c >= MM_CLASSES || !(*w & bit)) {
        p->ops.broken(p->ops.ctx, "a cached object the pool does not know as taken", off);
        return;
    }
    *w &= ~bit;
    if (p->used[pg]-- == per_page(c))
        link_partial(p, c, pg);
    if (p->used[pg] == 0) {
        unlink_partial(p, c, pg);
        p->cls[pg] = 0;
    }
}

static void flush_to(struct mm_pool *p, struct mm_magazine *m, uint32_t keep)
{
    while (m->n > keep)
        give_back(p, m->obj[--m->n]);
}

static void flush_cpu(struct mm_pool *p, unsigned cpu)
{
    for (unsigned c = 0; c < MM_CLASSES; c++)
        flush_to(p, &p->cpu[cpu].mag[c], 0);
}

/* ---- handing out and taking back (atomics) --------------------------------- */

static void hand_out(struct mm_pool *p, uint32_t off)
{
    /* owned first: it may over-count for a moment, never under-count */
    __atomic_fetch_add(&p->owned, 1, __ATOMIC_RELAXED);
    uint32_t g = off >> MM_MIN_SHIFT;
    uint64_t bit = 1ull << (g % 64);
    if (__atomic_fetch_or(&p->live[g / 64], bit, __ATOMIC_ACQ_REL) & bit)
        p->ops.broken(p->ops.ctx, "an object handed out twice", off);
}

/* Clear the live bit of the object starting at off: false if there was none. */
static bool take_back(struct mm_pool *p, uint32_t off)
{
    uint32_t g = off >> MM_MIN_SHIFT;
    uint64_t bit = 1ull << (g % 64);
    if (!(__atomic_fetch_and(&p->live[g / 64], ~bit, __ATOMIC_ACQ_REL) & bit))
        return false;
    __atomic_fetch_sub(&p->owned, 1, __ATOMIC_RELAXED);
    return true;
}

/* Counters of this CPU (pinned); CPUs without a cache share one, atomically. */
static void count(struct mm_pool *p, unsigned cpu, bool alloc, bool locked)
{
    if (cpu >= p->ncpus) {
        __atomic_fetch_add(&p->bypassed, 1, __ATOMIC_RELAXED);
        return;
    }
    struct mm_cpu *mine = &p->cpu[cpu];
    if (alloc) mine->allocs++; else mine->frees++;
    mine->locked += locked;
}

/* ---- the calls -------------------------------------------------------------- */

static uint32_t alloc_pages(struct mm_pool *p, uint32_t n, unsigned cpu)
{
    uint32_t pg = find_pages(p, n);
    if (pg == MM_NONE && cpu < p->ncpus) {
        flush_cpu(p, cpu);                       /* our own caches may hold the pages */
        pg = find_pages(p, n);
    }
    if (pg == MM_NONE)
        return MM_NONE;
    p->cls[pg] = MM_BIG;
    p->used[pg] = (uint16_t)n;
    for (uint32_t i = 1; i < n; i++) p->cls[pg + i] = MM_TAIL;
    return pg * MM_PAGE;
}

/* From this CPU's magazine; an empty one is refilled under the lock. */
static uint32_t alloc_small(struct mm_pool *p, unsigned c, struct mm_magazine *m, unsigned cpu, bool *locked)
{
    if (m->n == 0) {
        *locked = true;
        p->ops.lock(p->ops.ctx);
        refill(p, c, m, cpu < p->ncpus ? capacity(c) / 2 : 1);
        if (m->n == 0 && cpu < p->ncpus) {
            flush_cpu(p, cpu);                   /* pages held by our other classes */
            refill(p, c, m, 1);
        }
        p->ops.unlock(p->ops.ctx);
    }
    return m->n ? m->obj[--m->n] : MM_NONE;
}

uint32_t mm_pool_alloc(struct mm_pool *p, uint32_t size, uint32_t *got)
{
    uint64_t n = ((uint64_t)size + MM_PAGE - 1) / MM_PAGE;
    if (size > MM_SMALL_MAX && n > p->pages)
        return MM_NONE;
    unsigned c = size > MM_SMALL_MAX ? MM_CLASSES : class_of(size ? size : 1);
    unsigned cpu = p->ops.pin(p->ops.ctx);
    struct mm_magazine none = { 0, { 0 } };      /* a CPU without a cache takes one object */
    bool locked = c == MM_CLASSES;
    uint32_t off;
    if (c == MM_CLASSES) {
        p->ops.lock(p->ops.ctx);
        off = alloc_pages(p, (uint32_t)n, cpu);
        p->ops.unlock(p->ops.ctx);
        *got = (uint32_t)n * MM_PAGE;
    } else {
        off = alloc_small(p, c, cpu < p->ncpus ? &p->cpu[cpu].mag[c] : &none, cpu, &locked);
        *got = class_size(c);
    }
    count(p, cpu, true, locked);
    p->ops.unpin(p->ops.ctx);
    if (off != MM_NONE)
        hand_out(p, off);
    return off;
}

/* Into this CPU's magazine; a full one first gives half back to the pool. */
static void free_small(struct mm_pool *p, uint32_t off, unsigned c, unsigned cpu, bool *locked)
{
    if (cpu >= p->ncpus) {
        *locked = true;
        p->ops.lock(p->ops.ctx);
        give_back(p, off);
        p->ops.unlock(p->ops.ctx);
        return;
    }
    struct mm_magazine *m = &p->cpu[cpu].mag[c];
    if (m->n == capacity(c)) {
        *locked = true;
        p->ops.lock(p->ops.ctx);
        flush_to(p, m, capacity(c) / 2);
        p->ops.unlock(p->ops.ctx);
    }
    m->obj[m->n++] = off;
}

static void free_pages(struct mm_pool *p, uint32_t pg)
{
    p->ops.lock(p->ops.ctx);
    for (uint32_t i = 1; i < p->used[pg]; i++) p->cls[pg + i] = 0;
    p->cls[pg] = 0;
    p->used[pg] = 0;
    p->ops.unlock(p->ops.ctx);
}

bool mm_pool_free(struct mm_pool *p, uint32_t off)
{
    if (off % (1u << MM_MIN_SHIFT) || off / MM_PAGE >= p->pages || !take_back(p, off))
        return false;
    uint32_t pg = off / MM_PAGE;
    uint8_t cls = p->cls[pg];                    /* stable: the object was live */
    unsigned cpu = p->ops.pin(p->ops.ctx);
    bool locked = cls == MM_BIG;
    if (cls == MM_BIG)
        free_pages(p, pg);
    else
        free_small(p, off, cls - 1u, cpu, &locked);
    count(p, cpu, false, locked);
    p->ops.unpin(p->ops.ctx);
    return true;
}

uint64_t mm_pool_owned(const struct mm_pool *p)
{
    return __atomic_load_n(&p->owned, __ATOMIC_ACQUIRE);
}

/* ---- quiescent: tests and reports ------------------------------------------ */

void mm_pool_flush(struct mm_pool *p)
{
    p->ops.lock(p->ops.ctx);
    for (unsigned cpu = 0; cpu < p->ncpus; cpu++)
        flush_cpu(p, cpu);
    p->ops.unlock(p->ops.ctx);
}

void mm_pool_stats(const struct mm_pool *p, struct mm_pool_stats *s)
{
    *s = (struct mm_pool_stats){ .bypassed = p->bypassed };
    for (unsigned cpu = 0; cpu < p->ncpus; cpu++) {
        s->allocs += p->cpu[cpu].allocs;
        s->frees += p->cpu[cpu].frees;
        s->locked += p->cpu[cpu].locked;
        for (unsigned c = 0; c < MM_CLASSES; c++)
            s->cached += p->cpu[cpu].mag[c].n;
    }
    for (uint32_t pg = 0; pg < p->pages; pg++)
        s->pages_free += p->cls[pg] == 0;
}
