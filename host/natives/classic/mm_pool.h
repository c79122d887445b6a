/*
 * The mm peel's allocator, pure (no kernel calls: the unit tests run it on
 * the build machine with threads).  It hands out offsets into a pool of
 * guest memory it never touches: objects of 16..2048 bytes, one size class
 * per page, and runs of whole pages above that.  All its bookkeeping is in
 * host memory, so nothing the guest writes can mislead it.
 *
 * Each CPU keeps a magazine of free objects per class and takes from it
 * without a lock; an empty magazine is refilled with half its capacity
 * from the pool, a full one gives half back, both under the pool lock.  The
 * caller supplies the lock and the pinning to a CPU (struct mm_pool_ops).
 *
 * Per 16-byte granule a "live" bit says an object handed out starts there
 * (set and cleared with atomics, no lock), so a free is checked exactly: a
 * pointer that is not the start of a live object (freed twice, sitting in a
 * magazine, interior, never handed out) is refused and changes nothing.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define MM_PAGE       4096u
#define MM_MIN_SHIFT  4                      /* smallest object: 16 bytes */
#define MM_CLASSES    8                      /* 16 .. 2048 */
#define MM_SMALL_MAX  (1u << (MM_MIN_SHIFT + MM_CLASSES - 1))
#define MM_MAG        32                     /* most objects a magazine holds */
#define MM_NONE       0xffffffffu            /* no object: the pool is exhausted */

struct mm_pool_ops {
    void (*lock)(void *ctx);                 /* the pool lock: short, never recursive */
    void (*unlock)(void *ctx);
    /* Keep the caller on its CPU until unpin (no preemption, no migration);
     * returns that CPU's index.  Once per call, never nested; the lock is
     * taken inside it, or without it (mm_pool_flush). */
    unsigned (*pin)(void *ctx);
    void (*unpin)(void *ctx);
    /* The allocator found its own books inconsistent (a bug here, never
     * the guest's doing): the kernel panics. */
    void (*broken)(void *ctx, const char *what, uint32_t offset);
    void *ctx;
};

struct mm_magazine {
    uint32_t n;
    uint32_t obj[MM_MAG];                    /* pool offsets of free objects */
};

/* One CPU's caches and counters: touched only by that CPU while pinned
 * (counters are read when nothing runs: mm_pool_stats). */
struct mm_cpu {
    struct mm_magazine mag[MM_CLASSES];
    uint64_t allocs, frees;
    uint64_t locked;                         /* calls that had to take the pool lock */
} __attribute__((aligned(64)));

struct mm_pool {
    uint32_t pages;
    unsigned ncpus;                          /* CPU index >= ncpus: no cache, always the lock */
    struct mm_pool_ops ops;
    struct mm_cpu *cpu;
    /* under the lock */
    uint8_t *cls;                            /* per page: 0 free, 1 + class, MM_BIG, MM_TAIL */
    uint16_t *used;                          /* objects not free in the pool (live or cached); MM_BIG: run length */
    uint16_t *next, *prev;                   /* partial pages of a class: some objects free in the pool */
    uint16_t partial[MM_CLASSES];
    uint64_t (*taken)[MM_PAGE >> MM_MIN_SHIFT >> 6];   /* per page: objects not free in the pool */
    uint32_t hint;                           /* where the next free-page search starts */
    /* atomic, no lock */
    uint64_t *live;                          /* per granule: a handed-out object starts here */
    uint64_t bypassed;                       /* calls by CPUs without a cache */
    uint64_t owned __attribute__((aligned(64)));   /* handed out and not yet freed */
};

struct mm_pool_stats {
    uint64_t allocs, frees;                  /* by CPUs with a cache, summed */
    uint64_t locked;                         /* of those, calls that took the pool lock */
    uint64_t bypassed;                       /* calls by CPUs without a cache (all locked) */
    uint64_t cached;                         /* objects sitting in magazines */
    uint32_t pages_free;
};

/* Bytes of host memory a pool of `pages` pages for `ncpus` CPUs needs; give
 * mm_pool_init that much, zeroed and 64-byte aligned. */
size_t mm_pool_bytes(uint32_t pages, unsigned ncpus);
struct mm_pool *mm_pool_init(void *mem, uint32_t pages, unsigned ncpus, const struct mm_pool_ops *ops);
/* An object of at least `size` bytes (0 counts as 1): its pool offset and
 * its whole size in *got, or MM_NONE. */
uint32_t mm_pool_alloc(struct mm_pool *p, uint32_t size, uint32_t *got);
/* false, and nothing changes, if `offset` is not the start of a live object. */
bool mm_pool_free(struct mm_pool *p, uint32_t offset);
/* Objects handed out and not freed; never below the true number, and
 * exact whenever no call is halfway (for the drain after an unpeel). */
uint64_t mm_pool_owned(const struct mm_pool *p);

/* Only while no other call runs (tests, reports). */
void mm_pool_flush(struct mm_pool *p);       /* every magazine back to the pool */
void mm_pool_stats(const struct mm_pool *p, struct mm_pool_stats *s);
const char *mm_pool_check(const struct mm_pool *p);   /* NULL if the books agree */
