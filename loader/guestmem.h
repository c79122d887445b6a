/*
 * loader_mem: the guest's physical memory as the loader sees it.
 *
 * The loader never assumes guest-physical == host address.  The kernel
 * describes the guest's memory as a list of typed regions (the same list
 * becomes the Multiboot memory map) and lends a callback that turns a
 * guest-physical address into a writable host pointer.  The kernel backs
 * guest memory with host frames that need not be contiguous, so the
 * callback may return less than was asked for: it reports in *span how
 * many bytes are contiguous from the returned pointer, and the loader asks
 * again for the rest.  Unit tests plug in a malloc'd buffer.
 *
 * The guest lives below 4 GiB (DESIGN.md §2): nothing is ever placed at or
 * above LOADER_GUEST_LIMIT.
 */
#ifndef LOADER_GUESTMEM_H
#define LOADER_GUESTMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOADER_GUEST_LIMIT 0x100000000ull

/* Region types, numbered as in the Multiboot memory map ("1 indicates
 * available RAM, and all other values currently indicated a reserved area"). */
enum loader_region_type {
    LOADER_RAM = 1,
    LOADER_RESERVED = 2,
    LOADER_ACPI = 3,
    LOADER_NVS = 4,
};

struct loader_region {
    uint64_t base;
    uint64_t size;
    uint32_t type;
};

/*
 * map: a writable host pointer to guest-physical paddr, with *span set to
 * the number of bytes (1..len) contiguous from it; NULL if paddr is not
 * backed.  The loader writes only through pointers map returns.
 */
typedef void *(*loader_map_fn)(void *ctx, uint64_t paddr, uint64_t len,
                   uint64_t *span);

struct loader_mem {
    const struct loader_region *regions;
    size_t nregions;
    uint32_t floor;         /* no image byte is loaded below this */
    loader_map_fn map;
    void *ctx;
};

/* [base, base+size) lies in RAM regions (adjacent ones join) below 4 GiB. */
bool loader_mem_is_ram(const struct loader_mem *mem, uint64_t base,
               uint64_t size);

/* Bytes of RAM contiguous from base (0 if base is not RAM). */
uint64_t loader_mem_ram_from(const struct loader_mem *mem, uint64_t base);

/* Copy into / zero guest memory; false (with *failed_at set) if the map
 * callback refused part of the range. */
bool loader_mem_copy(const struct loader_mem *mem, uint64_t paddr,
             const void *src, uint64_t len, uint64_t *failed_at);
bool loader_mem_zero(const struct loader_mem *mem, uint64_t paddr,
             uint64_t len, uint64_t *failed_at);

/* [a, a+alen) and [b, b+blen) share a byte; empty ranges share none. */
static inline bool loader_overlap(uint64_t a, uint64_t alen, uint64_t b,
                  uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

#endif
