/*
 * The side table of trap sites (host/vmm/sites.h): a sorted array with a
 * hash index, looked up at every guest #GP(0) and peel entry.  Single
 * entries (peel sites, claims) go in with one move of the tail; a scan's
 * patches, thousands at load, go in as one batch: sorted, then merged.
 * Every change rebuilds the index, in room reserved before the change.
 */
#include "host/vmm/sites.h"
#include "kernel/heap.h"
#include "kernel/string.h"

static bool before(const struct site *a, const struct site *b)
{
    return a->addr != b->addr ? a->addr < b->addr : a->kind < b->kind;
}

/* The first entry not before (addr, kind). */
static size_t lower_bound(const struct sites *t, uint32_t addr, unsigned kind)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct site *m = &t->s[mid];
        if (m->addr < addr || (m->addr == addr && m->kind < kind)) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* Room for `more` entries, and index slots for twice as many addresses. */
static bool reserve(struct sites *t, size_t more)
{
    size_t need = t->n + more;
    if (need > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < need) cap *= 2;
        struct site *s = kmalloc(cap * sizeof *s);
        if (!s)
            return false;
        if (t->s) { memcpy(s, t->s, t->n * sizeof *s); kfree(t->s); }
        t->s = s;
        t->cap = cap;
    }
    if (t->index && need * 2 <= (size_t)t->mask + 1)
        return true;
    unsigned bits = 4;
    while (((size_t)1 << bits) < need * 2) bits++;
    uint32_t *index = kmalloc(((size_t)1 << bits) * sizeof *index);
    if (!index)
        return false;
    kfree(t->index);
    t->index = index;
    t->mask = (1u << bits) - 1;
    t->shift = 32 - bits;
    return true;
}

static void reindex(struct sites *t)
{
    memset(t->index, 0, ((size_t)t->mask + 1) * sizeof *t->index);
    for (size_t i = 0; i < t->n; i++) {
        if (i && t->s[i - 1].addr == t->s[i].addr)
            continue;                            /* the first at an address stands for them all */
        uint32_t h = (t->s[i].addr * 0x9e3779b1u) >> t->shift;
        while (t->index[h]) h = (h + 1) & t->mask;
        t->index[h] = (uint32_t)i + 1;
    }
}

bool sites_add(struct sites *t, const struct site *e)
{
    size_t i = lower_bound(t, e->addr, e->kind);
    if (i < t->n && t->s[i].addr == e->addr && t->s[i].kind == e->kind) {
        t->s[i] = *e;                            /* the index still holds */
        t->gen++;
        return true;
    }
    if (!reserve(t, 1))
        return false;
    memmove(&t->s[i + 1], &t->s[i], (t->n - i) * sizeof *t->s);
    t->s[i] = *e;
    t->n++;
    t->count[e->kind]++;
    reindex(t);
    t->gen++;
    return true;
}

static void sift_down(struct site *a, size_t root, size_t n)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && before(&a[child], &a[child + 1])) child++;
        if (!before(&a[root], &a[child])) return;
        struct site tmp = a[root]; a[root] = a[child]; a[child] = tmp;
    }
}

/* Heapsort: in place, O(n log n) whatever order the scan found them in. */
static void sort(struct site *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        struct site tmp = a[0]; a[0] = a[end]; a[end] = tmp;
        sift_down(a, 0, end);
    }
}

bool sites_add_many(struct sites *t, struct site *e, size_t n)
{
    if (!n)
        return true;
    if (!reserve(t, n))
        return false;
    sort(e, n);
    /* merge from the top down, into the room above the old entries */
    size_t i = t->n, j = n, k = t->n + n;
    while (j > 0) {
        if (i > 0 && before(&e[j - 1], &t->s[i - 1])) t->s[--k] = t->s[--i];
        else t->s[--k] = e[--j];
    }
    t->n += n;
    for (size_t x = 0; x < n; x++) t->count[e[x].kind]++;
    reindex(t);
    t->gen++;
    return true;
}

void sites_remove(struct sites *t, uint32_t addr, enum site_kind kind)
{
    size_t i = lower_bound(t, addr, kind);
    if (i == t->n || t->s[i].addr != addr || t->s[i].kind != kind)
        return;
    memmove(&t->s[i], &t->s[i + 1], (t->n - i - 1) * sizeof *t->s);
    t->n--;
    t->count[kind]--;
    reindex(t);
    t->gen++;
}

size_t sites_take_range(struct sites *t, uint32_t lo, uint32_t hi, enum site_kind kind,
                        void (*each)(const struct site *e, void *ctx), void *ctx)
{
    size_t i = lower_bound(t, lo, 0), kept = i, taken = 0;
    for (; i < t->n && t->s[i].addr < hi; i++) {
        if (t->s[i].kind == kind) {
            each(&t->s[i], ctx);
            taken++;
        } else {
            t->s[kept++] = t->s[i];
        }
    }
    if (!taken)
        return 0;
    memmove(&t->s[kept], &t->s[i], (t->n - i) * sizeof *t->s);
    t->n -= taken;
    t->count[kind] -= taken;
    reindex(t);
    t->gen++;
    return taken;
}

void sites_free(struct sites *t)
{
    kfree(t->s);
    kfree(t->index);
    *t = (struct sites){ .gen = t->gen + 1 };
}
