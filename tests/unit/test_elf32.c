/*
 * elf32: a well-formed generated image loads byte-exact with its bss
 * zeroed and its symbols readable; every mutation in the bad-image table is
 * refused with its own error and a message naming the offending values.
 * Run one case alone: build/unit/elf32 <name or *glob*>.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "loader/elf32.h"
#include "tests/unit/loader_image.h"

/* --- the bad-image table ------------------------------------------------- */

struct bad_case {
    const char *name;
    void (*spec)(struct img_spec *s);       /* before building, optional */
    void (*patch)(struct img *im);          /* after building, optional */
    enum elf32_error want;
    const char *says;                       /* must appear in the message */
    bool at_load;                           /* refused by elf32_load, not open */
    uint32_t floor;                         /* guest floor if not 1 MiB */
};

#define SPEC(fn, body) static void fn(struct img_spec *s) { body; }
#define PATCH(fn, body) static void fn(struct img *im) { body; }

PATCH(cut_empty, im->size = 0)
PATCH(cut_ehdr, im->size = 51)
PATCH(cut_phdrs, im->size = img_ph(im, 1, 31))
PATCH(cut_segment, im->size = im->segs_end - 1)
PATCH(cut_shdrs, im->size -= 1)
PATCH(magic0, img_put8(im, 0, 0x7e))
PATCH(magic3, img_put8(im, 3, 'f'))
PATCH(class64, img_put8(im, 4, 2))
PATCH(class0, img_put8(im, 4, 0))
PATCH(big_endian, img_put8(im, 5, 2))
PATCH(ident_version, img_put8(im, 6, 0))
PATCH(e_version, img_put32(im, IMG_E_VERSION, 2))
PATCH(type_rel, img_put16(im, IMG_E_TYPE, 1))
PATCH(type_dyn, img_put16(im, IMG_E_TYPE, 3))
PATCH(machine_x86_64, img_put16(im, IMG_E_MACHINE, 62))
PATCH(phentsize, img_put16(im, IMG_E_PHENTSIZE, 56))
PATCH(phnum_zero, img_put16(im, IMG_E_PHNUM, 0))
PATCH(phnum_huge, img_put16(im, IMG_E_PHNUM, ELF32_MAX_PHNUM + 1))
PATCH(phoff_wraps, img_put32(im, IMG_E_PHOFF, 0xfffffff0))
PATCH(seg_offset_wraps, img_put32(im, img_ph(im, 1, IMG_P_OFFSET), 0xffffffff))
PATCH(seg_filesz_huge, img_put32(im, img_ph(im, 0, IMG_P_FILESZ), 0xfffff000);
      img_put32(im, img_ph(im, 0, IMG_P_MEMSZ), 0xfffff000))
PATCH(filesz_gt_memsz, img_put32(im, img_ph(im, 1, IMG_P_MEMSZ), 0x7ff))
PATCH(overlap_inside, img_put32(im, img_ph(im, 1, IMG_P_PADDR), 0x100800))
PATCH(overlap_same, img_put32(im, img_ph(im, 1, IMG_P_PADDR), 0x100000))
PATCH(overlap_before, img_put32(im, img_ph(im, 1, IMG_P_PADDR), 0xff000);
      img_put32(im, img_ph(im, 1, IMG_P_MEMSZ), 0x1001))
PATCH(wrap_paddr, img_put32(im, img_ph(im, 1, IMG_P_PADDR), 0xfffff000))
PATCH(wrap_vaddr, img_put32(im, img_ph(im, 1, IMG_P_VADDR), 0xffffe800))
PATCH(no_load, img_put32(im, img_ph(im, 0, IMG_P_TYPE), IMG_PT_NOTE);
      img_put32(im, img_ph(im, 1, IMG_P_TYPE), IMG_PT_NOTE))
PATCH(entry_below, img_put32(im, IMG_E_ENTRY, 0xffff0))
PATCH(entry_past_bss, img_put32(im, IMG_E_ENTRY, 0x103000))
PATCH(shentsize, img_put16(im, IMG_E_SHENTSIZE, 32))
PATCH(shnum_huge, img_put16(im, IMG_E_SHNUM, ELF32_MAX_SHNUM + 1))
PATCH(shoff_wraps, img_put32(im, IMG_E_SHOFF, 0xffffffe0))
PATCH(symtab_past_end, img_put32(im, img_sh(im, IMG_SEC_SYMTAB, IMG_SH_SIZE), 0x10000))
PATCH(symtab_offset_wraps, img_put32(im, img_sh(im, IMG_SEC_SYMTAB, IMG_SH_OFFSET), 0xfffffff0))
PATCH(symtab_entsize, img_put32(im, img_sh(im, IMG_SEC_SYMTAB, IMG_SH_ENTSIZE), 24))
PATCH(symtab_link_none, img_put32(im, img_sh(im, IMG_SEC_SYMTAB, IMG_SH_LINK), 0))
PATCH(symtab_link_huge, img_put32(im, img_sh(im, IMG_SEC_SYMTAB, IMG_SH_LINK), 99))
PATCH(symtab_link_not_strtab, img_put32(im, img_sh(im, IMG_SEC_SYMTAB, IMG_SH_LINK), IMG_SEC_TEXT))
PATCH(strtab_past_end, img_put32(im, img_sh(im, IMG_SEC_STRTAB, IMG_SH_SIZE), 0x100000))
SPEC(below_floor, s->segs[0].paddr = 0x10000; s->entry = 0x10010; s->segs[0].vaddr = 0x10000)
SPEC(in_vga_hole, s->segs[1].paddr = 0xa0000)
SPEC(past_guest_ram, s->segs[1].paddr = GUEST_SIZE - 0x1000)
SPEC(far_above_ram, s->segs[1].paddr = 0xf0000000)
/* a PT_NOTE whose p_vaddr range holds the entry: it puts no bytes there */
static void entry_in_note(struct img_spec *s)
{
    s->entry = 0x200000;
    s->nsegs = 3;
    s->segs[2] = (struct img_seg){ IMG_PT_NOTE, IMG_PF_R, 0x200000, 0x200000, 0, 0x100 };
}

static const struct bad_case bad_cases[] = {
    { "truncated_empty", 0, cut_empty, ELF32_ETRUNC_EHDR, "file is 0 bytes", 0, 0 },
    { "truncated_ehdr", 0, cut_ehdr, ELF32_ETRUNC_EHDR, "file is 51 bytes, shorter than the 52-byte", 0, 0 },
    { "truncated_phdrs", 0, cut_phdrs, ELF32_ETRUNC_PHDRS, "program headers at 0x34+0x40 end past the end", 0, 0 },
    { "truncated_segment", 0, cut_segment, ELF32_ETRUNC_SEGMENT, "program header 1: file bytes", 0, 0 },
    { "truncated_shdrs", 0, cut_shdrs, ELF32_ETRUNC_SHDRS, "section headers at", 0, 0 },
    { "bad_magic_byte0", 0, magic0, ELF32_EMAGIC, "bad magic 0x7e 0x45 0x4c 0x46", 0, 0 },
    { "bad_magic_byte3", 0, magic3, ELF32_EMAGIC, "bad magic", 0, 0 },
    { "class_64", 0, class64, ELF32_ECLASS, "ELF class 2, want 1 (ELFCLASS32)", 0, 0 },
    { "class_none", 0, class0, ELF32_ECLASS, "ELF class 0", 0, 0 },
    { "big_endian", 0, big_endian, ELF32_EDATA, "data encoding 2", 0, 0 },
    { "ident_version", 0, ident_version, ELF32_EVERSION, "ELF version 0 (ident) / 1", 0, 0 },
    { "e_version", 0, e_version, ELF32_EVERSION, "/ 2 (e_version)", 0, 0 },
    { "type_relocatable", 0, type_rel, ELF32_ETYPE, "e_type 1, want 2 (ET_EXEC)", 0, 0 },
    { "type_shared", 0, type_dyn, ELF32_ETYPE, "e_type 3", 0, 0 },
    { "machine_x86_64", 0, machine_x86_64, ELF32_EMACHINE, "e_machine 62, want 3 (EM_386)", 0, 0 },
    { "phentsize", 0, phentsize, ELF32_EPHENTSIZE, "e_phentsize 56, want 32", 0, 0 },
    { "phnum_zero", 0, phnum_zero, ELF32_EPHNUM, "e_phnum 0, want 1 to 64", 0, 0 },
    { "phnum_huge", 0, phnum_huge, ELF32_EPHNUM, "e_phnum 65", 0, 0 },
    { "phoff_wraps", 0, phoff_wraps, ELF32_ETRUNC_PHDRS, "program headers at 0xfffffff0+0x40", 0, 0 },
    { "segment_offset_wraps", 0, seg_offset_wraps, ELF32_ETRUNC_SEGMENT, "file bytes 0xffffffff+0x800", 0, 0 },
    { "segment_filesz_huge", 0, seg_filesz_huge, ELF32_ETRUNC_SEGMENT, "program header 0: file bytes", 0, 0 },
    { "filesz_gt_memsz", 0, filesz_gt_memsz, ELF32_EFILESZ, "program header 1: p_filesz 0x800 is larger than p_memsz 0x7ff", 0, 0 },
    { "overlap_inside", 0, overlap_inside, ELF32_EOVERLAP, "program header 1: segment 0x00100800+0x2000 overlaps segment 0 (0x00100000+0x1000)", 0, 0 },
    { "overlap_same_start", 0, overlap_same, ELF32_EOVERLAP, "overlaps segment 0", 0, 0 },
    { "overlap_by_one_byte", 0, overlap_before, ELF32_EOVERLAP, "segment 0x000ff000+0x1001 overlaps", 0, 0 },
    { "wraps_4g_physical", 0, wrap_paddr, ELF32_EWRAP, "segment 0xfffff000+0x2000 (virtual 0x00101000) wraps past 4 GiB", 0, 0 },
    { "wraps_4g_virtual", 0, wrap_vaddr, ELF32_EWRAP, "(virtual 0xffffe800) wraps", 0, 0 },
    { "no_loadable_segment", 0, no_load, ELF32_ENOLOAD, "none of the 2 program headers", 0, 0 },
    { "entry_below_image", 0, entry_below, ELF32_EENTRY,
      "entry point 0x000ffff0 is outside every loadable segment (p_vaddr .. p_vaddr + p_memsz)", 0, 0 },
    { "entry_past_bss", 0, entry_past_bss, ELF32_EENTRY, "entry point 0x00103000", 0, 0 },
    { "entry_in_note_only", entry_in_note, 0, ELF32_EENTRY, "entry point 0x00200000", 0, 0 },
    { "shentsize", 0, shentsize, ELF32_ESHENTSIZE, "e_shentsize 32, want 40", 0, 0 },
    { "shnum_huge", 0, shnum_huge, ELF32_ESHNUM, "e_shnum 1025", 0, 0 },
    { "shoff_wraps", 0, shoff_wraps, ELF32_ETRUNC_SHDRS, "section headers at 0xffffffe0+0xc8", 0, 0 },
    { "symtab_past_end", 0, symtab_past_end, ELF32_ESYMTAB, "section 2 (symbol table): bytes", 0, 0 },
    { "symtab_offset_wraps", 0, symtab_offset_wraps, ELF32_ESYMTAB, "bytes 0xfffffff0+0x50", 0, 0 },
    { "symtab_entsize", 0, symtab_entsize, ELF32_ESYMTAB, "sh_entsize 24, want 16", 0, 0 },
    { "symtab_link_none", 0, symtab_link_none, ELF32_ESYMTAB, "sh_link 0 names no string table", 0, 0 },
    { "symtab_link_huge", 0, symtab_link_huge, ELF32_ESYMTAB, "sh_link 99", 0, 0 },
    { "symtab_link_not_strtab", 0, symtab_link_not_strtab, ELF32_ESYMTAB, "section 1 (type 1", 0, 0 },
    { "strtab_past_end", 0, strtab_past_end, ELF32_ESYMTAB, "section 3", 0, 0 },
    { "below_floor", below_floor, 0, ELF32_EFLOOR, "program header 0: segment 0x00010000+0x1000 starts below the lowest load address 0x00100000", 1, 0 },
    { "in_vga_hole", in_vga_hole, 0, ELF32_EOUTSIDE, "program header 1: segment 0x000a0000+0x2000 is not inside guest RAM", 1, 0x1000 },
    { "past_guest_ram", past_guest_ram, 0, ELF32_EOUTSIDE, "segment 0x007ff000+0x2000", 1, 0 },
    { "far_above_ram", far_above_ram, 0, ELF32_EOUTSIDE, "0xf0000000", 1, 0 },
};

static void check_bad(void **state)
{
    const struct bad_case *c = *state;
    struct img_spec spec = img_default_spec();
    struct elf32_image elf;
    struct guest g;
    struct img im;
    enum elf32_error e;

    if (c->spec)
        c->spec(&spec);
    img_build(&spec, &im);
    if (c->patch)
        c->patch(&im);
    img_seal(&im);
    guest_init(&g);
    if (c->floor)
        g.mem.floor = c->floor;
    e = elf32_open(&elf, im.data, im.size);
    if (c->at_load) {
        assert_int_equal(e, ELF32_OK);
        e = elf32_load(&elf, &g.mem);
        assert_int_equal(g.maps, 0);    /* refused before any write */
    }
    print_message("# %s: %s\n", elf32_error_name(e), elf32_strerror(&elf));
    assert_string_equal(elf32_error_name(e), elf32_error_name(c->want));
    assert_non_null(strstr(elf32_strerror(&elf), c->says));
    guest_free(&g);
    img_free(&im);
}

/* --- well-formed images ---------------------------------------------------- */

static void load_default(struct img *im, struct elf32_image *elf,
             struct guest *g)
{
    struct img_spec spec = img_default_spec();

    img_build(&spec, im);
    img_seal(im);
    guest_init(g);
    assert_int_equal(elf32_open(elf, im->data, im->size), ELF32_OK);
    assert_int_equal(elf32_load(elf, &g->mem), ELF32_OK);
}

static void loads_bytes_and_zeroes_bss(void **state)
{
    struct elf32_image elf;
    struct guest g;
    struct img im;

    (void)state;
    load_default(&im, &elf, &g);
    for (size_t j = 0; j < 0x1000; j++)
        assert_int_equal(g.ram[0x100000 + j], img_pattern(0, j));
    for (size_t j = 0; j < 0x800; j++)
        assert_int_equal(g.ram[0x101000 + j], img_pattern(1, j));
    for (size_t j = 0x800; j < 0x2000; j++)
        assert_int_equal(g.ram[0x101000 + j], 0);
    /* not one byte outside the segments */
    assert_int_equal(g.ram[0xfffff], 0xcc);
    assert_int_equal(g.ram[0x103000], 0xcc);
    assert_int_equal(elf.entry_phys, 0x100010);
    assert_int_equal(elf.lo, 0x100000);
    assert_int_equal(elf.hi, 0x103000);
    assert_string_equal(elf32_strerror(&elf), "no error");
    guest_free(&g);
    img_free(&im);
}

/* GNU Mach style: linked at 0xc0100000, loaded at 1 MiB. */
static void higher_half_loads_at_paddr(void **state)
{
    struct img_spec spec = img_default_spec();
    struct elf32_image elf;
    struct guest g;
    struct img im;

    (void)state;
    spec.segs[0].vaddr = 0xc0100000;
    spec.segs[1].vaddr = 0xc0101000;
    spec.entry = 0xc010000c;
    img_build(&spec, &im);
    img_seal(&im);
    guest_init(&g);
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
    assert_int_equal(elf32_load(&elf, &g.mem), ELF32_OK);
    assert_int_equal(elf.entry, 0xc010000c);
    assert_int_equal(elf.entry_phys, 0x10000c);
    assert_int_equal(g.ram[0x100000], img_pattern(0, 0));
    guest_free(&g);
    img_free(&im);
}

/* GNU Mach 1.8 as Debian ships it (gnumach-1.8-486): e_entry 0xc1000000,
 * segments linked at 0xc1000000+ and loaded at 0x01000000+.  GRUB 2 (and
 * QEMU's -kernel) start it at the physical 0x01000000; a third segment
 * with p_vaddr == p_paddr must not lend its (zero) offset. */
static void gnumach_entry_is_physical(void **state)
{
    struct img_spec spec = img_default_spec();
    struct elf32_image elf;
    struct img im;

    (void)state;
    spec.nsegs = 3;
    spec.segs[0] = (struct img_seg){ IMG_PT_LOAD, IMG_PF_R | IMG_PF_X, 0xc1000000, 0x01000000, 0x1000, 0x1000 };
    spec.segs[1] = (struct img_seg){ IMG_PT_LOAD, IMG_PF_R | IMG_PF_W, 0xc1001000, 0x01001000, 0x800, 0x2000 };
    spec.segs[2] = (struct img_seg){ IMG_PT_LOAD, IMG_PF_R | IMG_PF_X, 0x00100000, 0x00100000, 0x100, 0x100 };
    spec.entry = 0xc1000000;
    img_build(&spec, &im);
    img_seal(&im);
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
    assert_int_equal(elf.entry, 0xc1000000);
    assert_int_equal(elf.entry_phys, 0x01000000);
    assert_int_equal(elf.lo, 0x00100000);
    assert_int_equal(elf.hi, 0x01003000);
    img_free(&im);
    /* an entry in the second segment takes that segment's translation */
    spec.segs[1].paddr = 0x02000000;
    spec.entry = 0xc1001010;
    img_build(&spec, &im);
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
    assert_int_equal(elf.entry_phys, 0x02000010);
    img_free(&im);
}

/* GRUB 2's rule, not a stricter one: the entry may lie in a segment
 * without PF_X (paging is off: every byte executes) and in its bss (it
 * runs zeroes there, as under GRUB); only outside every loadable segment
 * is an image refused (the table above). */
static void entry_as_grub_takes_it(void **state)
{
    static const struct { uint32_t entry, flags0, filesz0, want; } cases[] = {
        { 0x00101004, IMG_PF_R | IMG_PF_X, 0x1000, 0x00101004 },   /* in the data segment */
        { 0x00101fff, IMG_PF_R | IMG_PF_X, 0x1000, 0x00101fff },   /* in the data segment's bss */
        { 0x00100010, IMG_PF_R, 0x1000, 0x00100010 },              /* in a segment without PF_X */
        { 0x00100010, IMG_PF_R | IMG_PF_X, 0x10, 0x00100010 },     /* in the text segment's bss */
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct img_spec spec = img_default_spec();
        struct elf32_image elf;
        struct img im;

        spec.segs[0].vaddr = 0xc0100000;
        spec.segs[1].vaddr = 0xc0101000;
        spec.entry = cases[i].entry + 0xc0000000;
        spec.segs[0].flags = cases[i].flags0;
        spec.segs[0].filesz = cases[i].filesz0;
        img_build(&spec, &im);
        assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
        assert_int_equal(elf.entry_phys, cases[i].want);
        img_free(&im);
    }
}

/* The executable segment, for peeling: its load address and file bytes. */
static void finds_the_exec_segment(void **state)
{
    struct img_spec spec = img_default_spec();
    struct elf32_image elf;
    struct img im;
    uint32_t paddr, offset, filesz;

    (void)state;
    spec.segs[0].vaddr = 0xc0100000;
    spec.segs[1].vaddr = 0xc0101000;
    spec.entry = 0xc010000c;
    img_build(&spec, &im);
    img_seal(&im);
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
    assert_true(elf32_exec_segment(&elf, &paddr, &offset, &filesz));
    assert_int_equal(paddr, 0x100000);
    assert_int_equal(filesz, 0x1000);
    assert_int_equal(((const uint8_t *)im.data)[offset], img_pattern(0, 0));
    img_free(&im);
}

/* PT_NOTE and empty PT_LOAD headers take no memory; adjacent segments
 * touch without overlapping. */
static void ignores_non_load_segments(void **state)
{
    struct img_spec spec = img_default_spec();
    struct elf32_image elf;
    struct guest g;
    struct img im;

    (void)state;
    spec.segs[2] = (struct img_seg){ IMG_PT_NOTE, IMG_PF_R, 0x100000, 0x100000, 0x10, 0x10 };
    spec.segs[3] = (struct img_seg){ IMG_PT_LOAD, IMG_PF_R, 0x100000, 0x100000, 0, 0 };
    spec.segs[4] = (struct img_seg){ 0x6474e551, IMG_PF_R | IMG_PF_W, 0, 0, 0, 0 };
    spec.nsegs = 5;
    img_build(&spec, &im);
    img_seal(&im);
    guest_init(&g);
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
    assert_int_equal(elf32_load(&elf, &g.mem), ELF32_OK);
    assert_int_equal(elf.hi, 0x103000);
    guest_free(&g);
    img_free(&im);
}

static void map_refusal_is_reported(void **state)
{
    struct img_spec spec = img_default_spec();
    struct elf32_image elf;
    struct guest g;
    struct img im;

    (void)state;
    img_build(&spec, &im);
    guest_init(&g);
    g.fail_from = 0x101800;         /* the bss of segment 1 */
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
    assert_int_equal(elf32_load(&elf, &g.mem), ELF32_EMAP);
    assert_string_equal(elf32_strerror(&elf),
        "program header 1: guest memory at 0x00101800 could not be mapped");
    guest_free(&g);
    img_free(&im);
}

/* Cutting the file at every length must fail, with the error of the part
 * that was cut (layout: ehdr, phdrs, segments, symtab/strtab, shdrs). */
static void truncated_at_every_length(void **state)
{
    struct img_spec spec = img_default_spec();
    struct elf32_image elf;
    struct img im;

    (void)state;
    img_build(&spec, &im);
    img_seal(&im);
    for (size_t len = 0; len < im.size; len++) {
        enum elf32_error want = len < 52 ? ELF32_ETRUNC_EHDR :
            len < img_ph(&im, 2, 0) ? ELF32_ETRUNC_PHDRS :
            len < im.segs_end ? ELF32_ETRUNC_SEGMENT :
            ELF32_ETRUNC_SHDRS;

        assert_string_equal(elf32_error_name(elf32_open(&elf, im.data, len)),
                    elf32_error_name(want));
    }
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
    img_free(&im);
}

/* --- symbols ------------------------------------------------------------- */

static void reads_symbols(void **state)
{
    struct elf32_image elf;
    struct elf32_symbol sym;
    struct guest g;
    struct img im;

    (void)state;
    load_default(&im, &elf, &g);
    assert_int_equal(elf32_symbol_count(&elf), 5);
    assert_true(elf32_symbol(&elf, 0, &sym));
    assert_string_equal(sym.name, "");
    assert_true(elf32_symbol(&elf, 2, &sym));
    assert_string_equal(sym.name, "main_loop");
    assert_int_equal(sym.value, 0x100030);
    assert_int_equal(sym.size, 0x40);
    assert_int_equal(sym.type, ELF32_STT_FUNC);
    assert_int_equal(sym.bind, 0);
    assert_false(elf32_symbol(&elf, 5, &sym));
    assert_true(elf32_lookup(&elf, "_start", &sym));
    assert_int_equal(sym.value, 0x100010);
    assert_int_equal(sym.bind, 1);
    assert_true(elf32_lookup(&elf, "counter", &sym));
    assert_int_equal(sym.type, ELF32_STT_OBJECT);
    assert_false(elf32_lookup(&elf, "undefined_fn", &sym));
    assert_false(elf32_lookup(&elf, "_star", &sym));
    assert_false(elf32_lookup(&elf, "_start_", &sym));
    guest_free(&g);
    img_free(&im);
}

static void stripped_image_has_no_symbols(void **state)
{
    struct img_spec spec = img_default_spec();
    struct elf32_image elf;
    struct elf32_symbol sym;
    struct img im;

    (void)state;
    spec.symbols = false;
    img_build(&spec, &im);
    img_seal(&im);
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
    assert_int_equal(elf32_symbol_count(&elf), 0);
    assert_false(elf32_symbol(&elf, 0, &sym));
    assert_false(elf32_lookup(&elf, "_start", &sym));
    img_free(&im);
}

/* A name offset past the string table, or a string running off its end,
 * is refused per symbol; the others still read. */
static void bad_symbol_names_are_refused(void **state)
{
    struct img_spec spec = img_default_spec();
    struct elf32_image elf;
    struct elf32_symbol sym;
    size_t strsize;
    struct img im;

    (void)state;
    img_build(&spec, &im);
    strsize = img_get32(&im, img_sh(&im, IMG_SEC_STRTAB, IMG_SH_SIZE));
    img_put32(&im, im.symoff + 1 * 16, 0x7fffffff);         /* _start */
    /* strtab ends before "undefined_fn"'s NUL */
    img_put32(&im, img_sh(&im, IMG_SEC_STRTAB, IMG_SH_SIZE), (uint32_t)strsize - 1);
    img_seal(&im);
    assert_int_equal(elf32_open(&elf, im.data, im.size), ELF32_OK);
    assert_false(elf32_symbol(&elf, 1, &sym));
    assert_false(elf32_symbol(&elf, 4, &sym));
    assert_true(elf32_symbol(&elf, 3, &sym));
    assert_string_equal(sym.name, "counter");
    assert_false(elf32_lookup(&elf, "_start", &sym));
    img_free(&im);
}

static void error_names_are_distinct(void **state)
{
    (void)state;
    for (int a = 0; a < ELF32_NERRORS; a++) {
        assert_null(strchr(elf32_error_name(a), '?'));
        for (int b = 0; b < a; b++)
            assert_string_not_equal(elf32_error_name(a), elf32_error_name(b));
    }
    assert_string_equal(elf32_error_name(ELF32_NERRORS), "ELF32_E?");
}

/* Every error code except EMAP (map_refusal_is_reported) and OK has a
 * bad-image case: the table cannot silently lose coverage. */
static void every_error_has_a_case(void **state)
{
    (void)state;
    for (int e = ELF32_OK + 1; e < ELF32_NERRORS; e++) {
        bool found = e == ELF32_EMAP;

        for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
            found |= bad_cases[i].want == (enum elf32_error)e;
        if (!found)
            fail_msg("no bad-image case for %s", elf32_error_name(e));
    }
}

#define NBAD (sizeof bad_cases / sizeof bad_cases[0])

int main(int argc, char **argv)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(loads_bytes_and_zeroes_bss),
        cmocka_unit_test(higher_half_loads_at_paddr),
        cmocka_unit_test(gnumach_entry_is_physical),
        cmocka_unit_test(entry_as_grub_takes_it),
        cmocka_unit_test(ignores_non_load_segments),
        cmocka_unit_test(map_refusal_is_reported),
        cmocka_unit_test(truncated_at_every_length),
        cmocka_unit_test(finds_the_exec_segment),
        cmocka_unit_test(reads_symbols),
        cmocka_unit_test(stripped_image_has_no_symbols),
        cmocka_unit_test(bad_symbol_names_are_refused),
        cmocka_unit_test(error_names_are_distinct),
        cmocka_unit_test(every_error_has_a_case),
    };
    enum { NFIXED = sizeof fixed / sizeof fixed[0] };
    struct CMUnitTest tests[NFIXED + NBAD];

    memcpy(tests, fixed, sizeof fixed);
    for (size_t i = 0; i < NBAD; i++)
        tests[NFIXED + i] = (struct CMUnitTest){ bad_cases[i].name,
            check_bad, NULL, NULL, (void *)&bad_cases[i] };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return _cmocka_run_group_tests("elf32", tests, NFIXED + NBAD, NULL, NULL);
}
