/* Guest-physical memory helpers for the loader; see guestmem.h. */
#include "loader/guestmem.h"

/* The end of the RAM region containing addr, or addr if none does. */
static uint64_t ram_end_at(const struct loader_mem *mem, uint64_t addr)
{
    for (size_t i = 0; i < mem->nregions; i++) {
        const struct loader_region *r = &mem->regions[i];

        if (r->type == LOADER_RAM && addr >= r->base &&
            addr - r->base < r->size)
            return r->base + r->size;
    }
    return addr;
}

uint64_t loader_mem_ram_from(const struct loader_mem *mem, uint64_t base)
{
    uint64_t end = base;

    /* Adjacent regions join; each step crosses at least one region, so
     * nregions + 1 steps always reach the end of a run. */
    for (size_t step = 0; step <= mem->nregions; step++) {
        uint64_t next = ram_end_at(mem, end);

        if (next == end)
            break;
        end = next;
    }
    if (end > LOADER_GUEST_LIMIT)
        end = LOADER_GUEST_LIMIT;
    return end > base ? end - base : 0;
}

bool loader_mem_is_ram(const struct loader_mem *mem, uint64_t base,
               uint64_t size)
{
    if (base >= LOADER_GUEST_LIMIT || size > LOADER_GUEST_LIMIT - base)
        return false;
    return size == 0 || loader_mem_ram_from(mem, base) >= size;
}

static void copy_bytes(uint8_t *dst, const uint8_t *src, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++)
        dst[i] = src ? src[i] : 0;
}

/* Copy src (or zeroes when src is NULL) chunk by chunk as map allows. */
static bool fill(const struct loader_mem *mem, uint64_t paddr,
         const uint8_t *src, uint64_t len, uint64_t *failed_at)
{
    while (len) {
        uint64_t span = 0;
        uint8_t *dst = mem->map(mem->ctx, paddr, len, &span);

        if (!dst || span == 0 || span > len) {
            if (failed_at)
                *failed_at = paddr;
            return false;
        }
        copy_bytes(dst, src, span);
        paddr += span;
        len -= span;
        if (src)
            src += span;
    }
    return true;
}

bool loader_mem_copy(const struct loader_mem *mem, uint64_t paddr,
             const void *src, uint64_t len, uint64_t *failed_at)
{
    return fill(mem, paddr, src, len, failed_at);
}

bool loader_mem_zero(const struct loader_mem *mem, uint64_t paddr,
             uint64_t len, uint64_t *failed_at)
{
    return fill(mem, paddr, NULL, len, failed_at);
}
