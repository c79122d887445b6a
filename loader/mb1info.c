/*
 * The Multiboot v1 information block (spec 0.6.96 section 3.3), written
 * into a guest-physical area the caller chose.  Layout, from area_base up:
 *
 *   info structure      88 bytes
 *   memory map          24 bytes per region ("size" then the 20 it counts)
 *   module list         16 bytes per module
 *   strings             command line, "Peel", each module's string
 *   module contents     each starting on a 4 KiB boundary
 *
 * Modules are always page-aligned: that satisfies header flag bit 0 when
 * it is set, and costs under 4 KiB per module when it is not.
 */
#include "loader/multiboot.h"

#define MB1_INFO_FAIL(out, e, ...) \
    (loader_fmt(&(out)->msg, __VA_ARGS__), (out)->error = (e))

struct cursor {
    uint64_t next;
};

static uint64_t take(struct cursor *c, uint64_t size, uint64_t align)
{
    uint64_t at = (c->next + align - 1) / align * align;

    c->next = at + size;
    return at;
}

static size_t length(const char *s)
{
    size_t n = 0;

    while (s && s[n])
        n++;
    return n;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* Where everything goes; the end is compared with the area afterwards, so
 * nothing is written when the block does not fit. */
static uint64_t plan(const struct mb1_boot *b, const struct loader_mem *mem,
             struct mb1_info *out, uint64_t *strings)
{
    struct cursor c = { b->area_base };

    out->info_addr = (uint32_t)take(&c, MB1_INFO_SIZE, 8);
    out->mmap_addr = (uint32_t)take(&c, mem->nregions * MB1_MMAP_ENTRY_SIZE, 4);
    out->mmap_length = (uint32_t)(mem->nregions * MB1_MMAP_ENTRY_SIZE);
    out->mods_addr = (uint32_t)take(&c, b->nmodules * MB1_MODULE_SIZE, 4);
    out->cmdline_addr = (uint32_t)take(&c, length(b->cmdline) + 1, 1);
    out->name_addr = (uint32_t)take(&c, sizeof MB1_BOOT_LOADER_NAME, 1);
    *strings = c.next;
    for (size_t i = 0; i < b->nmodules; i++)
        take(&c, length(b->modules[i].cmdline) + 1, 1);
    for (size_t i = 0; i < b->nmodules; i++)
        take(&c, b->modules[i].size, 4096);
    return c.next;
}

static enum mb1_error check_area(const struct mb1_boot *b,
                 const struct loader_mem *mem,
                 struct mb1_info *out)
{
    if (b->area_base < 0x1000)
        return MB1_INFO_FAIL(out, MB1_EAREA,
            "info area 0x%08x+0x%x is in the first page: EBX would be (nearly) null",
            b->area_base, b->area_size);
    if (!loader_mem_is_ram(mem, b->area_base, b->area_size))
        return MB1_INFO_FAIL(out, MB1_EAREA,
            "info area 0x%08x+0x%x is not inside guest RAM",
            b->area_base, b->area_size);
    if (loader_overlap(b->area_base, b->area_size, b->kernel_lo,
               b->kernel_hi - b->kernel_lo))
        return MB1_INFO_FAIL(out, MB1_EAREA,
            "info area 0x%08x+0x%x overlaps the kernel at 0x%08lx..0x%08lx",
            b->area_base, b->area_size, b->kernel_lo, b->kernel_hi);
    if (b->nmodules > MB1_MAX_MODULES || mem->nregions > MB1_MAX_REGIONS)
        return MB1_INFO_FAIL(out, MB1_EAREA_FULL,
            "%zu modules and %zu memory regions: at most %u and %u fit",
            b->nmodules, mem->nregions, MB1_MAX_MODULES, MB1_MAX_REGIONS);
    return MB1_OK;
}

/* "mem_lower and mem_upper indicate the amount of lower and upper memory,
 * respectively, in kilobytes. Lower memory starts at address 0, and upper
 * memory starts at address 1 megabyte. The maximum possible value for
 * lower memory is 640 kilobytes. The value returned for upper memory is
 * maximally the address of the first upper memory hole minus 1 megabyte." */
static void put_memory(uint8_t *info, const struct loader_mem *mem)
{
    uint64_t lower = loader_mem_ram_from(mem, 0);

    if (lower > 640 * 1024)
        lower = 640 * 1024;
    put32(info + MB1_I_MEM_LOWER, (uint32_t)(lower / 1024));
    put32(info + MB1_I_MEM_UPPER,
          (uint32_t)(loader_mem_ram_from(mem, 0x100000) / 1024));
}

static void fill_info(uint8_t *info, const struct mb1_boot *b,
              const struct loader_mem *mem, const struct mb1_info *out)
{
    for (int i = 0; i < MB1_INFO_SIZE; i++)
        info[i] = 0;
    put32(info + MB1_I_FLAGS, MB1_INFO_MEMORY | MB1_INFO_CMDLINE |
          MB1_INFO_MODS | MB1_INFO_MEM_MAP | MB1_INFO_BOOT_LOADER_NAME);
    put_memory(info, mem);
    put32(info + MB1_I_CMDLINE, out->cmdline_addr);
    put32(info + MB1_I_MODS_COUNT, (uint32_t)b->nmodules);
    put32(info + MB1_I_MODS_ADDR, out->mods_addr);
    put32(info + MB1_I_MMAP_LENGTH, out->mmap_length);
    put32(info + MB1_I_MMAP_ADDR, out->mmap_addr);
    put32(info + MB1_I_BOOT_LOADER_NAME, out->name_addr);
}

/* "size is the size of the associated structure in bytes, which can be
 * greater than the minimum of 20 bytes" and mmap_addr points at it: each
 * entry is size (4 bytes, value 20), base_addr, length, type. */
static bool write_mmap(const struct loader_mem *mem, uint32_t at,
               uint64_t *bad)
{
    for (size_t i = 0; i < mem->nregions; i++) {
        const struct loader_region *r = &mem->regions[i];
        uint8_t e[MB1_MMAP_ENTRY_SIZE];

        put32(e, MB1_MMAP_ENTRY_SIZE - 4);
        put64(e + 4, r->base);
        put64(e + 12, r->size);
        put32(e + 20, r->type);
        if (!loader_mem_copy(mem, at + i * MB1_MMAP_ENTRY_SIZE, e,
                     sizeof e, bad))
            return false;
    }
    return true;
}

static bool write_string(const struct loader_mem *mem, uint64_t at,
             const char *s, uint64_t *bad)
{
    return s ? loader_mem_copy(mem, at, s, length(s) + 1, bad)
         : loader_mem_zero(mem, at, 1, bad);
}

/* Each module: mod_start, mod_end (one past the last byte, as GRUB sets
 * it), string, reserved (0); then its string and its bytes. */
static bool write_modules(const struct mb1_boot *b,
              const struct loader_mem *mem,
              const struct mb1_info *out, uint64_t strings,
              uint64_t *bad)
{
    struct cursor c = { strings };

    for (size_t i = 0; i < b->nmodules; i++)
        take(&c, length(b->modules[i].cmdline) + 1, 1);
    for (size_t i = 0; i < b->nmodules; i++) {
        const struct mb1_module *m = &b->modules[i];
        uint64_t start = take(&c, m->size, 4096);
        uint8_t e[MB1_MODULE_SIZE];

        put32(e, (uint32_t)start);
        put32(e + 4, (uint32_t)(start + m->size));
        put32(e + 8, (uint32_t)strings);
        put32(e + 12, 0);
        if (!loader_mem_copy(mem, out->mods_addr + i * MB1_MODULE_SIZE,
                     e, sizeof e, bad) ||
            !write_string(mem, strings, m->cmdline, bad) ||
            !loader_mem_copy(mem, start, m->data, m->size, bad))
            return false;
        strings += length(m->cmdline) + 1;
    }
    return true;
}

enum mb1_error mb1_build_info(const struct mb1_boot *b,
                  const struct loader_mem *mem,
                  struct mb1_info *out)
{
    uint8_t info[MB1_INFO_SIZE];
    uint64_t strings, end, bad = 0;

    *out = (struct mb1_info){ 0 };
    if (check_area(b, mem, out) != MB1_OK)
        return out->error;
    end = plan(b, mem, out, &strings);
    if (end - b->area_base > b->area_size)
        return MB1_INFO_FAIL(out, MB1_EAREA_FULL,
            "the information block and modules need 0x%lx bytes but the area 0x%08x has 0x%x",
            end - b->area_base, b->area_base, b->area_size);
    out->end = (uint32_t)end;
    fill_info(info, b, mem, out);
    if (!loader_mem_copy(mem, out->info_addr, info, sizeof info, &bad) ||
        !write_mmap(mem, out->mmap_addr, &bad) ||
        !write_string(mem, out->cmdline_addr, b->cmdline, &bad) ||
        !write_string(mem, out->name_addr, MB1_BOOT_LOADER_NAME, &bad) ||
        !write_modules(b, mem, out, strings, &bad))
        return MB1_INFO_FAIL(out, MB1_EMAP,
            "information block: guest memory at 0x%08lx could not be mapped",
            bad);
    return MB1_OK;
}

/*
 * Multiboot 0.6.96, 3.2 Machine state: "When the boot loader invokes the
 * 32-bit operating system, the machine must have the following state:
 *   EAX  Must contain the magic value 0x2BADB002 ...
 *   EBX  Must contain the 32-bit physical address of the Multiboot
 *        information structure provided by the boot loader.
 *   CS   Must be a 32-bit read/execute code segment with an offset of 0 and
 *        a limit of 0xFFFFFFFF. The exact value is undefined.
 *   DS, ES, FS, GS, SS  Must be a 32-bit read/write data segment with an
 *        offset of 0 and a limit of 0xFFFFFFFF. The exact values are all
 *        undefined.
 *   A20 gate  Must be enabled.
 *   CR0  Bit 31 (PG) must be cleared. Bit 0 (PE) must be set. Other bits
 *        are all undefined.
 *   EFLAGS  Bit 17 (VM) must be cleared. Bit 9 (IF) must be cleared. Other
 *        bits are all undefined.
 * All other processor registers and flag bits are undefined. This includes,
 * in particular:
 *   ESP  The OS image must create its own stack as soon as it needs one.
 *   GDTR Even though the segment registers are set up as described above,
 *        the GDTR may be invalid, so the OS image must not load any segment
 *        registers (even just reloading the same values!) until it sets up
 *        its own GDT.
 *   IDTR The OS image must leave interrupts disabled until it sets up its
 *        own IDT."
 *
 * For Peel that means: the vcpu starts with flat 32-bit CS/DS/ES/FS/GS/SS
 * (ring-compressed to DPL 1 in the real GDT, base 0 limit 4 GiB as the
 * guest sees them), virtual CR0 = PE, virtual IF = 0, and guest linear ==
 * guest physical.  These three registers are all the loader decides.
 */
struct mb1_regs mb1_entry_regs(uint32_t info_addr, uint32_t entry)
{
    return (struct mb1_regs){
        .eax = MB1_BOOTLOADER_MAGIC, .ebx = info_addr, .eip = entry,
    };
}

const char *mb1_info_strerror(const struct mb1_info *info)
{
    return info->error == MB1_OK ? "no error" : info->msg.text;
}
