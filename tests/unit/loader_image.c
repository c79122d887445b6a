/* ELF32 image builder and fake guest memory for the loader's unit tests. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/unit/loader_image.h"

#define EHDR 52
#define PHDR 32
#define SHDR 40
#define SYM 16

static const char strtab[] = "\0_start\0main_loop\0counter\0undefined_fn";
static const char shstrtab[] = "\0.text\0.symtab\0.strtab\0.shstrtab";

struct img_spec img_default_spec(void)
{
    return (struct img_spec){
        .entry = 0x100010,
        .nsegs = 2,
        .segs = {
            { IMG_PT_LOAD, IMG_PF_R | IMG_PF_X, 0x100000, 0x100000,
              0x1000, 0x1000 },
            { IMG_PT_LOAD, IMG_PF_R | IMG_PF_W, 0x101000, 0x101000,
              0x800, 0x2000 },
        },
        .symbols = true,
    };
}

uint8_t img_pattern(size_t seg, size_t j)
{
    return (uint8_t)(seg * 37 + j * 7 + 1);
}

void img_put8(struct img *im, size_t off, uint8_t v) { im->data[off] = v; }

void img_put16(struct img *im, size_t off, uint16_t v)
{
    im->data[off] = (uint8_t)v;
    im->data[off + 1] = (uint8_t)(v >> 8);
}

void img_put32(struct img *im, size_t off, uint32_t v)
{
    img_put16(im, off, (uint16_t)v);
    img_put16(im, off + 2, (uint16_t)(v >> 16));
}

uint32_t img_get32(const struct img *im, size_t off)
{
    const uint8_t *p = im->data + off;

    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t img_ph(const struct img *im, size_t i, size_t field)
{
    return im->phoff + i * PHDR + field;
}

size_t img_sh(const struct img *im, size_t i, size_t field)
{
    return im->shoff + i * SHDR + field;
}

static size_t align(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

/* File layout: ELF header, program headers, segment bytes, then .symtab,
 * .strtab, .shstrtab and the section headers last, so cutting the file
 * anywhere cuts something the loader checks. */
static size_t plan(const struct img_spec *s, struct img *im)
{
    size_t off = EHDR + s->nsegs * PHDR;

    im->phoff = EHDR;
    for (size_t i = 0; i < s->nsegs; i++) {
        off = align(off, 16);
        im->seg_off[i] = off;
        off += s->segs[i].filesz;
    }
    im->segs_end = off;
    if (!s->symbols)
        return off;
    im->symoff = align(off, 4);
    im->stroff = im->symoff + 5 * SYM;
    im->shoff = align(im->stroff + sizeof strtab + sizeof shstrtab, 4);
    return im->shoff + IMG_NSECS * SHDR;
}

static void put_header(const struct img_spec *s, struct img *im)
{
    memcpy(im->data, "\x7f" "ELF\x01\x01\x01", 7);
    img_put16(im, IMG_E_TYPE, 2);
    img_put16(im, IMG_E_MACHINE, 3);
    img_put32(im, IMG_E_VERSION, 1);
    img_put32(im, IMG_E_ENTRY, s->entry);
    img_put32(im, IMG_E_PHOFF, (uint32_t)im->phoff);
    img_put32(im, IMG_E_SHOFF, (uint32_t)im->shoff);
    img_put16(im, 40, EHDR);
    img_put16(im, IMG_E_PHENTSIZE, PHDR);
    img_put16(im, IMG_E_PHNUM, (uint16_t)s->nsegs);
    img_put16(im, IMG_E_SHENTSIZE, s->symbols ? SHDR : 0);
    img_put16(im, IMG_E_SHNUM, s->symbols ? IMG_NSECS : 0);
    img_put16(im, 50, s->symbols ? IMG_SEC_SHSTRTAB : 0);
}

static void put_segments(const struct img_spec *s, struct img *im)
{
    for (size_t i = 0; i < s->nsegs; i++) {
        const struct img_seg *g = &s->segs[i];

        img_put32(im, img_ph(im, i, IMG_P_TYPE), g->type);
        img_put32(im, img_ph(im, i, IMG_P_OFFSET), (uint32_t)im->seg_off[i]);
        img_put32(im, img_ph(im, i, IMG_P_VADDR), g->vaddr);
        img_put32(im, img_ph(im, i, IMG_P_PADDR), g->paddr);
        img_put32(im, img_ph(im, i, IMG_P_FILESZ), g->filesz);
        img_put32(im, img_ph(im, i, IMG_P_MEMSZ), g->memsz);
        img_put32(im, img_ph(im, i, IMG_P_FLAGS), g->flags);
        for (size_t j = 0; j < g->filesz; j++)
            im->data[im->seg_off[i] + j] = img_pattern(i, j);
    }
}

static void put_sym(struct img *im, size_t i, uint32_t name, uint32_t value,
            uint32_t size, uint8_t info, uint16_t shndx)
{
    size_t p = im->symoff + i * SYM;

    img_put32(im, p, name);
    img_put32(im, p + 4, value);
    img_put32(im, p + 8, size);
    img_put8(im, p + 12, info);
    img_put16(im, p + 14, shndx);
}

static void put_section(struct img *im, size_t i, uint32_t name,
            uint32_t type, size_t off, size_t size, uint32_t link,
            uint32_t entsize)
{
    img_put32(im, img_sh(im, i, 0), name);
    img_put32(im, img_sh(im, i, IMG_SH_TYPE), type);
    img_put32(im, img_sh(im, i, IMG_SH_OFFSET), (uint32_t)off);
    img_put32(im, img_sh(im, i, IMG_SH_SIZE), (uint32_t)size);
    img_put32(im, img_sh(im, i, IMG_SH_LINK), link);
    img_put32(im, img_sh(im, i, IMG_SH_ENTSIZE), entsize);
}

/* Symbols: null; _start (global func at entry); main_loop (local func);
 * counter (global object); undefined_fn (undefined). */
static void put_symbols(const struct img_spec *s, struct img *im)
{
    size_t shstroff = im->stroff + sizeof strtab;

    put_sym(im, 1, 1, s->entry, 16, 0x12, IMG_SEC_TEXT);
    put_sym(im, 2, 8, s->entry + 0x20, 0x40, 0x02, IMG_SEC_TEXT);
    put_sym(im, 3, 18, 0x101000, 4, 0x11, 2);
    put_sym(im, 4, 26, 0, 0, 0x12, 0);
    memcpy(im->data + im->stroff, strtab, sizeof strtab);
    memcpy(im->data + shstroff, shstrtab, sizeof shstrtab);
    put_section(im, IMG_SEC_TEXT, 1, 1, im->seg_off[0], s->segs[0].filesz, 0, 0);
    put_section(im, IMG_SEC_SYMTAB, 7, 2, im->symoff, 5 * SYM,
            IMG_SEC_STRTAB, SYM);
    put_section(im, IMG_SEC_STRTAB, 15, 3, im->stroff, sizeof strtab, 0, 0);
    put_section(im, IMG_SEC_SHSTRTAB, 23, 3, shstroff, sizeof shstrtab, 0, 0);
}

void img_build(const struct img_spec *spec, struct img *out)
{
    long page = sysconf(_SC_PAGESIZE);

    memset(out, 0, sizeof *out);
    out->size = plan(spec, out);
    out->alloc = align(out->size ? out->size : 1, (size_t)page);
    out->data = mmap(NULL, out->alloc, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (out->data == MAP_FAILED)
        abort();
    put_header(spec, out);
    put_segments(spec, out);
    if (spec->symbols)
        put_symbols(spec, out);
}

void img_seal(struct img *im)
{
    if (mprotect(im->data, im->alloc, PROT_READ) != 0)
        abort();
}

void img_free(struct img *im)
{
    munmap(im->data, im->alloc);
    im->data = NULL;
}

static void *guest_map(void *ctx, uint64_t paddr, uint64_t len, uint64_t *span)
{
    struct guest *g = ctx;
    uint64_t page_end = (paddr | 0xfff) + 1;

    g->maps++;
    if (paddr >= GUEST_SIZE || paddr >= g->fail_from)
        return NULL;
    *span = page_end - paddr < len ? page_end - paddr : len;
    return g->ram + paddr;
}

void guest_init(struct guest *g)
{
    memset(g, 0, sizeof *g);
    g->ram = malloc(GUEST_SIZE);
    if (!g->ram)
        abort();
    memset(g->ram, 0xcc, GUEST_SIZE);
    g->regions[0] = (struct loader_region){ 0, 0x9fc00, LOADER_RAM };
    g->regions[1] = (struct loader_region){ 0x9fc00, 0x400, LOADER_RESERVED };
    g->regions[2] = (struct loader_region){ 0xf0000, 0x10000, LOADER_RESERVED };
    g->regions[3] = (struct loader_region){ 0x100000, GUEST_SIZE - 0x100000,
                        LOADER_RAM };
    g->fail_from = UINT64_MAX;
    g->mem = (struct loader_mem){ g->regions, 4, 0x100000, guest_map, g };
}

void guest_free(struct guest *g)
{
    free(g->ram);
}
