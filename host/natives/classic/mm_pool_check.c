/*
 * The mm pool's books, cross-checked while nothing runs: every page's
 * class, taken bits and use count agree; partial lists hold exactly the
 * pages with room; live bits sit only at object starts of taken objects;
 * each taken object is either live or in exactly one magazine of its class;
 * and the owned count equals the live objects.  The unit tests call it after
 * every scenario, the threaded ones included.
 */
#include "host/natives/classic/mm_pool.h"

#define MM_BIG   0xff
#define MM_TAIL  0xfe
#define END      0xffffu
#define GRANULES (MM_PAGE >> MM_MIN_SHIFT)

static bool live_at(const struct mm_pool *p, uint32_t off)
{
    uint32_t g = off >> MM_MIN_SHIFT;
    return p->live[g / 64] >> (g % 64) & 1;
}

static unsigned popcount_page(const struct mm_pool *p, uint32_t pg)
{
    unsigned n = 0;                              /* no __builtin_popcount: the kernel has no libgcc */
    for (unsigned w = 0; w < GRANULES / 64; w++)
        for (uint64_t x = p->taken[pg][w]; x; x &= x - 1) n++;
    return n;
}

static bool on_partial_list(const struct mm_pool *p, unsigned c, uint32_t pg)
{
    unsigned steps = 0;
    for (uint32_t at = p->partial[c]; at != END && steps <= p->pages; at = p->next[at], steps++)
        if (at == pg) return true;
    return false;
}

/* One page of class c: returns its live objects in *live. */
static const char *check_small(const struct mm_pool *p, uint32_t pg, unsigned c, uint64_t *live)
{
    uint32_t size = 1u << (c + MM_MIN_SHIFT), per = MM_PAGE / size;
    if (popcount_page(p, pg) != p->used[pg]) return "a page's use count differs from its taken bits";
    if (p->used[pg] == 0 || p->used[pg] > per) return "a class page with no object taken, or too many";
    if (on_partial_list(p, c, pg) != (p->used[pg] < per)) return "a page with room is not on its partial list, or a full one is";
    for (uint32_t g = 0; g < GRANULES; g++) {
        uint32_t off = pg * MM_PAGE + (g << MM_MIN_SHIFT), i = (g << MM_MIN_SHIFT) / size;
        if (!live_at(p, off)) continue;
        if ((g << MM_MIN_SHIFT) % size) return "a live bit inside an object";
        if (!(p->taken[pg][i / 64] >> (i % 64) & 1)) return "a live object the pool counts as free";
        ++*live;
    }
    return 0;
}

static const char *check_pages(const struct mm_pool *p, uint64_t *live, uint64_t taken[MM_CLASSES])
{
    for (uint32_t pg = 0; pg < p->pages; pg++) {
        uint8_t cls = p->cls[pg];
        if (cls == MM_BIG) {
            uint32_t n = p->used[pg];
            if (n == 0 || pg + n > p->pages) return "a run of pages with a bad length";
            for (uint32_t i = 1; i < n; i++)
                if (p->cls[pg + i] != MM_TAIL) return "a run of pages missing its tail";
            if (!live_at(p, pg * MM_PAGE)) return "a run of pages neither free nor live";
            ++*live;
            for (uint32_t i = 0; i < n; i++)
                for (uint32_t g = i ? 0 : 1; g < GRANULES; g++)
                    if (live_at(p, (pg + i) * MM_PAGE + (g << MM_MIN_SHIFT))) return "a live bit inside a run of pages";
            pg += n - 1;
        } else if (cls == MM_TAIL) {
            return "a tail page without its run";
        } else if (cls == 0) {
            if (p->used[pg] || popcount_page(p, pg)) return "a free page with objects taken";
            for (uint32_t g = 0; g < GRANULES; g++)
                if (live_at(p, pg * MM_PAGE + (g << MM_MIN_SHIFT))) return "a live bit on a free page";
        } else if (cls <= MM_CLASSES) {
            const char *why = check_small(p, pg, cls - 1u, live);
            if (why) return why;
            taken[cls - 1] += p->used[pg];
        } else {
            return "a page of no known class";
        }
    }
    return 0;
}

static const char *check_magazines(const struct mm_pool *p, uint64_t cached[MM_CLASSES])
{
    for (unsigned cpu = 0; cpu < p->ncpus; cpu++)
        for (unsigned c = 0; c < MM_CLASSES; c++) {
            const struct mm_magazine *m = &p->cpu[cpu].mag[c];
            if (m->n > MM_MAG) return "a magazine overfull";
            for (uint32_t k = 0; k < m->n; k++) {
                uint32_t off = m->obj[k], pg = off / MM_PAGE, i = off % MM_PAGE >> (c + MM_MIN_SHIFT);
                if (pg >= p->pages || p->cls[pg] != 1 + c || off % (1u << (c + MM_MIN_SHIFT)))
                    return "a cached object of the wrong class or not an object start";
                if (live_at(p, off)) return "a cached object that is also live";
                if (!(p->taken[pg][i / 64] >> (i % 64) & 1)) return "a cached object the pool counts as free";
                cached[c]++;
            }
        }
    return 0;
}

static const char *check_lists(const struct mm_pool *p)
{
    for (unsigned c = 0; c < MM_CLASSES; c++) {
        uint32_t prev = END, steps = 0;
        for (uint32_t at = p->partial[c]; at != END; prev = at, at = p->next[at]) {
            if (at >= p->pages || ++steps > p->pages) return "a partial list out of the pool or in a loop";
            if (p->cls[at] != 1 + c || p->used[at] >= MM_PAGE >> (c + MM_MIN_SHIFT))
                return "a partial list holds a page of another class, or a full one";
            if (p->prev[at] != prev) return "a partial list's back link is wrong";
        }
    }
    return 0;
}

const char *mm_pool_check(const struct mm_pool *p)
{
    uint64_t live = 0, live_small[MM_CLASSES] = { 0 }, taken[MM_CLASSES] = { 0 }, cached[MM_CLASSES] = { 0 };
    const char *why = check_lists(p);
    if (!why) why = check_pages(p, &live, taken);
    if (!why) why = check_magazines(p, cached);
    if (why) return why;
    for (uint32_t pg = 0; pg < p->pages; pg++)
        if (p->cls[pg] >= 1 && p->cls[pg] <= MM_CLASSES)
            for (uint32_t g = 0; g < GRANULES; g++)
                live_small[p->cls[pg] - 1] += live_at(p, pg * MM_PAGE + (g << MM_MIN_SHIFT));
    for (unsigned c = 0; c < MM_CLASSES; c++)
        if (taken[c] != live_small[c] + cached[c])
            return "taken objects are not each live or cached exactly once";
    if (live != mm_pool_owned(p))
        return "the owned count differs from the live objects";
    return 0;
}
