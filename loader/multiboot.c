/*
 * Multiboot v1 header (spec 0.6.96 section 3.1) and loading through the
 * header's a.out kludge address fields.
 */
#include "loader/multiboot.h"

#define MB1_FAIL(k, e, ...) \
    (loader_fmt(&(k)->msg, __VA_ARGS__), (k)->error = (e))

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void read_header(struct mb1_kernel *k, uint32_t off)
{
    const uint8_t *h = k->data + off;
    struct mb1_header *hd = &k->header;

    hd->offset = off;
    hd->flags = le32(h + 4);
    hd->checksum = le32(h + 8);
    if (hd->flags & MB1_AOUT_KLUDGE) {
        hd->header_addr = le32(h + 12);
        hd->load_addr = le32(h + 16);
        hd->load_end_addr = le32(h + 20);
        hd->bss_end_addr = le32(h + 24);
        hd->entry_addr = le32(h + 28);
    }
}

/*
 * "The Multiboot header must be contained completely within the first 8192
 * bytes of the OS image, and must be longword (32-bit) aligned."  "checksum
 * ... must have such a value that when added to the other magic fields
 * (i.e. magic and flags), the 32-bit unsigned sum of all these is zero."
 * Like GRUB, a magic whose checksum fails is skipped (it may be data); it is
 * reported only when no valid header follows.
 */
static enum mb1_error find_header(struct mb1_kernel *k)
{
    uint32_t limit = k->size < MB1_SEARCH ? (uint32_t)k->size : MB1_SEARCH;
    bool near_miss = false;

    for (uint32_t off = 0; off + 4 <= limit; off += 4) {
        if (le32(k->data + off) != MB1_HEADER_MAGIC)
            continue;
        if (off + 12 > limit) {
            if (!near_miss)
                MB1_FAIL(k, MB1_ETRUNC_HEADER,
                    "Multiboot magic at offset 0x%x, but its 12-byte header runs past the first %u bytes of the image",
                    off, limit);
            near_miss = true;
            continue;
        }
        uint32_t flags = le32(k->data + off + 4), sum = le32(k->data + off + 8);
        if ((uint32_t)(MB1_HEADER_MAGIC + flags + sum) == 0) {
            read_header(k, off);
            return k->error = MB1_OK;
        }
        if (!near_miss)
            MB1_FAIL(k, MB1_ECHECKSUM,
                "Multiboot header at offset 0x%x: magic + flags 0x%x + checksum 0x%x = 0x%x, want 0",
                off, flags, sum, (uint32_t)(MB1_HEADER_MAGIC + flags + sum));
        near_miss = true;
    }
    if (!near_miss)
        MB1_FAIL(k, MB1_ENOHEADER,
            "no Multiboot header (magic 0x1badb002) in the first %u bytes: not a Multiboot kernel",
            limit);
    return k->error;
}

/* "If bit 0 in the flags word is set, then all boot modules loaded along
 * with the operating system must be aligned on page (4KB) boundaries."
 * "If any bits [0-15] are set but the boot loader doesn't understand them,
 * it must fail." Bits 16-31 are optional: we honour 16, ignore the rest. */
static enum mb1_error check_flags(struct mb1_kernel *k)
{
    uint32_t flags = k->header.flags, hlen = 12;
    uint32_t missing = flags & 0xffff & ~MB1_SUPPORTED;

    if (missing) {
        unsigned bit = 0;

        while (!(missing & (1u << bit)))
            bit++;
        return MB1_FAIL(k, MB1_EFLAGS,
            "Multiboot header flags 0x%x require bit %u (%s), which Peel does not provide",
            flags, bit, bit == 2 ? "video mode table" : "an unknown feature");
    }
    if (flags & MB1_AOUT_KLUDGE)
        hlen = 32;
    if ((uint64_t)k->header.offset + hlen > k->size ||
        k->header.offset + hlen > MB1_SEARCH)
        return MB1_FAIL(k, MB1_ETRUNC_HEADER,
            "Multiboot header at offset 0x%x with flags 0x%x is %u bytes long and runs past the end of the image or its first 8192 bytes",
            k->header.offset, flags, hlen);
    return MB1_OK;
}

/* Spec 3.1.3: "load_addr ... must be less than or equal to header_addr";
 * the file offset to load from is "the offset at which the header was
 * found, minus (header_addr - load_addr)"; "If [load_end_addr] is zero,
 * the boot loader assumes that the text and data segments occupy the
 * whole OS image file"; bss_end_addr zero means no bss. */
static enum mb1_error check_aout_range(struct mb1_kernel *k)
{
    const struct mb1_header *h = &k->header;
    uint32_t before = h->header_addr - h->load_addr;

    if (h->load_addr > h->header_addr)
        return MB1_FAIL(k, MB1_EKLUDGE_ADDR,
            "a.out kludge: load_addr 0x%08x is above header_addr 0x%08x",
            h->load_addr, h->header_addr);
    if (before > h->offset)
        return MB1_FAIL(k, MB1_EKLUDGE_OFFSET,
            "a.out kludge: header_addr - load_addr = 0x%x but the header is at file offset 0x%x, so loading would start before the file",
            before, h->offset);
    k->file_offset = h->offset - before;
    if (h->load_end_addr == 0) {
        k->load_size = (uint32_t)(k->size - k->file_offset < 0xffffffffu ?
                      k->size - k->file_offset : 0xffffffffu);
        return MB1_OK;
    }
    if (h->load_end_addr <= h->header_addr)
        return MB1_FAIL(k, MB1_EKLUDGE_ADDR,
            "a.out kludge: load_end_addr 0x%08x is not above header_addr 0x%08x",
            h->load_end_addr, h->header_addr);
    k->load_size = h->load_end_addr - h->load_addr;
    if ((uint64_t)k->file_offset + k->load_size > k->size)
        return MB1_FAIL(k, MB1_EKLUDGE_TRUNC,
            "a.out kludge: loading 0x%x bytes from file offset 0x%x runs past the end of the %zu-byte file",
            k->load_size, k->file_offset, k->size);
    return MB1_OK;
}

static enum mb1_error check_aout(struct mb1_kernel *k)
{
    const struct mb1_header *h = &k->header;
    enum mb1_error e = check_aout_range(k);
    uint64_t load_end = (uint64_t)h->load_addr + k->load_size;

    if (e != MB1_OK)
        return e;
    if (h->bss_end_addr != 0 && h->bss_end_addr < load_end)
        return MB1_FAIL(k, MB1_EKLUDGE_ADDR,
            "a.out kludge: bss_end_addr 0x%08x is below the end of the loaded bytes 0x%08lx",
            h->bss_end_addr, load_end);
    k->bss_size = h->bss_end_addr ? (uint32_t)(h->bss_end_addr - load_end) : 0;
    if (h->entry_addr < h->load_addr || h->entry_addr >= load_end)
        return MB1_FAIL(k, MB1_EKLUDGE_ENTRY,
            "a.out kludge: entry_addr 0x%08x is outside the loaded bytes 0x%08x..0x%08lx",
            h->entry_addr, h->load_addr, load_end);
    return MB1_OK;
}

enum mb1_error mb1_open(struct mb1_kernel *k, const void *image, size_t size)
{
    enum mb1_error e;

    *k = (struct mb1_kernel){ .data = image, .size = size };
    if ((e = find_header(k)) != MB1_OK || (e = check_flags(k)) != MB1_OK)
        return e;
    if (mb1_is_aout(k) && (e = check_aout(k)) != MB1_OK)
        return e;
    return MB1_OK;
}

/* GRUB 2 does the same: with bit 16 set it loads through the address
 * fields even if the image is also ELF. */
bool mb1_is_aout(const struct mb1_kernel *k)
{
    return k->header.flags & MB1_AOUT_KLUDGE;
}

uint64_t mb1_aout_lo(const struct mb1_kernel *k)
{
    return k->header.load_addr;
}

uint64_t mb1_aout_hi(const struct mb1_kernel *k)
{
    return (uint64_t)k->header.load_addr + k->load_size + k->bss_size;
}

enum mb1_error mb1_place_aout(struct mb1_kernel *k,
                  const struct loader_mem *mem)
{
    uint64_t lo = mb1_aout_lo(k), hi = mb1_aout_hi(k);

    if (k->error != MB1_OK)
        return k->error;
    if (lo < mem->floor)
        return MB1_FAIL(k, MB1_EFLOOR,
            "a.out kludge: image 0x%08lx..0x%08lx starts below the lowest load address 0x%08x",
            lo, hi, mem->floor);
    if (!loader_mem_is_ram(mem, lo, hi - lo))
        return MB1_FAIL(k, MB1_EOUTSIDE,
            "a.out kludge: image 0x%08lx..0x%08lx is not inside guest RAM", lo, hi);
    return MB1_OK;
}

enum mb1_error mb1_load_aout(struct mb1_kernel *k,
                 const struct loader_mem *mem)
{
    enum mb1_error e = mb1_place_aout(k, mem);
    uint64_t lo = mb1_aout_lo(k), bad = 0;

    if (e != MB1_OK)
        return e;
    if (!loader_mem_copy(mem, lo, k->data + k->file_offset, k->load_size, &bad) ||
        !loader_mem_zero(mem, lo + k->load_size, k->bss_size, &bad))
        return MB1_FAIL(k, MB1_EMAP,
            "a.out kludge: guest memory at 0x%08lx could not be mapped", bad);
    return MB1_OK;
}

const char *mb1_kernel_strerror(const struct mb1_kernel *k)
{
    return k->error == MB1_OK ? "no error" : k->msg.text;
}

const char *mb1_error_name(enum mb1_error e)
{
    static const char *const names[MB1_NERRORS] = {
        "MB1_OK", "MB1_ENOHEADER", "MB1_ECHECKSUM", "MB1_ETRUNC_HEADER",
        "MB1_EFLAGS", "MB1_EKLUDGE_ADDR", "MB1_EKLUDGE_OFFSET",
        "MB1_EKLUDGE_TRUNC", "MB1_EKLUDGE_ENTRY", "MB1_EFLOOR",
        "MB1_EOUTSIDE", "MB1_EMAP", "MB1_EAREA", "MB1_EAREA_FULL",
    };

    return (unsigned)e < MB1_NERRORS ? names[e] : "MB1_E?";
}
