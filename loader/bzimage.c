/*
 * Linux/x86 bzImage through the 32-bit boot protocol; see bzimage.h.
 * Quotes are from Documentation/arch/x86/boot.rst.
 */
#include "loader/bzimage.h"

#define BZ_FAIL(k, e, ...) \
    (loader_fmt(&(k)->msg, __VA_ARGS__), (k)->error = (e))

/* The zero page keeps 0x1f1..0x290 for the setup header: at 0x290 its
 * EDD buffers begin. */
#define BZ_HEADER_ROOM 0x290
#define PAGE 0x1000u

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* a is a power of two */
static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

bool bz_probe(const void *image, size_t size)
{
    const uint8_t *p = image;

    return size >= BZ_H_MAGIC + 4 &&
           le16(p + BZ_H_BOOT_FLAG) == BZ_BOOT_FLAG &&
           le32(p + BZ_H_MAGIC) == BZ_MAGIC;
}

/* "If the "HdrS" (0x53726448) magic number is not found at offset 0x202,
 * the boot protocol version is "old"": such kernels have no 32-bit entry
 * a boot loader may use.  2.06 is the first with cmdline_size. */
static enum bz_error check_ident(struct bz_kernel *k)
{
    const uint8_t *d = k->data;
    uint16_t flag;

    if (k->size < BZ_H_VERSION + 2)
        return BZ_FAIL(k, BZ_ETRUNC,
            "file is %zu bytes, too short for a Linux setup header (0x%x bytes reach its version)",
            k->size, BZ_H_VERSION + 2);
    if ((flag = le16(d + BZ_H_BOOT_FLAG)) != BZ_BOOT_FLAG)
        return BZ_FAIL(k, BZ_EBOOTFLAG,
            "boot flag 0x%x at 0x1fe is not 0xaa55: not a Linux kernel image",
            flag);
    if (le32(d + BZ_H_MAGIC) != BZ_MAGIC)
        return BZ_FAIL(k, BZ_EMAGIC,
            "bad magic (no HdrS at 0x202): not a Linux bzImage");
    k->version = le16(d + BZ_H_VERSION);
    if (k->version < BZ_MIN_VERSION)
        return BZ_FAIL(k, BZ_EVERSION,
            "boot protocol %u.%02u is too old (2.06 or later needed)",
            k->version >> 8, k->version & 0xff);
    return BZ_OK;
}

/* "The 32-bit (non-real-mode) kernel starts at offset (setup_sects+1)*512
 * in the kernel file (again, if setup_sects == 0 the real value is 4.)"
 * The header's length is "0x0202 + byte value at offset 0x0201"; it must
 * hold every field read here and fit the zero page's room for it.  The
 * protected-mode code starts at 0x400 or later, past BZ_HEADER_ROOM, so a
 * file that has that code has the whole header. */
static enum bz_error check_setup(struct bz_kernel *k)
{
    const uint8_t *d = k->data;
    uint32_t need = k->version >= 0x020a ? BZ_H_INIT_SIZE + 4
                         : BZ_H_CMDLINE_SIZE + 4;

    k->setup_sects = d[BZ_H_SETUP_SECTS] ? d[BZ_H_SETUP_SECTS] : 4;
    k->pm_offset = (k->setup_sects + 1u) * 512u;
    if (k->pm_offset >= k->size)
        return BZ_FAIL(k, BZ_ESETUP,
            "the protected-mode code at offset 0x%lx (setup_sects %u) lies beyond the file's %zu bytes",
            k->pm_offset, k->setup_sects, k->size);
    k->pm_size = k->size - k->pm_offset;
    k->header_end = BZ_H_MAGIC + d[BZ_H_JUMP + 1];
    if (k->header_end < need || k->header_end > BZ_HEADER_ROOM)
        return BZ_FAIL(k, BZ_EHEADER,
            "the setup header ends at 0x%x (by its jump at 0x200), but protocol %u.%02u needs 0x%x..0x%x",
            k->header_end, k->version >> 8, k->version & 0xff, need,
            BZ_HEADER_ROOM);
    k->loadflags = d[BZ_H_LOADFLAGS];
    if (!(k->loadflags & BZ_LOADED_HIGH))
        return BZ_FAIL(k, BZ_ENOTBZ,
            "not a bzImage (loadflags 0x%x has no LOADED_HIGH): a zImage wants the real-mode loader",
            k->loadflags);
    return BZ_OK;
}

/* What placement needs.  init_size appeared in 2.10; before it the
 * decompressor's needs were unstated.  GRUB 2 reserves three times the
 * protected-mode size there ("Usually, the compression ratio is about
 * 50%"); four leaves room for a kernel that compresses better. */
static enum bz_error read_placement(struct bz_kernel *k)
{
    const uint8_t *d = k->data;
    uint32_t a = le32(d + BZ_H_KERNEL_ALIGNMENT);

    k->initrd_addr_max = le32(d + BZ_H_INITRD_ADDR_MAX);
    k->kernel_alignment = a;
    k->relocatable = d[BZ_H_RELOCATABLE] != 0;
    k->cmdline_size = le32(d + BZ_H_CMDLINE_SIZE);
    if (k->relocatable && (a == 0 || (a & (a - 1))))
        return BZ_FAIL(k, BZ_EALIGN,
            "relocatable kernel with kernel_alignment 0x%x, which is not a power of two",
            a);
    if (k->version < 0x020a) {
        k->init_size = k->pm_size * 4;
        return BZ_OK;
    }
    k->pref_address = le64(d + BZ_H_PREF_ADDRESS);
    k->init_size = le32(d + BZ_H_INIT_SIZE);
    if (k->init_size == 0)
        return BZ_FAIL(k, BZ_EINITSIZE,
            "init_size is 0, but protocol %u.%02u must say how much memory the kernel needs to start",
            k->version >> 8, k->version & 0xff);
    return BZ_OK;
}

enum bz_error bz_open(struct bz_kernel *k, const void *image, size_t size)
{
    enum bz_error e;

    *k = (struct bz_kernel){ .data = image, .size = size };
    if ((e = check_ident(k)) != BZ_OK || (e = check_setup(k)) != BZ_OK)
        return e;
    return read_placement(k);
}

static size_t length(const char *s)
{
    size_t n = 0;

    while (s && s[n])
        n++;
    return n;
}

/* "The kernel command line can be located anywhere between the end of the
 * setup heap and 0xA0000"; with no setup code there is no heap. */
static enum bz_error place_low(struct bz_kernel *k,
                   const struct loader_mem *mem,
                   const struct bz_boot *boot, struct bz_layout *out)
{
    size_t len = length(boot->cmdline);
    uint64_t end = BZ_CMDLINE + (uint64_t)len + 1;

    if (mem->nregions > BZ_E820_MAX)
        return BZ_FAIL(k, BZ_EREGIONS,
            "%zu memory regions, but the zero page's e820 table holds %u",
            mem->nregions, BZ_E820_MAX);
    if (len > k->cmdline_size)
        return BZ_FAIL(k, BZ_ECMDLINE,
            "command line of %zu characters is longer than the kernel's cmdline_size %u",
            len, k->cmdline_size);
    if (end > BZ_LOW_END)
        return BZ_FAIL(k, BZ_ELOW,
            "command line of %zu characters does not fit between 0x%08x and 0x%08x",
            len, BZ_CMDLINE, BZ_LOW_END);
    if (!loader_mem_is_ram(mem, BZ_GDT, end - BZ_GDT))
        return BZ_FAIL(k, BZ_ELOW,
            "low memory 0x%08x..0x%08lx for the GDT, zero page and command line is not guest RAM",
            BZ_GDT, end);
    out->gdt = BZ_GDT;
    out->zero_page = BZ_ZERO_PAGE;
    out->cmdline = BZ_CMDLINE;
    out->cmdline_len = (uint32_t)len;
    return BZ_OK;
}

/*
 * A bzImage is "loaded at 0x100000"; a relocatable one "can be loaded at
 * any address that satisfies the kernel_alignment field", and "A
 * relocating bootloader should attempt to load at [pref_address]".
 * The decompressor then runs from max(align_up(load, kernel_alignment),
 * LOAD_PHYSICAL_ADDR) (startup_32 in arch/x86/boot/compressed/head_32.S
 * and head_64.S), and pref_address is LOAD_PHYSICAL_ADDR: so init_size
 * counts from there, not from the load address, and a non-relocatable
 * kernel with pref_address 16 MiB needs RAM from 1 MiB to 16 MiB +
 * init_size.  Before 2.10 there is no pref_address; the load address is
 * the best guess.
 */
static enum bz_error place_kernel(struct bz_kernel *k,
                  const struct loader_mem *mem,
                  struct bz_layout *out)
{
    uint64_t load = BZ_LOAD_HIGH, run, end;

    if (k->pref_address >= LOADER_GUEST_LIMIT)
        return BZ_FAIL(k, BZ_EKERNEL,
            "the kernel's preferred address 0x%lx is beyond 4 GiB",
            k->pref_address);
    if (k->relocatable)
        load = align_up(max64(max64(load, mem->floor), k->pref_address),
                k->kernel_alignment);
    if (load < mem->floor)
        return BZ_FAIL(k, BZ_EFLOOR,
            "the kernel is not relocatable and loads at 0x%08lx, below the lowest load address 0x%08x",
            load, mem->floor);
    run = max64(load, k->pref_address);
    end = max64(load + k->pm_size, run + k->init_size);
    if (!loader_mem_is_ram(mem, load, end - load))
        return BZ_FAIL(k, BZ_EKERNEL,
            "the kernel does not fit guest RAM: its 0x%lx bytes at 0x%08lx and init_size 0x%lx from 0x%08lx need 0x%08lx..0x%08lx",
            k->pm_size, load, k->init_size, run, load, end);
    out->kernel = (uint32_t)load;
    out->run = (uint32_t)run;
    out->kernel_end = end;
    return BZ_OK;
}

/* "an initrd should be placed near end of memory", and initrd_addr_max is
 * "the address of the highest safe byte".  The highest page-aligned spot
 * under the top of each RAM region wins; it must clear the kernel, whose
 * decompressor would otherwise overwrite it. */
static enum bz_error place_initrd(struct bz_kernel *k,
                  const struct loader_mem *mem,
                  const struct bz_boot *boot, struct bz_layout *out)
{
    uint64_t size = boot->initrd_size, best = 0;
    uint64_t limit = (uint64_t)k->initrd_addr_max + 1;
    uint64_t bottom = align_up(out->kernel_end, PAGE);

    if (size == 0)
        return BZ_OK;
    if (limit > LOADER_GUEST_LIMIT)
        limit = LOADER_GUEST_LIMIT;
    for (size_t i = 0; i < mem->nregions; i++) {
        const struct loader_region *r = &mem->regions[i];
        uint64_t top = r->base + r->size, at;

        if (r->type != LOADER_RAM)
            continue;
        if (top > limit)
            top = limit;
        if (top < bottom + size)
            continue;
        at = (top - size) & ~(uint64_t)(PAGE - 1);
        if (at > best && loader_mem_is_ram(mem, at, size))
            best = at;
    }
    if (best == 0)
        return BZ_FAIL(k, BZ_EINITRD,
            "the initrd of 0x%lx bytes does not fit guest RAM between the kernel's end 0x%08lx and 0x%08lx (initrd_addr_max 0x%08x)",
            size, out->kernel_end, limit, k->initrd_addr_max);
    out->initrd = (uint32_t)best;
    out->initrd_size = (uint32_t)size;
    return BZ_OK;
}

enum bz_error bz_place(struct bz_kernel *k, const struct loader_mem *mem,
               const struct bz_boot *boot, struct bz_layout *out)
{
    enum bz_error e;

    *out = (struct bz_layout){ 0 };
    if (k->error != BZ_OK)
        return k->error;
    if ((e = place_low(k, mem, boot, out)) != BZ_OK ||
        (e = place_kernel(k, mem, out)) != BZ_OK)
        return e;
    return place_initrd(k, mem, boot, out);
}

/* Writes into guest memory; the first refusal sticks and is reported
 * once, after all of them. */
struct sink {
    const struct loader_mem *mem;
    bool ok;
    uint64_t bad;
};

static void copy(struct sink *s, uint64_t at, const void *src, uint64_t len)
{
    if (s->ok)
        s->ok = loader_mem_copy(s->mem, at, src, len, &s->bad);
}

static void put(struct sink *s, uint64_t at, uint64_t v, unsigned bytes)
{
    uint8_t b[8];

    for (unsigned i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> 8 * i);
    copy(s, at, b, bytes);
}

/*
 * "a GDT must be loaded with the descriptors for selectors __BOOT_CS(0x10)
 * and __BOOT_DS(0x18); both descriptors must be 4G flat segment;
 * __BOOT_CS must have execute/read permission, and __BOOT_DS must have
 * read/write permission".  Base 0, limit 0xfffff in 4 KiB units, 32-bit,
 * ring 0; the accessed bit is set, as in Linux's own arch/x86/boot/pm.c,
 * so loading a selector never makes the CPU write to the table.
 */
static void write_gdt(struct sink *s, uint32_t at)
{
    static const uint64_t gdt[BZ_GDT_ENTRIES] = {
        [BZ_BOOT_CS / 8] = 0x00cf9b000000ffffull,
        [BZ_BOOT_DS / 8] = 0x00cf93000000ffffull,
    };

    for (unsigned i = 0; i < BZ_GDT_ENTRIES; i++)
        put(s, at + 8 * i, gdt[i], 8);
}

/* The map the BIOS would report through int 15h e820, from the same
 * regions (both number RAM 1 and reserved 2). */
static void write_e820(struct sink *s, uint32_t zp)
{
    const struct loader_mem *mem = s->mem;

    put(s, zp + BZ_Z_E820_ENTRIES, mem->nregions, 1);
    for (size_t i = 0; i < mem->nregions; i++) {
        uint32_t e = zp + BZ_Z_E820_TABLE + (uint32_t)i * BZ_E820_ENTRY_SIZE;

        put(s, e, mem->regions[i].base, 8);
        put(s, e + 8, mem->regions[i].size, 8);
        put(s, e + 16, mem->regions[i].type, 4);
    }
}

/*
 * "The memory for struct boot_params should be allocated and initialized
 * to all zero. Then the setup header from offset 0x01f1 of kernel image
 * on should be loaded into struct boot_params", then the fields a boot
 * loader writes:
 *   type_of_loader  0xff, "undefined": Peel has no assigned id;
 *   loadflags       QUIET clear (early messages wanted); CAN_USE_HEAP
 *                   clear, since the heap is the real-mode setup code's and
 *                   it never runs; KEEP_SEGMENTS clear, since our
 *                   selectors are the boot ones;
 *   code32_start    the load address, as for a relocated kernel;
 *   setup_data      0: no list follows, whatever the file held.
 * Screen: what the real-mode setup would find on a VGA in text mode 3.
 * alt_mem_k is the e801 fallback Linux uses when the e820 map has fewer
 * than two entries.
 */
static void write_zero_page(struct sink *s, const struct bz_kernel *k,
                const struct bz_layout *l)
{
    uint32_t zp = l->zero_page;
    uint8_t flags = k->loadflags & ~(BZ_QUIET | BZ_KEEP_SEGMENTS |
                     BZ_CAN_USE_HEAP);

    if (s->ok)
        s->ok = loader_mem_zero(s->mem, zp, BZ_ZERO_PAGE_SIZE, &s->bad);
    copy(s, zp + BZ_H_SETUP_SECTS, k->data + BZ_H_SETUP_SECTS,
         k->header_end - BZ_H_SETUP_SECTS);
    put(s, zp + BZ_Z_VIDEO_MODE, 3, 1);
    put(s, zp + BZ_Z_VIDEO_COLS, 80, 1);
    put(s, zp + BZ_Z_VIDEO_LINES, 25, 1);
    put(s, zp + BZ_Z_VIDEO_ISVGA, 1, 1);
    put(s, zp + BZ_Z_VIDEO_POINTS, 16, 1);
    put(s, zp + BZ_Z_ALT_MEM_K, loader_mem_ram_from(s->mem, BZ_LOAD_HIGH) / 1024, 4);
    put(s, zp + BZ_H_TYPE_OF_LOADER, BZ_TYPE_OF_LOADER, 1);
    put(s, zp + BZ_H_LOADFLAGS, flags, 1);
    put(s, zp + BZ_H_CODE32_START, l->kernel, 4);
    put(s, zp + BZ_H_RAMDISK_IMAGE, l->initrd, 4);
    put(s, zp + BZ_H_RAMDISK_SIZE, l->initrd_size, 4);
    put(s, zp + BZ_H_CMD_LINE_PTR, l->cmdline, 4);
    put(s, zp + BZ_H_SETUP_DATA, 0, 8);
    write_e820(s, zp);
}

/*
 * "At entry, the CPU must be in 32-bit protected mode with paging
 * disabled; ... CS must be __BOOT_CS and DS, ES, SS must be __BOOT_DS;
 * interrupt must be disabled; %esi must hold the base address of the
 * struct boot_params; %ebp, %edi and %ebx must be zero."  "the kernel is
 * started by jumping to the 32-bit kernel entry point, which is the start
 * address of loaded 32/64-bit kernel."  FS and GS get __BOOT_DS too, as
 * boot.rst recommends for the real-mode entry "to guard against bugs in
 * the kernel".  No stack: startup_32's first call borrows the scratch
 * field of boot_params, then it sets up its own.
 */
static void entry_regs(const struct bz_layout *l, struct bz_regs *r)
{
    *r = (struct bz_regs){
        .eip = l->kernel, .esi = l->zero_page,
        .cs = BZ_BOOT_CS, .ds = BZ_BOOT_DS, .es = BZ_BOOT_DS,
        .ss = BZ_BOOT_DS, .fs = BZ_BOOT_DS, .gs = BZ_BOOT_DS,
        .gdt_base = l->gdt, .gdt_limit = BZ_GDT_ENTRIES * 8 - 1,
        .eflags = 0x2,          /* bit 1 always reads 1; IF clear */
        .cr0 = 0x1,             /* PE; PG clear */
    };
}

enum bz_error bz_load(struct bz_kernel *k, const struct loader_mem *mem,
              const struct bz_boot *boot, struct bz_layout *out,
              struct bz_regs *regs)
{
    enum bz_error e = bz_place(k, mem, boot, out);
    struct sink s = { mem, true, 0 };

    if (e != BZ_OK)
        return e;
    copy(&s, out->kernel, k->data + k->pm_offset, k->pm_size);
    copy(&s, out->initrd, boot->initrd, out->initrd_size);
    copy(&s, out->cmdline, boot->cmdline ? boot->cmdline : "",
         out->cmdline_len + 1);
    write_gdt(&s, out->gdt);
    write_zero_page(&s, k, out);
    if (!s.ok)
        return BZ_FAIL(k, BZ_EMAP,
            "guest memory at 0x%08lx could not be mapped", s.bad);
    entry_regs(out, regs);
    return BZ_OK;
}

const char *bz_strerror(const struct bz_kernel *k)
{
    return k->error == BZ_OK ? "no error" : k->msg.text;
}

const char *bz_error_name(enum bz_error e)
{
    static const char *const names[BZ_NERRORS] = {
        "BZ_OK", "BZ_ETRUNC", "BZ_EBOOTFLAG", "BZ_EMAGIC", "BZ_EVERSION",
        "BZ_ESETUP", "BZ_EHEADER", "BZ_ENOTBZ", "BZ_EALIGN",
        "BZ_EINITSIZE", "BZ_EREGIONS", "BZ_ECMDLINE", "BZ_ELOW",
        "BZ_EFLOOR", "BZ_EKERNEL", "BZ_EINITRD", "BZ_EMAP",
    };

    return (unsigned)e < BZ_NERRORS ? names[e] : "BZ_E?";
}
