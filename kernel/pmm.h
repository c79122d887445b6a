/*
 * Physical page allocator: one bit per 4 KiB frame (1 = in use), first-fit
 * from a rotating hint, contiguous runs on request.  The core is pure logic
 * over a caller-provided bitmap, so the unit tests run it on the host; the
 * kernel wraps it in a lock (page_alloc/page_free).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define PAGE_SIZE  4096ul
#define PAGE_SHIFT 12

struct pmm {
    uint64_t *bitmap;
    uint64_t npages;            /* frames covered: [0, npages) */
    uint64_t nfree;
    uint64_t hint;              /* where the next search starts */
};

/* A memory-map region as the boot loader described it. */
struct mem_region { uint64_t base, len; bool usable; };

void pmm_init(struct pmm *p, uint64_t *bitmap, uint64_t npages);   /* all in use */
/* Free every usable region, then reserve every unusable one: a frame is free
 * only if some region says usable and none says otherwise (overlaps, holes). */
void pmm_add_map(struct pmm *p, const struct mem_region *r, size_t n);
void pmm_reserve(struct pmm *p, uint64_t base, uint64_t len);       /* byte range, widened to frames */
bool pmm_alloc(struct pmm *p, uint64_t count, uint64_t *pfn);       /* contiguous */
/* false if any frame of the run was already free: a double free. */
bool pmm_free(struct pmm *p, uint64_t pfn, uint64_t count);
bool pmm_is_used(const struct pmm *p, uint64_t pfn);
size_t pmm_bitmap_bytes(uint64_t npages);

/* The kernel's allocator (kernel/page.c): addresses in the direct map. */
void page_init(const struct mem_region *r, size_t n, uint64_t top);
void *page_alloc(size_t count);            /* zeroed; NULL when out of memory */
void page_free(void *va, size_t count);
uint64_t page_free_count(void);
uint64_t page_total_count(void);
void page_reserve(uint64_t base, uint64_t len);
