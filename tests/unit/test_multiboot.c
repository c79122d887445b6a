/*
 * Multiboot v1: finding and checking the header, loading through the a.out
 * kludge, and the information block read back field by field.  Images are
 * generated (tests/unit/loader_image.c) and mutated; nothing binary is
 * checked in.  Run one case alone: build/unit/multiboot <name or *glob*>.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "loader/elf32.h"
#include "loader/multiboot.h"
#include "tests/unit/loader_image.h"

/* --- headers --------------------------------------------------------------- */

/* A raw (non-ELF) image for the a.out kludge: 0x1880 bytes, the ELF
 * header wiped, a Multiboot header at file offset 0xa0. */
#define RAW_SIZE 0x1880
#define RAW_HDR 0xa0

struct kludge {
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

static const struct kludge good_kludge = {
    0x100020, 0x100000, 0x101800, 0x103000, 0x100040,
};

static void put_header(struct img *im, size_t off, uint32_t flags,
               const struct kludge *k)
{
    img_put32(im, off, MB1_HEADER_MAGIC);
    img_put32(im, off + 4, flags);
    img_put32(im, off + 8, -(MB1_HEADER_MAGIC + flags));
    if (!k)
        return;
    img_put32(im, off + 12, k->header_addr);
    img_put32(im, off + 16, k->load_addr);
    img_put32(im, off + 20, k->load_end_addr);
    img_put32(im, off + 24, k->bss_end_addr);
    img_put32(im, off + 28, k->entry_addr);
}

/* One text segment big enough to hold a header anywhere in 8 KiB. */
static void elf_with_room(struct img *im)
{
    struct img_spec spec = img_default_spec();

    spec.segs[0].filesz = spec.segs[0].memsz = 0x3000;
    spec.segs[1].vaddr = spec.segs[1].paddr = 0x103000;
    img_build(&spec, im);
}

static void raw_image(struct img *im, const struct kludge *k)
{
    struct img_spec spec = { .nsegs = 1, .segs = { { .filesz = RAW_SIZE } } };


    img_build(&spec, im);
    memset(im->data, 0, 52 + 32);           /* no ELF header left */
    put_header(im, RAW_HDR, MB1_AOUT_KLUDGE | MB1_MEMORY_INFO, k);
    im->size = RAW_SIZE;
}

struct header_case {
    const char *name;
    size_t off;             /* where the magic goes, from file start */
    uint32_t flags;
    uint32_t checksum_delta;        /* added to the right checksum */
    size_t cut;             /* file size if nonzero */
    enum mb1_error want;
    const char *says;
};

static const struct header_case header_cases[] = {
    { "header_at_segment", 0x80, MB1_PAGE_ALIGN | MB1_MEMORY_INFO, 0, 0, MB1_OK, "no error" },
    { "header_last_fitting", 8180, 0, 0, 0, MB1_OK, "no error" },
    { "header_optional_high_bit", 0x80, 1u << 20, 0, 0, MB1_OK, "no error" },
    { "header_missing", 0, 0, 0, 0, MB1_ENOHEADER, "no Multiboot header (magic 0x1badb002) in the first 8192 bytes" },
    { "header_past_8k", 8192, 0, 0, 0, MB1_ENOHEADER, "no Multiboot header" },
    { "header_misaligned", 0x82, 0, 0, 0, MB1_ENOHEADER, "no Multiboot header" },
    { "header_runs_past_8k", 8184, 0, 0, 0, MB1_ETRUNC_HEADER, "magic at offset 0x1ff8, but its 12-byte header runs past the first 8192 bytes" },
    { "header_runs_past_eof", 0x80, 0, 0, 0x84, MB1_ETRUNC_HEADER, "runs past the first 132 bytes" },
    { "header_tiny_file", 0, 0, 0, 3, MB1_ENOHEADER, "in the first 3 bytes" },
    { "header_bad_checksum", 0x80, MB1_MEMORY_INFO, 1, 0, MB1_ECHECKSUM, "Multiboot header at offset 0x80: magic + flags 0x2 + checksum 0xe4524ffd = 0x1, want 0" },
    { "header_video_mode", 0x80, MB1_VIDEO_MODE, 0, 0, MB1_EFLAGS, "flags 0x4 require bit 2 (video mode table), which Peel does not provide" },
    { "header_unknown_flag", 0x80, MB1_MEMORY_INFO | (1u << 5), 0, 0, MB1_EFLAGS, "require bit 5 (an unknown feature)" },
    { "header_kludge_past_8k", 8176, MB1_AOUT_KLUDGE, 0, 0, MB1_ETRUNC_HEADER, "is 32 bytes long" },
};

static void check_header(void **state)
{
    const struct header_case *c = *state;
    struct mb1_kernel k;
    struct img im;

    elf_with_room(&im);
    if (c->off) {
        put_header(&im, c->off, c->flags, NULL);
        img_put32(&im, c->off + 8, img_get32(&im, c->off + 8) + c->checksum_delta);
    }
    if (c->cut)
        im.size = c->cut;
    img_seal(&im);
    assert_string_equal(mb1_error_name(mb1_open(&k, im.data, im.size)),
                mb1_error_name(c->want));
    print_message("# %s\n", mb1_kernel_strerror(&k));
    assert_non_null(strstr(mb1_kernel_strerror(&k), c->says));
    if (c->want == MB1_OK) {
        assert_int_equal(k.header.offset, c->off);
        assert_int_equal(k.header.flags, c->flags);
        assert_false(mb1_is_aout(&k));
    }
    img_free(&im);
}

/* GRUB skips a magic whose checksum fails; so do we. */
static void skips_corrupt_header_before_good_one(void **state)
{
    struct mb1_kernel k;
    struct img im;

    (void)state;
    elf_with_room(&im);
    put_header(&im, 0x80, 0, NULL);
    img_put32(&im, 0x88, 0);
    put_header(&im, 0x100, MB1_PAGE_ALIGN, NULL);
    assert_int_equal(mb1_open(&k, im.data, im.size), MB1_OK);
    assert_int_equal(k.header.offset, 0x100);
    assert_string_equal(mb1_kernel_strerror(&k), "no error");
    img_free(&im);
}

/* --- the a.out kludge ------------------------------------------------------ */

struct kludge_case {
    const char *name;
    struct kludge k;
    enum mb1_error want;
    bool at_load;
    const char *says;
};

static const struct kludge_case kludge_cases[] = {
    { "kludge_load_above_header", { 0x100020, 0x100030, 0x101800, 0, 0x100040 },
      MB1_EKLUDGE_ADDR, 0, "load_addr 0x00100030 is above header_addr 0x00100020" },
    { "kludge_starts_before_file", { 0x100020, 0xf0000, 0x101800, 0, 0x100040 },
      MB1_EKLUDGE_OFFSET, 0, "header_addr - load_addr = 0x10020 but the header is at file offset 0xa0" },
    { "kludge_load_end_before_header", { 0x100020, 0x100000, 0x100010, 0, 0x100004 },
      MB1_EKLUDGE_ADDR, 0, "load_end_addr 0x00100010 is not above header_addr" },
    { "kludge_load_past_file", { 0x100020, 0x100000, 0x101800 + 0x81, 0, 0x100040 },
      MB1_EKLUDGE_TRUNC, 0, "loading 0x1881 bytes from file offset 0x80 runs past the end of the 6272-byte file" },
    { "kludge_bss_below_load_end", { 0x100020, 0x100000, 0x101000, 0x100800, 0x100040 },
      MB1_EKLUDGE_ADDR, 0, "bss_end_addr 0x00100800 is below the end of the loaded bytes 0x00101000" },
    { "kludge_entry_past_load", { 0x100020, 0x100000, 0x101000, 0x102000, 0x101000 },
      MB1_EKLUDGE_ENTRY, 0, "entry_addr 0x00101000 is outside the loaded bytes 0x00100000..0x00101000" },
    { "kludge_entry_before_load", { 0x100020, 0x100000, 0x101000, 0, 0xfffff },
      MB1_EKLUDGE_ENTRY, 0, "entry_addr 0x000fffff" },
    { "kludge_below_floor", { 0x80020, 0x80000, 0x81800, 0, 0x80040 },
      MB1_EFLOOR, 1, "image 0x00080000..0x00081800 starts below the lowest load address 0x00100000" },
    { "kludge_outside_ram", { 0x7ff020, 0x7ff000, 0x800800, 0, 0x7ff040 },
      MB1_EOUTSIDE, 1, "image 0x007ff000..0x00800800 is not inside guest RAM" },
    { "kludge_bss_outside_ram", { 0x100020, 0x100000, 0x101800, 0xfffff000, 0x100040 },
      MB1_EOUTSIDE, 1, "0x00100000..0xfffff000" },
};

static void check_kludge(void **state)
{
    const struct kludge_case *c = *state;
    struct kludge k = c->k;
    struct mb1_kernel mk;
    struct guest g;
    struct img im;
    enum mb1_error e;

    raw_image(&im, &k);
    img_seal(&im);
    guest_init(&g);
    e = mb1_open(&mk, im.data, im.size);
    if (c->at_load) {
        assert_int_equal(e, MB1_OK);
        e = mb1_load_aout(&mk, &g.mem);
        assert_int_equal(g.maps, 0);
    }
    print_message("# %s\n", mb1_kernel_strerror(&mk));
    assert_string_equal(mb1_error_name(e), mb1_error_name(c->want));
    assert_non_null(strstr(mb1_kernel_strerror(&mk), c->says));
    guest_free(&g);
    img_free(&im);
}

/* header_addr - load_addr = 0xa0 (the header's file offset) loads the
 * whole file from offset 0 to 1 MiB. */
static void kludge_loads_and_zeroes_bss(void **state)
{
    struct kludge k = { 0x1000a0, 0x100000, 0x101880, 0x103000, 0x1000a0 };
    struct mb1_kernel mk;
    struct guest g;
    struct img im;

    (void)state;
    raw_image(&im, &k);
    img_seal(&im);
    guest_init(&g);
    assert_int_equal(mb1_open(&mk, im.data, im.size), MB1_OK);
    assert_true(mb1_is_aout(&mk));
    assert_int_equal(mk.file_offset, 0);
    assert_int_equal(mk.load_size, 0x1880);
    assert_int_equal(mk.bss_size, 0x103000 - 0x101880);
    assert_int_equal(mb1_load_aout(&mk, &g.mem), MB1_OK);
    assert_memory_equal(g.ram + 0x100000, im.data, 0x1880);
    for (size_t i = 0x101880; i < 0x103000; i++)
        assert_int_equal(g.ram[i], 0);
    assert_int_equal(g.ram[0x103000], 0xcc);
    assert_int_equal(g.ram[0xfffff], 0xcc);
    assert_int_equal(mb1_aout_lo(&mk), 0x100000);
    assert_int_equal(mb1_aout_hi(&mk), 0x103000);
    guest_free(&g);
    img_free(&im);
}

/* load_end_addr 0: "the text and data segments occupy the whole OS image
 * file"; bss_end_addr 0: no bss.  Loading starts at the file offset that
 * puts the header at header_addr. */
static void kludge_zero_fields_mean_whole_file(void **state)
{
    struct kludge k = { 0x200010, 0x200000, 0, 0, 0x200000 };
    struct mb1_kernel mk;
    struct guest g;
    struct img im;

    (void)state;
    raw_image(&im, &k);
    img_seal(&im);
    guest_init(&g);
    assert_int_equal(mb1_open(&mk, im.data, im.size), MB1_OK);
    assert_int_equal(mk.file_offset, 0x90);
    assert_int_equal(mk.load_size, im.size - 0x90);
    assert_int_equal(mk.bss_size, 0);
    assert_int_equal(mb1_load_aout(&mk, &g.mem), MB1_OK);
    assert_memory_equal(g.ram + 0x200000, im.data + 0x90, im.size - 0x90);
    assert_int_equal(g.ram[0x200000 + im.size - 0x90], 0xcc);
    guest_free(&g);
    img_free(&im);
}

static void kludge_map_refusal(void **state)
{
    struct kludge k = good_kludge;
    struct mb1_kernel mk;
    struct guest g;
    struct img im;

    (void)state;
    k.header_addr = 0x1000a0;
    k.load_end_addr = 0x101880;
    raw_image(&im, &k);
    guest_init(&g);
    g.fail_from = 0x102000;
    assert_int_equal(mb1_open(&mk, im.data, im.size), MB1_OK);
    assert_int_equal(mb1_load_aout(&mk, &g.mem), MB1_EMAP);
    assert_string_equal(mb1_kernel_strerror(&mk),
        "a.out kludge: guest memory at 0x00102000 could not be mapped");
    guest_free(&g);
    img_free(&im);
}

/* --- the information block ------------------------------------------------- */

static uint32_t rd32(const struct guest *g, uint64_t a)
{
    const uint8_t *p = g->ram + a;

    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const struct guest *g, uint64_t a)
{
    return rd32(g, a) | (uint64_t)rd32(g, a + 4) << 32;
}

static const char *str(const struct guest *g, uint32_t a)
{
    return (const char *)g->ram + a;
}

static uint8_t mod_a[100], mod_b[4096], mod_c[5000];
static const struct mb1_module modules[] = {
    { mod_a, sizeof mod_a, "/boot/disk.img hd0" },
    { mod_b, sizeof mod_b, NULL },
    { NULL, 0, "empty" },
    { mod_c, sizeof mod_c, "c" },
};
#define NMODULES (sizeof modules / sizeof modules[0])

static struct mb1_boot default_boot(void)
{
    for (size_t i = 0; i < sizeof mod_a; i++)
        mod_a[i] = (uint8_t)(i + 1);
    memset(mod_b, 0xb5, sizeof mod_b);
    memset(mod_c, 0x3c, sizeof mod_c);
    return (struct mb1_boot){
        .header_flags = MB1_PAGE_ALIGN | MB1_MEMORY_INFO,
        .cmdline = "root=device:hd0s1 peel=mm,sched",
        .modules = modules, .nmodules = NMODULES,
        .area_base = 0x104000, .area_size = 0x10000,
        .kernel_lo = 0x100000, .kernel_hi = 0x103000,
    };
}

static void check_info_header_at(const struct guest *g,
                 const struct mb1_info *out, uint32_t where)
{
    uint32_t i = out->info_addr;

    assert_int_equal(i, where);
    assert_int_equal(rd32(g, i + MB1_I_FLAGS), 0x24d);      /* bits 0 2 3 6 9 */
    assert_int_equal(rd32(g, i + MB1_I_MEM_LOWER), 639);
    assert_int_equal(rd32(g, i + MB1_I_MEM_UPPER), 7 * 1024);
    assert_int_equal(rd32(g, i + MB1_I_BOOT_DEVICE), 0);
    assert_string_equal(str(g, rd32(g, i + MB1_I_CMDLINE)),
                "root=device:hd0s1 peel=mm,sched");
    assert_string_equal(str(g, rd32(g, i + MB1_I_BOOT_LOADER_NAME)), "Peel");
    for (uint32_t off = MB1_I_SYMS; off < MB1_I_MMAP_LENGTH; off += 4)
        assert_int_equal(rd32(g, i + off), 0);
    for (uint32_t off = MB1_I_DRIVES_LENGTH; off < MB1_INFO_SIZE; off += 4)
        if (off != MB1_I_BOOT_LOADER_NAME)
            assert_int_equal(rd32(g, i + off), 0);
}

static void check_info_header(const struct guest *g, const struct mb1_info *out)
{
    check_info_header_at(g, out, 0x104000);
}

/* Walk the map as a kernel must: "size" does not count itself. */
static void check_mmap(const struct guest *g, const struct mb1_info *out)
{
    uint32_t at = rd32(g, out->info_addr + MB1_I_MMAP_ADDR);
    uint32_t end = at + rd32(g, out->info_addr + MB1_I_MMAP_LENGTH);
    size_t n = 0;

    assert_int_equal(at % 4, 0);
    for (; at < end; at += rd32(g, at) + 4, n++) {
        assert_true(n < 4);
        assert_int_equal(rd32(g, at), 20);
        assert_int_equal(rd64(g, at + 4), g->regions[n].base);
        assert_int_equal(rd64(g, at + 12), g->regions[n].size);
        assert_int_equal(rd32(g, at + 20), g->regions[n].type);
    }
    assert_int_equal(at, end);
    assert_int_equal(n, 4);
}

static void check_modules(const struct guest *g, const struct mb1_info *out)
{
    uint32_t list = rd32(g, out->info_addr + MB1_I_MODS_ADDR);
    uint32_t prev_end = list;

    assert_int_equal(rd32(g, out->info_addr + MB1_I_MODS_COUNT), NMODULES);
    for (size_t i = 0; i < NMODULES; i++) {
        uint32_t e = list + 16 * (uint32_t)i;
        uint32_t start = rd32(g, e), end = rd32(g, e + 4);

        assert_int_equal(start % 4096, 0);
        assert_true(start >= prev_end);
        assert_int_equal(end - start, modules[i].size);
        if (modules[i].size)
            assert_memory_equal(g->ram + start, modules[i].data, modules[i].size);
        assert_string_equal(str(g, rd32(g, e + 8)),
                    modules[i].cmdline ? modules[i].cmdline : "");
        assert_int_equal(rd32(g, e + 12), 0);
        assert_true(end <= out->end);
        prev_end = end;
    }
}

static void info_block_reads_back(void **state)
{
    struct mb1_boot b = default_boot();
    struct mb1_info out;
    struct guest g;

    (void)state;
    guest_init(&g);
    assert_int_equal(mb1_build_info(&b, &g.mem, &out), MB1_OK);
    check_info_header(&g, &out);
    check_mmap(&g, &out);
    check_modules(&g, &out);
    /* nothing written outside [area_base, end) */
    assert_int_equal(g.ram[0x103fff], 0xcc);
    assert_int_equal(g.ram[out.end], 0xcc);
    assert_true(out.end <= b.area_base + b.area_size);
    guest_free(&g);
}

static void info_without_cmdline_or_modules(void **state)
{
    struct mb1_boot b = default_boot();
    struct mb1_info out;
    struct guest g;

    (void)state;
    b.cmdline = NULL;
    b.nmodules = 0;
    b.area_base = 0x9000;           /* low memory is fine for the block */
    b.area_size = 0x1000;
    guest_init(&g);
    assert_int_equal(mb1_build_info(&b, &g.mem, &out), MB1_OK);
    assert_string_equal(str(&g, rd32(&g, out.info_addr + MB1_I_CMDLINE)), "");
    assert_int_equal(rd32(&g, out.info_addr + MB1_I_MODS_COUNT), 0);
    check_mmap(&g, &out);
    guest_free(&g);
}

struct area_case {
    const char *name;
    uint32_t base, size;
    size_t nmodules;
    enum mb1_error want;
    const char *says;
};

static const struct area_case area_cases[] = {
    { "area_null", 0, 0x10000, NMODULES, MB1_EAREA, "info area 0x00000000+0x10000 is in the first page" },
    { "area_in_hole", 0x9f000, 0x2000, NMODULES, MB1_EAREA, "info area 0x0009f000+0x2000 is not inside guest RAM" },
    { "area_past_ram", 0x7f8000, 0x10000, NMODULES, MB1_EAREA, "not inside guest RAM" },
    { "area_over_kernel", 0x102000, 0x10000, NMODULES, MB1_EAREA, "info area 0x00102000+0x10000 overlaps the kernel at 0x00100000..0x00103000" },
    { "area_too_small", 0x104000, 0x4000, NMODULES, MB1_EAREA_FULL, "need 0x4388 bytes but the area 0x00104000 has 0x4000" },
    { "area_too_many_modules", 0x104000, 0x10000, MB1_MAX_MODULES + 1, MB1_EAREA_FULL, "257 modules" },
};

static void check_area(void **state)
{
    const struct area_case *c = *state;
    struct mb1_boot b = default_boot();
    struct mb1_info out;
    struct guest g;

    b.area_base = c->base;
    b.area_size = c->size;
    b.nmodules = c->nmodules;
    guest_init(&g);
    assert_string_equal(mb1_error_name(mb1_build_info(&b, &g.mem, &out)),
                mb1_error_name(c->want));
    print_message("# %s\n", mb1_info_strerror(&out));
    assert_non_null(strstr(mb1_info_strerror(&out), c->says));
    assert_int_equal(g.maps, 0);            /* refused before any write */
    guest_free(&g);
}

static void info_map_refusal(void **state)
{
    struct mb1_boot b = default_boot();
    struct mb1_info out;
    struct guest g;

    (void)state;
    guest_init(&g);
    g.fail_from = 0x106000;         /* inside the module contents */
    assert_int_equal(mb1_build_info(&b, &g.mem, &out), MB1_EMAP);
    assert_string_equal(mb1_info_strerror(&out),
        "information block: guest memory at 0x00106000 could not be mapped");
    guest_free(&g);
}

/* --- end to end ------------------------------------------------------------- */

/* What the kernel will do: header, ELF load, block after the kernel,
 * registers; and the module bytes are never written. */
static void boots_elf_kernel_like_grub(void **state)
{
    struct mb1_boot b = default_boot();
    struct elf32_image elf;
    struct mb1_kernel mk;
    struct mb1_info out;
    struct mb1_regs regs;
    struct guest g;
    struct img im;

    (void)state;
    elf_with_room(&im);
    put_header(&im, im.seg_off[0] + 0x20, MB1_PAGE_ALIGN | MB1_MEMORY_INFO, NULL);
    img_seal(&im);
    guest_init(&g);
    assert_int_equal(mb1_open(&mk, im.data, im.size), MB1_OK);
    assert_false(mb1_is_aout(&mk));
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
    assert_int_equal(elf32_load(&elf, &g.mem), ELF32_OK);
    b.kernel_lo = elf.lo;
    b.kernel_hi = elf.hi;
    b.area_base = (uint32_t)((elf.hi + 0xfff) & ~0xfffull);
    assert_int_equal(mb1_build_info(&b, &g.mem, &out), MB1_OK);
    regs = mb1_entry_regs(out.info_addr, elf.entry_phys);
    assert_int_equal(regs.eax, 0x2BADB002);
    assert_int_equal(regs.ebx, b.area_base);
    assert_int_equal(regs.eip, 0x100010);
    assert_int_equal(rd32(&g, 0x100000 + 0x20), MB1_HEADER_MAGIC);
    check_modules(&g, &out);
    guest_free(&g);
    img_free(&im);
}

/* An ELF image with bit 16 set is loaded through the address fields, as
 * GRUB 2 does. */
static void elf_with_kludge_uses_address_fields(void **state)
{
    struct kludge k = { 0x2000a0, 0x200000, 0x201000, 0x202000, 0x2000c0 };
    struct mb1_kernel mk;
    struct guest g;
    struct img im;

    (void)state;
    elf_with_room(&im);
    put_header(&im, 0xa0, MB1_AOUT_KLUDGE, &k);
    img_seal(&im);
    guest_init(&g);
    assert_int_equal(mb1_open(&mk, im.data, im.size), MB1_OK);
    assert_true(mb1_is_aout(&mk));
    assert_int_equal(mb1_load_aout(&mk, &g.mem), MB1_OK);
    assert_memory_equal(g.ram + 0x200000, im.data, 0x1000);
    assert_int_equal(g.ram[0x201fff], 0);
    assert_int_equal(mk.header.entry_addr, 0x2000c0);
    guest_free(&g);
    img_free(&im);
}

/* tests/unit/tiny_kernel.S, linked by binutils at build time. */
static void boots_binutils_kernel(void **state)
{
    static uint8_t buf[1 << 16];
    FILE *f = fopen(TINY_KERNEL, "rb");
    struct mb1_boot b = default_boot();
    struct elf32_image elf;
    struct elf32_symbol start, info;
    struct mb1_kernel mk;
    struct mb1_info out;
    struct guest g;
    size_t n;

    (void)state;
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    guest_init(&g);
    assert_int_equal(mb1_open(&mk, buf, n), MB1_OK);
    assert_int_equal(mk.header.flags, MB1_PAGE_ALIGN | MB1_MEMORY_INFO);
    assert_int_equal(elf32_open(&elf, buf, n), ELF32_OK);
    assert_int_equal(elf32_load(&elf, &g.mem), ELF32_OK);
    assert_true(elf32_lookup(&elf, "_start", &start));
    assert_true(elf32_lookup(&elf, "boot_info", &info));
    assert_int_equal(start.type, ELF32_STT_FUNC);
    assert_int_equal(info.type, ELF32_STT_OBJECT);
    assert_int_equal(info.size, 4);
    assert_int_equal(elf.entry, start.value);
    assert_int_equal(elf.entry_phys, start.value - 0xc0000000u);
    assert_int_equal(elf.lo, 0x100000);
    assert_int_equal(rd32(&g, 0x100000), MB1_HEADER_MAGIC);
    b.kernel_lo = elf.lo;
    b.kernel_hi = elf.hi;
    b.area_base = (uint32_t)((elf.hi + 0xfff) & ~0xfffull);
    assert_int_equal(mb1_build_info(&b, &g.mem, &out), MB1_OK);
    check_info_header_at(&g, &out, b.area_base);
    guest_free(&g);
}

static void error_names_are_distinct(void **state)
{
    (void)state;
    for (int a = 0; a < MB1_NERRORS; a++) {
        assert_null(strchr(mb1_error_name(a), '?'));
        for (int b = 0; b < a; b++)
            assert_string_not_equal(mb1_error_name(a), mb1_error_name(b));
    }
    assert_string_equal(mb1_error_name(MB1_NERRORS), "MB1_E?");
}

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

int main(int argc, char **argv)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(skips_corrupt_header_before_good_one),
        cmocka_unit_test(kludge_loads_and_zeroes_bss),
        cmocka_unit_test(kludge_zero_fields_mean_whole_file),
        cmocka_unit_test(kludge_map_refusal),
        cmocka_unit_test(info_block_reads_back),
        cmocka_unit_test(info_without_cmdline_or_modules),
        cmocka_unit_test(info_map_refusal),
        cmocka_unit_test(boots_elf_kernel_like_grub),
        cmocka_unit_test(elf_with_kludge_uses_address_fields),
        cmocka_unit_test(boots_binutils_kernel),
        cmocka_unit_test(error_names_are_distinct),
    };
    struct CMUnitTest tests[COUNT(fixed) + COUNT(header_cases) +
                COUNT(kludge_cases) + COUNT(area_cases)];
    size_t n = COUNT(fixed);

    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < COUNT(header_cases); i++)
        tests[n++] = (struct CMUnitTest){ header_cases[i].name,
            check_header, NULL, NULL, (void *)&header_cases[i] };
    for (size_t i = 0; i < COUNT(kludge_cases); i++)
        tests[n++] = (struct CMUnitTest){ kludge_cases[i].name,
            check_kludge, NULL, NULL, (void *)&kludge_cases[i] };
    for (size_t i = 0; i < COUNT(area_cases); i++)
        tests[n++] = (struct CMUnitTest){ area_cases[i].name,
            check_area, NULL, NULL, (void *)&area_cases[i] };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return _cmocka_run_group_tests("multiboot", tests, n, NULL, NULL);
}
