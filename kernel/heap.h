/*
 * Kernel heap: kmalloc/kfree.  Small objects come from one-page slabs per
 * size class; large ones take whole pages.  Freed memory is poisoned and
 * checked on reuse; a double free or a bad pointer is caught, not absorbed.
 * The core (struct heap) is pure and takes its pages from callbacks, so the
 * unit tests run it on the host.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "kernel/list.h"

#define HEAP_CLASSES 7                          /* 32, 64, ..., 2048 bytes */
#define HEAP_POISON  0x6b

enum heap_error { HEAP_OK, HEAP_BAD_POINTER, HEAP_DOUBLE_FREE, HEAP_POISON_BROKEN };

struct heap {
    void *(*get_pages)(size_t n);
    void (*put_pages)(void *p, size_t n);
    void (*report)(enum heap_error e, const void *ptr);   /* never returns in the kernel */
    struct list partial[HEAP_CLASSES];           /* slabs with a free object */
    uint64_t bytes_live;                         /* requested sizes, summed */
    uint64_t pages_held;
    uint64_t allocs, frees;
};

void heap_init(struct heap *h, void *(*get)(size_t), void (*put)(void *, size_t),
               void (*report)(enum heap_error, const void *));
void *heap_alloc(struct heap *h, size_t size);
void heap_free(struct heap *h, void *p);
size_t heap_size_of(const void *p);

/* The kernel's heap (kernel/kmalloc.c), locked. */
void kmalloc_init(void);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
/* A growing array (*array, *cap elements of elem bytes, used of them in
 * use) with room for need: doubled from first (or from *cap) until it fits,
 * the used ones copied.  False if out of memory (then it is as it was). */
bool kgrow(void **array, size_t *cap, size_t used, size_t need, size_t elem, size_t first);
void kmalloc_stats(uint64_t *live_bytes, uint64_t *pages, uint64_t *allocs, uint64_t *frees);
