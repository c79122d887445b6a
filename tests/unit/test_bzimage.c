/*
 * bzimage: the Linux 32-bit boot protocol.  Synthetic bzImages are built
 * here (a setup header, setup bytes, then recognisable protected-mode
 * bytes), mutated, sealed read-only, and loaded into a fake guest whose
 * memory map is the host's (low RAM, the EBDA-to-ROM hole, RAM from 1 MiB,
 * the natives' pool reserved at the top).  The zero page is checked
 * against one the test builds independently.  Nothing binary is checked in.
 * Run one case alone: build/unit/bzimage <name or *glob*>.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "loader/bzimage.h"
#include "tests/unit/loader_image.h"   /* struct img: an mmap'd image, sealed read-only */

/* --- images ---------------------------------------------------------------- */

#define SETUP_SECTS 4
#define PM_OFF ((SETUP_SECTS + 1) * 512)
#define PM_SIZE 0x3000
#define IMAGE_SIZE (PM_OFF + PM_SIZE)
#define HEADER_END 0x268        /* jump offset 0x66, as Linux 5.5+ has */
#define INIT_SIZE 0x400000
#define FILE_SETUP_DATA 0x1122334455667788ull
#define CMDLINE "console=ttyS0 root=/dev/ram0"

struct poke {
    uint32_t off;
    unsigned width;         /* bytes; 0: no poke */
    uint64_t value;
};

static void poke(struct img *im, struct poke p)
{
    for (unsigned i = 0; i < p.width; i++)
        im->data[p.off + i] = (uint8_t)(p.value >> 8 * i);
}

static uint8_t pm_pattern(size_t j)
{
    return (uint8_t)(j * 7 + (j >> 8) + 1);
}

/*
 * A protocol 2.15 header for a non-relocatable kernel that runs where it
 * is loaded (1 MiB) and needs INIT_SIZE bytes there.  The setup bytes
 * around the header are 0x5a, so a copy that runs past the header shows.
 */
static void image_new(struct img *im)
{
    static const struct poke header[] = {
        { BZ_H_SETUP_SECTS, 1, SETUP_SECTS },
        { BZ_H_BOOT_FLAG, 2, BZ_BOOT_FLAG },
        { BZ_H_JUMP, 2, 0xeb | (HEADER_END - BZ_H_MAGIC) << 8 },
        { BZ_H_MAGIC, 4, BZ_MAGIC },
        { BZ_H_VERSION, 2, 0x020f },
        { BZ_H_LOADFLAGS, 1, BZ_LOADED_HIGH },
        { BZ_H_CODE32_START, 4, BZ_LOAD_HIGH },
        { 0x224, 2, 0x57e0 },                   /* heap_end_ptr */
        { BZ_H_INITRD_ADDR_MAX, 4, 0x7fffffff },
        { BZ_H_KERNEL_ALIGNMENT, 4, 0x100000 },
        { BZ_H_CMDLINE_SIZE, 4, 2047 },
        { BZ_H_SETUP_DATA, 8, FILE_SETUP_DATA },
        { BZ_H_PREF_ADDRESS, 8, BZ_LOAD_HIGH },
        { BZ_H_INIT_SIZE, 4, INIT_SIZE },
    };

    memset(im, 0, sizeof *im);
    im->alloc = (IMAGE_SIZE + 4095) & ~4095u;
    im->data = mmap(NULL, im->alloc, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(im->data != MAP_FAILED);
    im->size = IMAGE_SIZE;
    memset(im->data, 0x5a, PM_OFF);
    memset(im->data + BZ_H_SETUP_SECTS, 0, HEADER_END - BZ_H_SETUP_SECTS);
    for (size_t i = 0; i < sizeof header / sizeof header[0]; i++)
        poke(im, header[i]);
    for (size_t j = 0; j < PM_SIZE; j++)
        im->data[PM_OFF + j] = pm_pattern(j);
}

static void open_ok(struct bz_kernel *k, struct img *im)
{
    img_seal(im);
    assert_int_equal(bz_open(k, im->data, im->size), BZ_OK);
}

/* --- the guest --------------------------------------------------------------- */

#define VM_SIZE (32u << 20)
#define VM_POOL (4u << 20)
#define RAM_TOP (VM_SIZE - VM_POOL)

struct vm {
    uint8_t *ram;
    struct loader_region regions[BZ_E820_MAX + 1];
    struct loader_mem mem;
    uint64_t fail_from;     /* map refuses paddr >= this */
    unsigned maps;
};

/* Like the kernel's: at most up to the next 4 KiB boundary per call. */
static void *vm_map(void *ctx, uint64_t paddr, uint64_t len, uint64_t *span)
{
    struct vm *v = ctx;
    uint64_t page_end = (paddr | 0xfff) + 1;

    v->maps++;
    if (paddr >= VM_SIZE || paddr >= v->fail_from)
        return NULL;
    *span = page_end - paddr < len ? page_end - paddr : len;
    return v->ram + paddr;
}

/* One buffer for every test, refilled: fresh 32 MiB per test would spend
 * the run in page faults. */
static void vm_init(struct vm *v)
{
    static uint8_t *ram;

    if (!ram)
        ram = malloc(VM_SIZE);
    assert_non_null(ram);
    memset(v, 0, sizeof *v);
    v->ram = ram;
    memset(v->ram, 0xcc, VM_SIZE);
    v->regions[0] = (struct loader_region){ 0, 0x9fc00, LOADER_RAM };
    v->regions[1] = (struct loader_region){ 0x9fc00, 0x60400, LOADER_RESERVED };
    v->regions[2] = (struct loader_region){ 0x100000, RAM_TOP - 0x100000, LOADER_RAM };
    v->regions[3] = (struct loader_region){ RAM_TOP, VM_POOL, LOADER_RESERVED };
    v->fail_from = UINT64_MAX;
    v->mem = (struct loader_mem){ v->regions, 4, 0x100000, vm_map, v };
}

static uint64_t rd(const struct vm *v, uint64_t a, unsigned bytes)
{
    uint64_t x = 0;

    for (unsigned i = 0; i < bytes; i++)
        x |= (uint64_t)v->ram[a + i] << 8 * i;
    return x;
}

static struct bz_boot default_boot(void)
{
    return (struct bz_boot){ .cmdline = CMDLINE };
}

/* --- bz_open ----------------------------------------------------------------- */

static void opens_valid_image(void **state)
{
    struct bz_kernel k;
    struct img im;

    (void)state;
    image_new(&im);
    open_ok(&k, &im);
    assert_string_equal(bz_strerror(&k), "no error");
    assert_int_equal(k.version, 0x020f);
    assert_int_equal(k.setup_sects, SETUP_SECTS);
    assert_int_equal(k.pm_offset, PM_OFF);
    assert_int_equal(k.pm_size, PM_SIZE);
    assert_int_equal(k.header_end, HEADER_END);
    assert_int_equal(k.loadflags, BZ_LOADED_HIGH);
    assert_int_equal(k.initrd_addr_max, 0x7fffffff);
    assert_int_equal(k.kernel_alignment, 0x100000);
    assert_false(k.relocatable);
    assert_int_equal(k.cmdline_size, 2047);
    assert_int_equal(k.pref_address, BZ_LOAD_HIGH);
    assert_int_equal(k.init_size, INIT_SIZE);
    img_free(&im);
}

/* "For backwards compatibility, if the setup_sects field contains 0, the
 * real value is 4." */
static void setup_sects_0_means_4(void **state)
{
    struct bz_kernel k;
    struct img im;

    (void)state;
    image_new(&im);
    poke(&im, (struct poke){ BZ_H_SETUP_SECTS, 1, 0 });
    open_ok(&k, &im);
    assert_int_equal(k.setup_sects, 4);
    assert_int_equal(k.pm_offset, 0xa00);
    img_free(&im);
}

/* Before 2.10 there is no init_size or pref_address, and the header may
 * end right after cmdline_size. */
static void protocol_2_06_estimates_init_size(void **state)
{
    struct bz_kernel k;
    struct img im;

    (void)state;
    image_new(&im);
    poke(&im, (struct poke){ BZ_H_VERSION, 2, 0x0206 });
    poke(&im, (struct poke){ BZ_H_JUMP + 1, 1, BZ_H_CMDLINE_SIZE + 4 - BZ_H_MAGIC });
    open_ok(&k, &im);
    assert_int_equal(k.header_end, 0x23c);
    assert_int_equal(k.pref_address, 0);
    assert_int_equal(k.init_size, 4 * PM_SIZE);
    img_free(&im);
}

static void probe_tells_bzimage_from_others(void **state)
{
    static uint8_t elf[4096] = { 0x7f, 'E', 'L', 'F', 1, 1, 1 };
    struct img im;

    (void)state;
    image_new(&im);
    img_seal(&im);
    assert_true(bz_probe(im.data, im.size));
    assert_true(bz_probe(im.data, BZ_H_MAGIC + 4));
    assert_false(bz_probe(im.data, BZ_H_MAGIC + 3));
    assert_false(bz_probe(elf, sizeof elf));
    assert_false(bz_probe(NULL, 0));
    img_free(&im);
    image_new(&im);
    poke(&im, (struct poke){ BZ_H_MAGIC, 4, 0 });
    assert_false(bz_probe(im.data, im.size));
    poke(&im, (struct poke){ BZ_H_MAGIC, 4, BZ_MAGIC });
    poke(&im, (struct poke){ BZ_H_BOOT_FLAG, 2, 0 });
    assert_false(bz_probe(im.data, im.size));
    img_free(&im);
}

struct open_case {
    const char *name;
    struct poke pokes[2];
    size_t cut;             /* file size if nonzero */
    enum bz_error want;
    const char *says;
};

#define RELOCATABLE { BZ_H_RELOCATABLE, 1, 1 }

static const struct open_case open_cases[] = {
    { "open_short_file", {{0}}, 0x207, BZ_ETRUNC, "file is 519 bytes, too short for a Linux setup header (0x208 bytes reach its version)" },
    { "open_sector_only", {{0}}, 0x100, BZ_ETRUNC, "file is 256 bytes" },
    { "open_bad_boot_flag", {{ BZ_H_BOOT_FLAG, 2, 0x55aa }}, 0, BZ_EBOOTFLAG, "boot flag 0x55aa at 0x1fe is not 0xaa55: not a Linux kernel image" },
    { "open_no_hdrs", {{ BZ_H_MAGIC, 4, 0x53726449 }}, 0, BZ_EMAGIC, "bad magic (no HdrS at 0x202): not a Linux bzImage" },
    { "open_protocol_2_05", {{ BZ_H_VERSION, 2, 0x0205 }}, 0, BZ_EVERSION, "boot protocol 2.05 is too old (2.06 or later needed)" },
    { "open_protocol_2_03", {{ BZ_H_VERSION, 2, 0x0203 }}, 0, BZ_EVERSION, "boot protocol 2.03 is too old" },
    { "open_setup_beyond_file", {{ BZ_H_SETUP_SECTS, 1, 64 }}, 0, BZ_ESETUP, "the protected-mode code at offset 0x8200 (setup_sects 64) lies beyond the file's 14848 bytes" },
    { "open_setup_0_beyond_file", {{ BZ_H_SETUP_SECTS, 1, 0 }}, 0x9ff, BZ_ESETUP, "at offset 0xa00 (setup_sects 4) lies beyond the file's 2559 bytes" },
    { "open_no_protected_mode_code", {{0}}, PM_OFF, BZ_ESETUP, "lies beyond the file's 2560 bytes" },
    { "open_header_too_short", {{ BZ_H_JUMP + 1, 1, 0x30 }}, 0, BZ_EHEADER, "the setup header ends at 0x232 (by its jump at 0x200), but protocol 2.15 needs 0x264..0x290" },
    { "open_header_2_06_too_short", {{ BZ_H_JUMP + 1, 1, 0x39 }, { BZ_H_VERSION, 2, 0x0206 }}, 0, BZ_EHEADER, "ends at 0x23b (by its jump at 0x200), but protocol 2.06 needs 0x23c..0x290" },
    { "open_header_too_long", {{ BZ_H_JUMP + 1, 1, 0x8f }}, 0, BZ_EHEADER, "the setup header ends at 0x291" },
    { "open_zimage", {{ BZ_H_LOADFLAGS, 1, BZ_CAN_USE_HEAP }}, 0, BZ_ENOTBZ, "not a bzImage (loadflags 0x80 has no LOADED_HIGH)" },
    { "open_alignment_zero", { RELOCATABLE, { BZ_H_KERNEL_ALIGNMENT, 4, 0 } }, 0, BZ_EALIGN, "relocatable kernel with kernel_alignment 0x0, which is not a power of two" },
    { "open_alignment_not_power_of_2", { RELOCATABLE, { BZ_H_KERNEL_ALIGNMENT, 4, 0x180000 } }, 0, BZ_EALIGN, "kernel_alignment 0x180000" },
    { "open_alignment_ignored_unless_relocatable", {{ BZ_H_KERNEL_ALIGNMENT, 4, 0x180000 }}, 0, BZ_OK, "no error" },
    { "open_init_size_zero", {{ BZ_H_INIT_SIZE, 4, 0 }}, 0, BZ_EINITSIZE, "init_size is 0, but protocol 2.15 must say how much memory the kernel needs to start" },
    { "open_init_size_zero_before_2_10", {{ BZ_H_INIT_SIZE, 4, 0 }, { BZ_H_VERSION, 2, 0x0209 }}, 0, BZ_OK, "no error" },
};

static void check_open(void **state)
{
    const struct open_case *c = *state;
    struct bz_kernel k;
    struct img im;

    image_new(&im);
    for (size_t i = 0; i < 2; i++)
        poke(&im, c->pokes[i]);
    if (c->cut)
        im.size = c->cut;
    img_seal(&im);
    assert_string_equal(bz_error_name(bz_open(&k, im.data, im.size)),
                bz_error_name(c->want));
    print_message("# %s\n", bz_strerror(&k));
    assert_non_null(strstr(bz_strerror(&k), c->says));
    img_free(&im);
}

/* --- bz_place ---------------------------------------------------------------- */

static void place(struct img *im, struct vm *v, const struct bz_boot *b,
          struct bz_layout *l)
{
    struct bz_kernel k;

    open_ok(&k, im);
    assert_int_equal(bz_place(&k, &v->mem, b, l), BZ_OK);
    assert_int_equal(v->maps, 0);           /* placing writes nothing */
}

static void layout_kernel_at_1mib(void **state)
{
    struct bz_boot b = default_boot();
    struct bz_layout l;
    struct img im;
    struct vm v;

    (void)state;
    image_new(&im);
    vm_init(&v);
    place(&im, &v, &b, &l);
    assert_int_equal(l.kernel, 0x100000);
    assert_int_equal(l.run, 0x100000);
    assert_int_equal(l.kernel_end, 0x100000 + INIT_SIZE);
    assert_int_equal(l.gdt, 0x1000);
    assert_int_equal(l.zero_page, 0x2000);
    assert_int_equal(l.cmdline, 0x3000);
    assert_int_equal(l.cmdline_len, strlen(CMDLINE));
    assert_int_equal(l.initrd, 0);
    assert_int_equal(l.initrd_size, 0);
    img_free(&im);
}

/* The copied code must stay reserved even when init_size says less. */
static void layout_code_longer_than_init_size(void **state)
{
    struct bz_boot b = default_boot();
    struct bz_layout l;
    struct img im;
    struct vm v;

    (void)state;
    image_new(&im);
    poke(&im, (struct poke){ BZ_H_INIT_SIZE, 4, 0x1000 });
    vm_init(&v);
    place(&im, &v, &b, &l);
    assert_int_equal(l.kernel_end, 0x100000 + PM_SIZE);
    img_free(&im);
}

struct reloc_case {
    const char *name;
    bool relocatable;
    uint32_t alignment;
    uint64_t pref;
    uint32_t floor;
    uint32_t kernel, run;
};

static const struct reloc_case reloc_cases[] = {
    /* "A relocating bootloader should attempt to load at this address" */
    { "layout_relocatable_at_pref_address", true, 0x1000000, 0x1000000, 0x100000, 0x1000000, 0x1000000 },
    { "layout_relocatable_aligns_pref_up", true, 0x200000, 0x1100000, 0x100000, 0x1200000, 0x1200000 },
    /* pref_address 0, as before 2.10: 1 MiB aligned up */
    { "layout_relocatable_aligns_1mib_up", true, 0x1000000, 0, 0x100000, 0x1000000, 0x1000000 },
    { "layout_relocatable_above_floor", true, 0x200000, 0x100000, 0x300000, 0x400000, 0x400000 },
    /* the decompressor of a fixed kernel runs at pref_address */
    { "layout_fixed_kernel_runs_at_pref_address", false, 0x1000000, 0x1000000, 0x100000, 0x100000, 0x1000000 },
};

static void check_reloc(void **state)
{
    const struct reloc_case *c = *state;
    struct bz_boot b = default_boot();
    struct bz_layout l;
    struct img im;
    struct vm v;

    image_new(&im);
    poke(&im, (struct poke){ BZ_H_RELOCATABLE, 1, c->relocatable });
    poke(&im, (struct poke){ BZ_H_KERNEL_ALIGNMENT, 4, c->alignment });
    poke(&im, (struct poke){ BZ_H_PREF_ADDRESS, 8, c->pref });
    vm_init(&v);
    v.mem.floor = c->floor;
    place(&im, &v, &b, &l);
    assert_int_equal(l.kernel, c->kernel);
    assert_int_equal(l.run, c->run);
    assert_int_equal(l.kernel_end, c->run + INIT_SIZE);
    img_free(&im);
}

/* "an initrd should be placed near end of memory": below the reserved
 * pool, page-aligned, clear of the kernel. */
static void layout_initrd_at_top_of_ram(void **state)
{
    struct bz_boot b = default_boot();
    struct bz_layout l;
    struct img im;
    struct vm v;

    (void)state;
    b.initrd_size = 0x12345;
    image_new(&im);
    vm_init(&v);
    place(&im, &v, &b, &l);
    assert_int_equal(l.initrd, (RAM_TOP - 0x12345) & ~0xfffu);
    assert_int_equal(l.initrd % 4096, 0);
    assert_true(l.initrd >= l.kernel_end);
    assert_true(l.initrd + 0x12345 <= RAM_TOP);
    assert_int_equal(l.initrd_size, 0x12345);
    img_free(&im);
}

/* boot.rst's example: "if your ramdisk is exactly 131072 bytes long and
 * this field is 0x37FFFFFF, you can start your ramdisk at 0x37FE0000",
 * moved down to fit the test guest. */
static void layout_initrd_ends_at_initrd_addr_max(void **state)
{
    struct bz_boot b = default_boot();
    struct bz_layout l;
    struct img im;
    struct vm v;

    (void)state;
    b.initrd_size = 131072;
    image_new(&im);
    poke(&im, (struct poke){ BZ_H_INITRD_ADDR_MAX, 4, 0x17fffff });
    vm_init(&v);
    place(&im, &v, &b, &l);
    assert_int_equal(l.initrd, 0x17e0000);
    img_free(&im);
}

/* Split RAM: the highest region that holds the initrd wins, and a region
 * too small for it is passed over. */
static void layout_initrd_skips_small_region(void **state)
{
    struct bz_boot b = default_boot();
    struct bz_layout l;
    struct img im;
    struct vm v;

    (void)state;
    b.initrd_size = 0x200000;
    image_new(&im);
    vm_init(&v);
    v.regions[2].size = 0x1000000 - 0x100000;             /* 1..16 MiB */
    v.regions[3] = (struct loader_region){ 0x1000000, 0x100000, LOADER_RESERVED };
    v.regions[4] = (struct loader_region){ 0x1100000, 0x100000, LOADER_RAM };
    v.mem.nregions = 5;
    place(&im, &v, &b, &l);
    assert_int_equal(l.initrd, 0x1000000 - 0x200000);
    img_free(&im);
}

struct place_case {
    const char *name;
    struct poke pokes[2];
    uint32_t initrd_size;
    size_t cmdline_len;     /* a generated command line if nonzero */
    uint32_t floor;         /* if nonzero */
    enum bz_error want;
    const char *says;
};

static const struct place_case place_cases[] = {
    { "place_cmdline_too_long", {{ BZ_H_CMDLINE_SIZE, 4, 8 }}, 0, 0, 0, BZ_ECMDLINE, "command line of 28 characters is longer than the kernel's cmdline_size 8" },
    { "place_cmdline_fills_cmdline_size", {{ BZ_H_CMDLINE_SIZE, 4, 28 }}, 0, 0, 0, BZ_OK, "no error" },
    { "place_cmdline_past_low_memory", {{ BZ_H_CMDLINE_SIZE, 4, 0xffffffff }}, 0, 0x9c000, 0, BZ_ELOW, "command line of 638976 characters does not fit between 0x00003000 and 0x0009f000" },
    { "place_cmdline_just_fits_low_memory", {{ BZ_H_CMDLINE_SIZE, 4, 0xffffffff }}, 0, 0x9bfff, 0, BZ_OK, "no error" },
    { "place_kernel_too_big", {{ BZ_H_INIT_SIZE, 4, 0x4000000 }}, 0, 0, 0, BZ_EKERNEL, "the kernel does not fit guest RAM: its 0x3000 bytes at 0x00100000 and init_size 0x4000000 from 0x00100000 need 0x00100000..0x04100000" },
    { "place_kernel_into_pool", {{ BZ_H_INIT_SIZE, 4, RAM_TOP - 0x100000 + 1 }}, 0, 0, 0, BZ_EKERNEL, "need 0x00100000..0x01c00001" },
    { "place_kernel_fills_ram", {{ BZ_H_INIT_SIZE, 4, RAM_TOP - 0x100000 }}, 0, 0, 0, BZ_OK, "no error" },
    { "place_fixed_kernel_pref_past_ram", {{ BZ_H_PREF_ADDRESS, 8, 0x10000000 }}, 0, 0, 0, BZ_EKERNEL, "init_size 0x400000 from 0x10000000 need 0x00100000..0x10400000" },
    { "place_fixed_kernel_pref_past_4g", {{ BZ_H_PREF_ADDRESS, 8, UINT64_MAX }}, 0, 0, 0, BZ_EKERNEL, "the kernel's preferred address 0xffffffffffffffff is beyond 4 GiB" },
    { "place_relocatable_pref_past_4g", { RELOCATABLE, { BZ_H_PREF_ADDRESS, 8, 0x100000000 } }, 0, 0, 0, BZ_EKERNEL, "the kernel's preferred address 0x100000000 is beyond 4 GiB" },
    { "place_relocatable_aligned_past_ram", { RELOCATABLE, { BZ_H_KERNEL_ALIGNMENT, 4, 0x80000000 } }, 0, 0, 0, BZ_EKERNEL, "at 0x80000000" },
    { "place_fixed_kernel_below_floor", {{0}}, 0, 0, 0x200000, BZ_EFLOOR, "the kernel is not relocatable and loads at 0x00100000, below the lowest load address 0x00200000" },
    { "place_initrd_too_big", {{0}}, 0x3400000, 0, 0, BZ_EINITRD, "the initrd of 0x3400000 bytes does not fit guest RAM between the kernel's end 0x00500000 and 0x80000000 (initrd_addr_max 0x7fffffff)" },
    { "place_initrd_fills_ram", {{0}}, RAM_TOP - 0x500000, 0, 0, BZ_OK, "no error" },
    { "place_initrd_max_below_kernel", {{ BZ_H_INITRD_ADDR_MAX, 4, 0x4fffff }}, 0x1000, 0, 0, BZ_EINITRD, "between the kernel's end 0x00500000 and 0x00500000 (initrd_addr_max 0x004fffff)" },
    { "place_initrd_max_zero", {{ BZ_H_INITRD_ADDR_MAX, 4, 0 }}, 1, 0, 0, BZ_EINITRD, "the initrd of 0x1 bytes" },
};

static void check_place(void **state)
{
    const struct place_case *c = *state;
    struct bz_boot b = default_boot();
    struct bz_kernel k;
    struct bz_layout l;
    struct img im;
    struct vm v;
    char *line = NULL;

    image_new(&im);
    for (size_t i = 0; i < 2; i++)
        poke(&im, c->pokes[i]);
    open_ok(&k, &im);
    vm_init(&v);
    if (c->floor)
        v.mem.floor = c->floor;
    if (c->cmdline_len) {
        line = malloc(c->cmdline_len + 1);
        assert_non_null(line);
        memset(line, 'x', c->cmdline_len);
        line[c->cmdline_len] = 0;
        b.cmdline = line;
    }
    b.initrd_size = c->initrd_size;
    assert_string_equal(bz_error_name(bz_place(&k, &v.mem, &b, &l)),
                bz_error_name(c->want));
    print_message("# %s\n", bz_strerror(&k));
    assert_non_null(strstr(bz_strerror(&k), c->says));
    assert_int_equal(v.maps, 0);
    free(line);
    img_free(&im);
}

static void place_too_many_regions(void **state)
{
    struct bz_boot b = default_boot();
    struct bz_kernel k;
    struct bz_layout l;
    struct img im;
    struct vm v;

    (void)state;
    image_new(&im);
    open_ok(&k, &im);
    vm_init(&v);
    for (size_t i = 4; i <= BZ_E820_MAX; i++)
        v.regions[i] = (struct loader_region){ 0xfee00000 + 0x1000 * i, 0x1000, LOADER_RESERVED };
    v.mem.nregions = BZ_E820_MAX + 1;
    assert_int_equal(bz_place(&k, &v.mem, &b, &l), BZ_EREGIONS);
    assert_string_equal(bz_strerror(&k),
        "129 memory regions, but the zero page's e820 table holds 128");
    img_free(&im);
}

static void place_without_low_ram(void **state)
{
    struct bz_boot b = default_boot();
    struct bz_kernel k;
    struct bz_layout l;
    struct img im;
    struct vm v;

    (void)state;
    image_new(&im);
    open_ok(&k, &im);
    vm_init(&v);
    v.regions[0].type = LOADER_RESERVED;
    assert_int_equal(bz_place(&k, &v.mem, &b, &l), BZ_ELOW);
    assert_string_equal(bz_strerror(&k),
        "low memory 0x00001000..0x0000301d for the GDT, zero page and command line is not guest RAM");
    img_free(&im);
}

/* --- bz_load ----------------------------------------------------------------- */

static uint8_t initrd[0x5000];

struct loaded {
    struct img im;
    struct vm v;
    struct bz_kernel k;
    struct bz_boot b;
    struct bz_layout l;
    struct bz_regs regs;
};

static void load(struct loaded *x, uint8_t loadflags)
{
    for (size_t i = 0; i < sizeof initrd; i++)
        initrd[i] = (uint8_t)(i * 13 + 5);
    image_new(&x->im);
    poke(&x->im, (struct poke){ BZ_H_LOADFLAGS, 1, loadflags });
    open_ok(&x->k, &x->im);
    vm_init(&x->v);
    x->b = (struct bz_boot){ CMDLINE, initrd, sizeof initrd };
    assert_int_equal(bz_load(&x->k, &x->v.mem, &x->b, &x->l, &x->regs), BZ_OK);
}

static void unload(struct loaded *x)
{
    img_free(&x->im);
}

static void load_copies_code_and_initrd(void **state)
{
    struct loaded x;

    (void)state;
    load(&x, BZ_LOADED_HIGH);
    assert_memory_equal(x.v.ram + 0x100000, x.im.data + PM_OFF, PM_SIZE);
    assert_int_equal(x.v.ram[0x100000 + PM_SIZE], 0xcc);   /* init_size: not ours */
    assert_int_equal(x.v.ram[0xfffff], 0xcc);
    assert_memory_equal(x.v.ram + x.l.initrd, initrd, sizeof initrd);
    assert_int_equal(x.v.ram[x.l.initrd + sizeof initrd], 0xcc);
    assert_string_equal((char *)x.v.ram + x.l.cmdline, CMDLINE);
    unload(&x);
}

/* The zero page built independently from the file and the spec. */
static void expected_zero_page(const struct loaded *x, uint8_t *zp)
{
    const struct loader_mem *mem = &x->v.mem;

    memset(zp, 0, BZ_ZERO_PAGE_SIZE);
    memcpy(zp + 0x1f1, x->im.data + 0x1f1, HEADER_END - 0x1f1);
    zp[0x006] = 3;                          /* orig_video_mode */
    zp[0x007] = 80;                         /* orig_video_cols */
    zp[0x00e] = 25;                         /* orig_video_lines */
    zp[0x00f] = 1;                          /* orig_video_isVGA */
    zp[0x010] = 16;                         /* orig_video_points */
    memcpy(zp + 0x1e0, &(uint32_t){ (RAM_TOP - 0x100000) / 1024 }, 4);
    zp[0x1e8] = (uint8_t)mem->nregions;
    zp[0x210] = 0xff;
    zp[0x211] = BZ_LOADED_HIGH;
    memcpy(zp + 0x214, &x->l.kernel, 4);
    memcpy(zp + 0x218, &x->l.initrd, 4);
    memcpy(zp + 0x21c, &(uint32_t){ sizeof initrd }, 4);
    memcpy(zp + 0x228, &(uint32_t){ 0x3000 }, 4);
    memset(zp + 0x250, 0, 8);               /* setup_data */
    for (size_t i = 0; i < mem->nregions; i++) {
        uint8_t *e = zp + 0x2d0 + 20 * i;

        memcpy(e, &mem->regions[i].base, 8);
        memcpy(e + 8, &mem->regions[i].size, 8);
        memcpy(e + 16, &mem->regions[i].type, 4);
    }
}

/* QUIET, KEEP_SEGMENTS and CAN_USE_HEAP in the file are all cleared. */
static void load_builds_zero_page(void **state)
{
    static uint8_t want[BZ_ZERO_PAGE_SIZE];
    struct loaded x;

    (void)state;
    load(&x, BZ_LOADED_HIGH | BZ_QUIET | BZ_KEEP_SEGMENTS | BZ_CAN_USE_HEAP);
    expected_zero_page(&x, want);
    assert_memory_equal(x.v.ram + 0x2000, want, sizeof want);
    assert_int_equal(rd(&x.v, 0x2000 + BZ_H_TYPE_OF_LOADER, 1), 0xff);
    assert_int_equal(rd(&x.v, 0x2000 + BZ_H_LOADFLAGS, 1), BZ_LOADED_HIGH);
    assert_string_equal((char *)x.v.ram + rd(&x.v, 0x2000 + BZ_H_CMD_LINE_PTR, 4), CMDLINE);
    assert_int_equal(rd(&x.v, 0x2000 + BZ_H_RAMDISK_IMAGE, 4), x.l.initrd);
    assert_int_equal(rd(&x.v, 0x2000 + BZ_H_RAMDISK_SIZE, 4), sizeof initrd);
    assert_int_equal(rd(&x.v, 0x2000 + BZ_H_SETUP_DATA, 8), 0);
    assert_int_equal(rd(&x.v, 0x2000 + 0x224, 2), 0x57e0);  /* heap_end_ptr kept */
    assert_int_equal(rd(&x.v, 0x2000 + BZ_Z_E820_ENTRIES, 1), 4);
    assert_int_equal(rd(&x.v, 0x2000 + BZ_Z_E820_TABLE + 2 * 20, 8), 0x100000);
    assert_int_equal(rd(&x.v, 0x2000 + BZ_Z_E820_TABLE + 2 * 20 + 8, 8), RAM_TOP - 0x100000);
    assert_int_equal(rd(&x.v, 0x2000 + BZ_Z_E820_TABLE + 3 * 20 + 16, 4), 2);
    assert_int_equal(x.v.ram[0x1fff], 0xcc);
    assert_int_equal(x.v.ram[0x3000 + strlen(CMDLINE) + 1], 0xcc);
    unload(&x);
}

static void load_writes_flat_gdt(void **state)
{
    struct loaded x;

    (void)state;
    load(&x, BZ_LOADED_HIGH);
    assert_int_equal(rd(&x.v, 0x1000, 8), 0);
    assert_int_equal(rd(&x.v, 0x1008, 8), 0);
    assert_int_equal(rd(&x.v, 0x1010, 8), 0x00cf9b000000ffffull);
    assert_int_equal(rd(&x.v, 0x1018, 8), 0x00cf93000000ffffull);
    assert_int_equal(x.v.ram[0x1020], 0xcc);
    assert_int_equal(x.v.ram[0xfff], 0xcc);
    assert_int_equal(x.regs.gdt_base, 0x1000);
    assert_int_equal(x.regs.gdt_limit, 31);
    unload(&x);
}

static void load_entry_registers(void **state)
{
    struct loaded x;

    (void)state;
    load(&x, BZ_LOADED_HIGH);
    assert_int_equal(x.regs.eip, 0x100000);
    assert_int_equal(x.regs.esi, 0x2000);
    assert_int_equal(x.regs.ebx, 0);
    assert_int_equal(x.regs.ebp, 0);
    assert_int_equal(x.regs.edi, 0);
    assert_int_equal(x.regs.cs, 0x10);
    assert_int_equal(x.regs.ds, 0x18);
    assert_int_equal(x.regs.es, 0x18);
    assert_int_equal(x.regs.ss, 0x18);
    assert_int_equal(x.regs.fs, 0x18);
    assert_int_equal(x.regs.gs, 0x18);
    assert_int_equal(x.regs.eflags & (1u << 9), 0);         /* IF */
    assert_int_equal(x.regs.cr0 & 1, 1);                     /* PE */
    assert_int_equal(x.regs.cr0 & (1u << 31), 0);           /* PG */
    unload(&x);
}

/* A relocated kernel: the code, code32_start and EIP all move. */
static void load_relocated_kernel(void **state)
{
    struct bz_boot b = { .cmdline = NULL };
    struct bz_kernel k;
    struct bz_layout l;
    struct bz_regs regs;
    struct img im;
    struct vm v;

    (void)state;
    image_new(&im);
    poke(&im, (struct poke){ BZ_H_RELOCATABLE, 1, 1 });
    poke(&im, (struct poke){ BZ_H_KERNEL_ALIGNMENT, 4, 0x1000000 });
    poke(&im, (struct poke){ BZ_H_PREF_ADDRESS, 8, 0x1000000 });
    open_ok(&k, &im);
    vm_init(&v);
    assert_int_equal(bz_load(&k, &v.mem, &b, &l, &regs), BZ_OK);
    assert_memory_equal(v.ram + 0x1000000, im.data + PM_OFF, PM_SIZE);
    assert_int_equal(v.ram[0x100000], 0xcc);
    assert_int_equal(rd(&v, 0x2000 + BZ_H_CODE32_START, 4), 0x1000000);
    assert_int_equal(regs.eip, 0x1000000);
    /* no command line: an empty string; no initrd: zeroes */
    assert_int_equal(rd(&v, 0x2000 + BZ_H_CMD_LINE_PTR, 4), 0x3000);
    assert_int_equal(v.ram[0x3000], 0);
    assert_int_equal(v.ram[0x3001], 0xcc);
    assert_int_equal(rd(&v, 0x2000 + BZ_H_RAMDISK_IMAGE, 4), 0);
    assert_int_equal(rd(&v, 0x2000 + BZ_H_RAMDISK_SIZE, 4), 0);
    img_free(&im);
}

static void load_map_refusal(void **state)
{
    struct bz_boot b = default_boot();
    struct bz_kernel k;
    struct bz_layout l;
    struct bz_regs regs;
    struct img im;
    struct vm v;

    (void)state;
    image_new(&im);
    open_ok(&k, &im);
    vm_init(&v);
    v.fail_from = 0x101000;
    assert_int_equal(bz_load(&k, &v.mem, &b, &l, &regs), BZ_EMAP);
    assert_string_equal(bz_strerror(&k),
        "guest memory at 0x00101000 could not be mapped");
    img_free(&im);
}

/* A refused image stays refused: bz_place does not run on it. */
static void place_after_refused_open(void **state)
{
    struct bz_boot b = default_boot();
    struct bz_kernel k;
    struct bz_layout l;
    struct img im;
    struct vm v;

    (void)state;
    image_new(&im);
    poke(&im, (struct poke){ BZ_H_MAGIC, 4, 0 });
    img_seal(&im);
    vm_init(&v);
    assert_int_equal(bz_open(&k, im.data, im.size), BZ_EMAGIC);
    assert_int_equal(bz_place(&k, &v.mem, &b, &l), BZ_EMAGIC);
    assert_int_equal(v.maps, 0);
    img_free(&im);
}

/* --- hostile images ---------------------------------------------------------- */

static uint32_t xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Random bytes over the header (and sometimes a random length) never
 * read or write out of bounds (ASan watches), and every outcome is either
 * a loaded kernel or a sentence. */
static void fuzz_header_bytes(void **state)
{
    static const uint32_t fields[] = {
        BZ_H_SETUP_SECTS, BZ_H_BOOT_FLAG, BZ_H_JUMP + 1, BZ_H_VERSION,
        BZ_H_LOADFLAGS, BZ_H_INITRD_ADDR_MAX + 3, BZ_H_KERNEL_ALIGNMENT + 2,
        BZ_H_KERNEL_ALIGNMENT + 3, BZ_H_RELOCATABLE, BZ_H_CMDLINE_SIZE,
        BZ_H_PREF_ADDRESS + 3, BZ_H_PREF_ADDRESS + 4, BZ_H_INIT_SIZE + 3,
    };
    uint32_t seed = 0x5eed1234;
    unsigned opened = 0, loaded = 0;
    struct vm v;

    (void)state;
    vm_init(&v);
    for (int iter = 0; iter < 4000; iter++) {
        struct bz_boot b = { CMDLINE, initrd, xorshift(&seed) % 2 ? sizeof initrd : 0 };
        struct bz_kernel k;
        struct bz_layout l;
        struct bz_regs regs;
        struct img im;
        enum bz_error e;

        image_new(&im);
        for (unsigned n = xorshift(&seed) % 6 + 1; n; n--) {
            uint32_t r = xorshift(&seed);
            uint32_t off = r % 2 ? fields[(r >> 8) % (sizeof fields / sizeof fields[0])]
                         : 0x1f1 + (r >> 8) % (0x290 - 0x1f1);

            im.data[off] = (uint8_t)xorshift(&seed);
        }
        if (xorshift(&seed) % 8 == 0)
            im.size = xorshift(&seed) % (IMAGE_SIZE + 1);
        img_seal(&im);
        e = bz_open(&k, im.data, im.size);
        if (e == BZ_OK) {
            opened++;
            e = bz_load(&k, &v.mem, &b, &l, &regs);
            loaded += e == BZ_OK;
        }
        assert_true(e >= BZ_OK && e < BZ_NERRORS);
        assert_true(strlen(bz_strerror(&k)) > 0);
        if (e != BZ_OK)
            assert_string_not_equal(bz_strerror(&k), "no error");
        img_free(&im);
    }
    print_message("# %u of 4000 opened, %u loaded\n", opened, loaded);
    assert_true(loaded > 0);
}

static void error_names_are_distinct(void **state)
{
    (void)state;
    for (int a = 0; a < BZ_NERRORS; a++) {
        assert_null(strchr(bz_error_name(a), '?'));
        for (int b = 0; b < a; b++)
            assert_string_not_equal(bz_error_name(a), bz_error_name(b));
    }
    assert_string_equal(bz_error_name(BZ_NERRORS), "BZ_E?");
}

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

int main(int argc, char **argv)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(opens_valid_image),
        cmocka_unit_test(setup_sects_0_means_4),
        cmocka_unit_test(protocol_2_06_estimates_init_size),
        cmocka_unit_test(probe_tells_bzimage_from_others),
        cmocka_unit_test(layout_kernel_at_1mib),
        cmocka_unit_test(layout_code_longer_than_init_size),
        cmocka_unit_test(layout_initrd_at_top_of_ram),
        cmocka_unit_test(layout_initrd_ends_at_initrd_addr_max),
        cmocka_unit_test(layout_initrd_skips_small_region),
        cmocka_unit_test(place_too_many_regions),
        cmocka_unit_test(place_without_low_ram),
        cmocka_unit_test(place_after_refused_open),
        cmocka_unit_test(load_copies_code_and_initrd),
        cmocka_unit_test(load_builds_zero_page),
        cmocka_unit_test(load_writes_flat_gdt),
        cmocka_unit_test(load_entry_registers),
        cmocka_unit_test(load_relocated_kernel),
        cmocka_unit_test(load_map_refusal),
        cmocka_unit_test(fuzz_header_bytes),
        cmocka_unit_test(error_names_are_distinct),
    };
    struct CMUnitTest tests[COUNT(fixed) + COUNT(open_cases) +
                COUNT(reloc_cases) + COUNT(place_cases)];
    size_t n = COUNT(fixed);

    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < COUNT(open_cases); i++)
        tests[n++] = (struct CMUnitTest){ open_cases[i].name,
            check_open, NULL, NULL, (void *)&open_cases[i] };
    for (size_t i = 0; i < COUNT(reloc_cases); i++)
        tests[n++] = (struct CMUnitTest){ reloc_cases[i].name,
            check_reloc, NULL, NULL, (void *)&reloc_cases[i] };
    for (size_t i = 0; i < COUNT(place_cases); i++)
        tests[n++] = (struct CMUnitTest){ place_cases[i].name,
            check_place, NULL, NULL, (void *)&place_cases[i] };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return _cmocka_run_group_tests("bzimage", tests, n, NULL, NULL);
}
