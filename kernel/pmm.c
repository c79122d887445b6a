#include "kernel/pmm.h"

#define BITS 64

static bool bit_get(const uint64_t *b, uint64_t i) { return b[i / BITS] >> (i % BITS) & 1; }
static void bit_set(uint64_t *b, uint64_t i) { b[i / BITS] |= 1ull << (i % BITS); }
static void bit_clear(uint64_t *b, uint64_t i) { b[i / BITS] &= ~(1ull << (i % BITS)); }

size_t pmm_bitmap_bytes(uint64_t npages)
{
    return (npages + BITS - 1) / BITS * sizeof(uint64_t);
}

void pmm_init(struct pmm *p, uint64_t *bitmap, uint64_t npages)
{
    p->bitmap = bitmap;
    p->npages = npages;
    p->nfree = 0;
    p->hint = 0;
    for (uint64_t i = 0; i < (npages + BITS - 1) / BITS; i++)
        bitmap[i] = ~0ull;
}

bool pmm_is_used(const struct pmm *p, uint64_t pfn)
{
    return pfn >= p->npages || bit_get(p->bitmap, pfn);
}

/* Usable ranges shrink inward to whole frames, reserved ones grow outward. */
static void mark_range(struct pmm *p, uint64_t base, uint64_t len, bool usable)
{
    uint64_t end = len > UINT64_MAX - base ? UINT64_MAX : base + len;   /* clamp a wrap */
    uint64_t down_base = base >> PAGE_SHIFT, up_base = down_base + ((base & (PAGE_SIZE - 1)) != 0);
    uint64_t down_end = end >> PAGE_SHIFT, up_end = down_end + ((end & (PAGE_SIZE - 1)) != 0);
    uint64_t first = usable ? up_base : down_base;
    uint64_t last = usable ? down_end : up_end;
    if (last > p->npages)
        last = p->npages;
    for (uint64_t f = first; f < last; f++) {
        if (usable && bit_get(p->bitmap, f)) { bit_clear(p->bitmap, f); p->nfree++; }
        if (!usable && !bit_get(p->bitmap, f)) { bit_set(p->bitmap, f); p->nfree--; }
    }
}

void pmm_add_map(struct pmm *p, const struct mem_region *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].usable) mark_range(p, r[i].base, r[i].len, true);
    for (size_t i = 0; i < n; i++)
        if (!r[i].usable) mark_range(p, r[i].base, r[i].len, false);
}

void pmm_reserve(struct pmm *p, uint64_t base, uint64_t len)
{
    mark_range(p, base, len, false);
}

/* First run of `count` free frames wholly inside [from, to). */
static bool search(const struct pmm *p, uint64_t from, uint64_t to, uint64_t count, uint64_t *out)
{
    uint64_t run = 0;
    for (uint64_t f = from; f < to; f++) {
        if (run == 0 && f % BITS == 0 && f + BITS <= to && p->bitmap[f / BITS] == ~0ull) {
            f += BITS - 1;                     /* a full word: skip it whole */
            continue;
        }
        if (bit_get(p->bitmap, f)) {
            run = 0;
        } else if (++run == count) {
            *out = f + 1 - count;
            return true;
        }
    }
    return false;
}

bool pmm_alloc(struct pmm *p, uint64_t count, uint64_t *pfn)
{
    if (count == 0 || count > p->nfree)
        return false;
    uint64_t hint = p->hint < p->npages ? p->hint : 0;
    uint64_t wrap_end = hint + count - 1 < p->npages ? hint + count - 1 : p->npages;
    if (!search(p, hint, p->npages, count, pfn) && !search(p, 0, wrap_end, count, pfn))
        return false;
    for (uint64_t i = 0; i < count; i++)
        bit_set(p->bitmap, *pfn + i);
    p->nfree -= count;
    p->hint = *pfn + count;
    return true;
}

bool pmm_free(struct pmm *p, uint64_t pfn, uint64_t count)
{
    if (pfn >= p->npages || count > p->npages - pfn)
        return false;
    for (uint64_t i = 0; i < count; i++)
        if (!bit_get(p->bitmap, pfn + i)) return false;
    for (uint64_t i = 0; i < count; i++)
        bit_clear(p->bitmap, pfn + i);
    p->nfree += count;
    return true;
}
