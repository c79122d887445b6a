/*
 * ELF32 kernel images: header and program header checks, placement in guest
 * memory, loading.  Field layouts are those of the System V ABI (gABI)
 * "ELF Header" and "Program Header" chapters, i386 supplement.
 */
#include "loader/elf32.h"
#include "loader/elf32_priv.h"

#define EHDR_SIZE 52
#define PHDR_SIZE 32
#define ET_EXEC 2
#define EM_386 3
#define EV_CURRENT 1
#define PT_LOAD 1
#define PF_X 1

struct phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags;
};

static struct phdr phdr_at(const struct elf32_image *img, unsigned i)
{
    const uint8_t *p = img->data + img->phoff + (size_t)i * PHDR_SIZE;

    return (struct phdr){
        .type = elf32_le32(p), .offset = elf32_le32(p + 4),
        .vaddr = elf32_le32(p + 8), .paddr = elf32_le32(p + 12),
        .filesz = elf32_le32(p + 16), .memsz = elf32_le32(p + 20),
        .flags = elf32_le32(p + 24),
    };
}

bool elf32_exec_segment(const struct elf32_image *img, uint32_t *paddr,
            uint32_t *offset, uint32_t *filesz)
{
    for (unsigned i = 0; i < img->phnum; i++) {
        struct phdr ph = phdr_at(img, i);

        if (ph.type == PT_LOAD && (ph.flags & PF_X) && ph.filesz) {
            *paddr = ph.paddr;
            *offset = ph.offset;
            *filesz = ph.filesz;
            return true;
        }
    }
    return false;
}

/* A segment that occupies guest memory; empty PT_LOADs are ignored. */
static bool loads(const struct phdr *ph)
{
    return ph->type == PT_LOAD && ph->memsz != 0;
}

static enum elf32_error check_ident(struct elf32_image *img)
{
    const uint8_t *e = img->data;

    if (img->size < EHDR_SIZE)
        return ELF32_FAIL(img, ELF32_ETRUNC_EHDR,
            "file is %zu bytes, shorter than the %u-byte ELF header",
            img->size, EHDR_SIZE);
    if (e[0] != 0x7f || e[1] != 'E' || e[2] != 'L' || e[3] != 'F')
        return ELF32_FAIL(img, ELF32_EMAGIC,
            "bad magic 0x%x 0x%x 0x%x 0x%x: not an ELF file (want 0x7f 'E' 'L' 'F')",
            e[0], e[1], e[2], e[3]);
    if (e[4] != 1)
        return ELF32_FAIL(img, ELF32_ECLASS,
            "ELF class %u, want 1 (ELFCLASS32): not a 32-bit image", e[4]);
    if (e[5] != 1)
        return ELF32_FAIL(img, ELF32_EDATA,
            "data encoding %u, want 1 (ELFDATA2LSB, little-endian)", e[5]);
    if (e[6] != EV_CURRENT || elf32_le32(e + 20) != EV_CURRENT)
        return ELF32_FAIL(img, ELF32_EVERSION,
            "ELF version %u (ident) / %u (e_version), want 1 (EV_CURRENT)",
            e[6], elf32_le32(e + 20));
    return ELF32_OK;
}

static enum elf32_error check_header(struct elf32_image *img)
{
    const uint8_t *e = img->data;
    uint16_t type = elf32_le16(e + 16), machine = elf32_le16(e + 18);
    uint16_t phentsize = elf32_le16(e + 42);

    if (type != ET_EXEC)
        return ELF32_FAIL(img, ELF32_ETYPE,
            "e_type %u, want 2 (ET_EXEC): only a linked executable can be booted",
            type);
    if (machine != EM_386)
        return ELF32_FAIL(img, ELF32_EMACHINE,
            "e_machine %u, want 3 (EM_386)", machine);
    if (phentsize != PHDR_SIZE)
        return ELF32_FAIL(img, ELF32_EPHENTSIZE,
            "e_phentsize %u, want %u", phentsize, PHDR_SIZE);
    img->entry = elf32_le32(e + 24);
    img->phoff = elf32_le32(e + 28);
    img->phnum = elf32_le16(e + 44);
    if (img->phnum == 0 || img->phnum > ELF32_MAX_PHNUM)
        return ELF32_FAIL(img, ELF32_EPHNUM,
            "e_phnum %u, want 1 to %u", img->phnum, ELF32_MAX_PHNUM);
    if ((uint64_t)img->phoff + (uint64_t)img->phnum * PHDR_SIZE > img->size)
        return ELF32_FAIL(img, ELF32_ETRUNC_PHDRS,
            "program headers at 0x%x+0x%x end past the end of the %zu-byte file",
            img->phoff, img->phnum * PHDR_SIZE, img->size);
    return ELF32_OK;
}

static enum elf32_error check_segment(struct elf32_image *img, unsigned i,
                      const struct phdr *ph)
{
    if ((uint64_t)ph->offset + ph->filesz > img->size)
        return ELF32_FAIL(img, ELF32_ETRUNC_SEGMENT,
            "program header %u: file bytes 0x%x+0x%x end past the end of the %zu-byte file",
            i, ph->offset, ph->filesz, img->size);
    if (ph->type != PT_LOAD)
        return ELF32_OK;
    if (ph->filesz > ph->memsz)
        return ELF32_FAIL(img, ELF32_EFILESZ,
            "program header %u: p_filesz 0x%x is larger than p_memsz 0x%x",
            i, ph->filesz, ph->memsz);
    if ((uint64_t)ph->paddr + ph->memsz > LOADER_GUEST_LIMIT ||
        (uint64_t)ph->vaddr + ph->memsz > LOADER_GUEST_LIMIT)
        return ELF32_FAIL(img, ELF32_EWRAP,
            "program header %u: segment 0x%08x+0x%x (virtual 0x%08x) wraps past 4 GiB",
            i, ph->paddr, ph->memsz, ph->vaddr);
    return ELF32_OK;
}

/* Loadable segments are copied in header order, so an overlap would let a
 * later segment silently overwrite an earlier one (or its zeroed bss). */
static enum elf32_error check_overlap(struct elf32_image *img, unsigned i,
                      const struct phdr *ph)
{
    for (unsigned j = 0; j < i; j++) {
        struct phdr other = phdr_at(img, j);

        if (loads(&other) && loader_overlap(ph->paddr, ph->memsz,
                            other.paddr, other.memsz))
            return ELF32_FAIL(img, ELF32_EOVERLAP,
                "program header %u: segment 0x%08x+0x%x overlaps segment %u (0x%08x+0x%x)",
                i, ph->paddr, ph->memsz, j, other.paddr, other.memsz);
    }
    return ELF32_OK;
}

static enum elf32_error check_segments(struct elf32_image *img)
{
    enum elf32_error e;

    img->lo = LOADER_GUEST_LIMIT;
    img->hi = 0;
    for (unsigned i = 0; i < img->phnum; i++) {
        struct phdr ph = phdr_at(img, i);

        if ((e = check_segment(img, i, &ph)) != ELF32_OK)
            return e;
        if (!loads(&ph))
            continue;
        if ((e = check_overlap(img, i, &ph)) != ELF32_OK)
            return e;
        if (ph.paddr < img->lo)
            img->lo = ph.paddr;
        if ((uint64_t)ph.paddr + ph.memsz > img->hi)
            img->hi = (uint64_t)ph.paddr + ph.memsz;
    }
    if (img->hi == 0)
        return ELF32_FAIL(img, ELF32_ENOLOAD,
            "none of the %u program headers is a loadable segment",
            img->phnum);
    return ELF32_OK;
}

/*
 * e_entry is a virtual address.  The guest starts with paging off, so it
 * really begins at the physical address the entry's segment maps it to,
 * exactly as GRUB 2 computes it for a Multiboot ELF image
 * (grub-core/loader/multiboot_elfxx.c: the first program header with
 * p_vaddr <= e_entry < p_vaddr + p_memsz gives "entry = (e_entry -
 * p_vaddr) + p_paddr", else "entry point isn't in a segment").  GNU Mach:
 * e_entry 0xc1000000 in a segment linked at 0xc1000000 and loaded at
 * 0x01000000 starts at 0x01000000.  Like GRUB, the segment's flags do not
 * matter (a CPU with paging off executes any byte) and the entry may lie
 * in its bss (it runs zeroes, as it would there); unlike GRUB, only PT_LOAD
 * segments count, since no other kind puts bytes in guest memory.
 */
static enum elf32_error check_entry(struct elf32_image *img)
{
    for (unsigned i = 0; i < img->phnum; i++) {
        struct phdr ph = phdr_at(img, i);

        if (loads(&ph) && img->entry >= ph.vaddr &&
            img->entry - ph.vaddr < ph.memsz) {
            img->entry_phys = img->entry - ph.vaddr + ph.paddr;
            return ELF32_OK;
        }
    }
    return ELF32_FAIL(img, ELF32_EENTRY,
        "entry point 0x%08x is outside every loadable segment (p_vaddr .. p_vaddr + p_memsz)",
        img->entry);
}

enum elf32_error elf32_open(struct elf32_image *img, const void *data,
                size_t size)
{
    enum elf32_error e;

    *img = (struct elf32_image){ .data = data, .size = size };
    if ((e = check_ident(img)) != ELF32_OK ||
        (e = check_header(img)) != ELF32_OK ||
        (e = check_segments(img)) != ELF32_OK ||
        (e = check_entry(img)) != ELF32_OK ||
        (e = elf32_open_sections(img)) != ELF32_OK)
        return e;
    return ELF32_OK;
}

/*
 * Segments go to p_paddr, not p_vaddr.  A Multiboot kernel is entered with
 * paging off (spec 3.2: "CR0 bit 31 (PG) must be cleared"), so linear ==
 * physical at entry, and a higher-half kernel such as GNU Mach links at
 * virtual 0xc0000000+ with its load addresses in p_paddr; GRUB loads ELF
 * Multiboot kernels at p_paddr for the same reason.
 */
enum elf32_error elf32_place(struct elf32_image *img,
                 const struct loader_mem *mem)
{
    if (img->error != ELF32_OK)
        return img->error;
    for (unsigned i = 0; i < img->phnum; i++) {
        struct phdr ph = phdr_at(img, i);

        if (!loads(&ph))
            continue;
        if (ph.paddr < mem->floor)
            return ELF32_FAIL(img, ELF32_EFLOOR,
                "program header %u: segment 0x%08x+0x%x starts below the lowest load address 0x%08x",
                i, ph.paddr, ph.memsz, mem->floor);
        if (!loader_mem_is_ram(mem, ph.paddr, ph.memsz))
            return ELF32_FAIL(img, ELF32_EOUTSIDE,
                "program header %u: segment 0x%08x+0x%x is not inside guest RAM",
                i, ph.paddr, ph.memsz);
    }
    return ELF32_OK;
}

enum elf32_error elf32_load(struct elf32_image *img,
                const struct loader_mem *mem)
{
    enum elf32_error e = elf32_place(img, mem);

    if (e != ELF32_OK)
        return e;
    for (unsigned i = 0; i < img->phnum; i++) {
        struct phdr ph = phdr_at(img, i);
        uint64_t bad = 0;

        if (!loads(&ph))
            continue;
        /* gABI: "If the segment's memory size (p_memsz) is larger than
         * the file size (p_filesz), the "extra" bytes are defined to
         * hold the value 0" — that is the bss. */
        if (!loader_mem_copy(mem, ph.paddr, img->data + ph.offset,
                     ph.filesz, &bad) ||
            !loader_mem_zero(mem, (uint64_t)ph.paddr + ph.filesz,
                     ph.memsz - ph.filesz, &bad))
            return ELF32_FAIL(img, ELF32_EMAP,
                "program header %u: guest memory at 0x%08lx could not be mapped",
                i, bad);
    }
    return ELF32_OK;
}

const char *elf32_strerror(const struct elf32_image *img)
{
    return img->error == ELF32_OK ? "no error" : img->msg.text;
}

const char *elf32_error_name(enum elf32_error e)
{
    static const char *const names[ELF32_NERRORS] = {
        "ELF32_OK", "ELF32_ETRUNC_EHDR", "ELF32_EMAGIC", "ELF32_ECLASS",
        "ELF32_EDATA", "ELF32_EVERSION", "ELF32_ETYPE", "ELF32_EMACHINE",
        "ELF32_EPHENTSIZE", "ELF32_EPHNUM", "ELF32_ETRUNC_PHDRS",
        "ELF32_ETRUNC_SEGMENT", "ELF32_EFILESZ", "ELF32_EWRAP",
        "ELF32_EOVERLAP", "ELF32_ENOLOAD", "ELF32_EENTRY",
        "ELF32_ESHENTSIZE", "ELF32_ESHNUM", "ELF32_ETRUNC_SHDRS",
        "ELF32_ESYMTAB", "ELF32_EFLOOR", "ELF32_EOUTSIDE", "ELF32_EMAP",
    };

    return (unsigned)e < ELF32_NERRORS ? names[e] : "ELF32_E?";
}
