/*
 * Allocator churn: every CPU allocates and frees pages (alloc-pages) or heap
 * objects (alloc-heap) at random sizes, keeping a ring of live blocks.  Each
 * block is filled with a pattern unique to its owner and allocation, and
 * verified just before it is freed: two owners of one block, or a write
 * after free, shows as a broken pattern.  Pages must also arrive zeroed.
 * The allocators panic on a double free themselves; the runner checks that
 * free pages and live heap bytes come back to what they were.  Under
 * failalloc a NULL is counted and survived.
 */
#include "tests/stress/stress.h"
#include "kernel/heap.h"
#include "kernel/pmm.h"

#define RING 32
#define MAX_PAGES 4

struct block { uint64_t *p; size_t bytes; uint64_t pattern; };

static uint64_t pattern_of(unsigned cpu, unsigned slot, uint64_t seq)
{
    return (uint64_t)(cpu * 8 + slot + 1) << 48 | seq;
}

static void fill(struct block *b)
{
    for (size_t i = 0; i < b->bytes / 8; i++)
        b->p[i] = b->pattern ^ i;
}

static bool intact(struct stress_run *r, const struct block *b)
{
    for (size_t i = 0; i < b->bytes / 8; i++) {
        if (b->p[i] != (b->pattern ^ i)) {
            stress_fail(r, "block %p (%zu bytes) word %zu is %lx, owner wrote %lx",
                        (void *)b->p, b->bytes, i, b->p[i], b->pattern ^ i);
            return false;
        }
    }
    return true;
}

static bool zeroed(struct stress_run *r, const struct block *b)
{
    for (size_t i = 0; i < b->bytes / 8; i++) {
        if (b->p[i]) {
            stress_fail(r, "page_alloc gave %p with word %zu = %lx, not zeroed", (void *)b->p, i, b->p[i]);
            return false;
        }
    }
    return true;
}

static void release(struct block *b, bool pages)
{
    if (pages)
        page_free(b->p, b->bytes / PAGE_SIZE);
    else
        kfree(b->p);
    b->p = 0;
}

static bool acquire(struct stress_run *r, struct block *b, bool pages, uint64_t *rng)
{
    uint64_t x = stress_rand(rng);
    if (pages) {
        b->bytes = (1 + x % MAX_PAGES) * PAGE_SIZE;
        b->p = page_alloc(b->bytes / PAGE_SIZE);
    } else {
        /* mostly slab sizes, sometimes a whole-page object */
        b->bytes = x % 16 ? 8 + (x >> 8) % 2040 : 4096 + (x >> 8) % 8192;
        b->bytes &= ~7ul;
        b->p = kmalloc(b->bytes);
    }
    if (!b->p) {
        stress_alloc_failed(r);
        return false;
    }
    return !pages || zeroed(r, b);
}

static void churn(struct stress_run *r, unsigned cpu, unsigned slot, bool pages)
{
    struct block ring[RING] = { 0 };
    uint64_t rng = pattern_of(cpu, slot, 77), seq = 0, ops = 0;
    while (stress_running(r) && !r->failed) {
        struct block *b = &ring[stress_rand(&rng) % RING];
        if (b->p) {
            if (!intact(r, b))
                break;
            release(b, pages);
            ops++;
        } else if (acquire(r, b, pages, &rng)) {
            b->pattern = pattern_of(cpu, slot, ++seq);
            fill(b);
        }
    }
    for (unsigned i = 0; i < RING; i++) {
        if (ring[i].p) {
            intact(r, &ring[i]);    /* a broken one is reported, and freed all the same */
            release(&ring[i], pages);
            ops++;
        }
    }
    stress_add_ops(r, ops);
}

static void churn_pages(struct stress_run *r, unsigned cpu, unsigned slot) { churn(r, cpu, slot, true); }
static void churn_heap(struct stress_run *r, unsigned cpu, unsigned slot)  { churn(r, cpu, slot, false); }

static void finish(struct stress_run *r)
{
    stress_note(r, "%lu blocks verified and freed, %lu allocation failures survived",
                r->ops, r->alloc_failures);
}

const struct stress_case stress_alloc_pages =
    { "alloc-pages", 1, 1, 0, false, false, 0, churn_pages, finish };
const struct stress_case stress_alloc_heap =
    { "alloc-heap", 1, 2, 0, false, false, 0, churn_heap, finish };
