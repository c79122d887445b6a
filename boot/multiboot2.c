#include "boot/multiboot2.h"

/* Multiboot2 spec 3.6: tags follow an 8-byte header, each 8-byte aligned. */
enum { TAG_END = 0, TAG_CMDLINE = 1, TAG_MODULE = 3, TAG_MMAP = 6, TAG_ACPI_OLD = 14, TAG_ACPI_NEW = 15 };
enum { MMAP_AVAILABLE = 1 };

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* A string inside a tag must end inside the tag. */
static const char *tag_string(const uint8_t *s, const uint8_t *end)
{
    for (const uint8_t *p = s; p < end; p++)
        if (!*p) return (const char *)s;
    return 0;
}

static void parse_mmap(const uint8_t *t, uint32_t size, struct bootinfo *out)
{
    uint32_t entry_size = rd32(t + 8);
    if (size < 16 || entry_size < 24 || entry_size % 8) {
        out->warning = "memory map tag malformed; ignored";
        return;
    }
    for (uint32_t off = 16; off + entry_size <= size; off += entry_size) {
        uint64_t base = rd64(t + off), len = rd64(t + off + 8);
        uint32_t type = rd32(t + off + 16);
        if (out->nregions == MB2_MAX_REGIONS) {
            out->warning = "too many memory map entries; the rest ignored";
            return;
        }
        if (len == 0)
            continue;
        out->regions[out->nregions++] = (struct mem_region){ base, len, type == MMAP_AVAILABLE };
        uint64_t end = len > UINT64_MAX - base ? UINT64_MAX : base + len;
        if (type == MMAP_AVAILABLE && end > out->top)
            out->top = end;
    }
}

static void parse_tag(const uint8_t *t, uint32_t type, uint32_t size, struct bootinfo *out)
{
    const uint8_t *end = t + size;
    switch (type) {
    case TAG_CMDLINE: {
        const char *s = tag_string(t + 8, end);
        if (s) out->cmdline = s;
        else out->warning = "command line not terminated; ignored";
        break;
    }
    case TAG_MODULE:
        if (size < 17 || out->nmodules == MB2_MAX_MODULES) {
            out->warning = "module tag malformed or too many modules";
            break;
        }
        out->modules[out->nmodules++] = (struct mb2_module){ rd32(t + 8), rd32(t + 12),
                                                             tag_string(t + 16, end) };
        break;
    case TAG_MMAP:
        parse_mmap(t, size, out);
        break;
    case TAG_ACPI_OLD:
    case TAG_ACPI_NEW:
        if (size > 8 && (type == TAG_ACPI_NEW || !out->rsdp)) {   /* prefer ACPI 2.0+ */
            out->rsdp = t + 8;
            out->rsdp_len = size - 8;
        }
        break;
    }
}

const char *mb2_parse(const void *info, size_t avail, struct bootinfo *out)
{
    const uint8_t *p = info;
    *out = (struct bootinfo){ .cmdline = "" };
    if (!p || avail < 8)
        return "boot information missing";
    uint32_t total = rd32(p);
    if (total < 16 || total > avail)
        return "boot information has an impossible size";
    for (uint32_t off = 8; off + 8 <= total;) {
        uint32_t type = rd32(p + off), size = rd32(p + off + 4);
        if (type == TAG_END)
            return 0;
        if (size < 8 || size > total - off) {
            out->warning = "a tag runs past the end of the boot information; the rest ignored";
            return 0;
        }
        parse_tag(p + off, type, size, out);
        off += (size + 7) & ~7u;
    }
    out->warning = "boot information has no end tag";
    return 0;
}
