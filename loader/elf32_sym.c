/*
 * ELF32 section headers and the symbol table.  The peel framework finds
 * guest functions by name (DESIGN.md §4), so the symbol table is checked
 * once at open and every symbol read is bounds-checked again.  An image
 * without a section table or without SHT_SYMTAB (stripped) simply has no
 * symbols; a section table that is present but malformed is refused, since
 * it means the file is not what its header claims.
 */
#include "loader/elf32.h"
#include "loader/elf32_priv.h"

#define SHDR_SIZE 40
#define SYM_SIZE 16
#define SHT_SYMTAB 2
#define SHT_STRTAB 3

struct shdr {
    uint32_t type, offset, size, link, entsize;
};

static struct shdr shdr_at(const struct elf32_image *img, uint32_t shoff,
               unsigned i)
{
    const uint8_t *p = img->data + shoff + (size_t)i * SHDR_SIZE;

    return (struct shdr){
        .type = elf32_le32(p + 4), .offset = elf32_le32(p + 16),
        .size = elf32_le32(p + 20), .link = elf32_le32(p + 24),
        .entsize = elf32_le32(p + 36),
    };
}

static bool in_file(const struct elf32_image *img, const struct shdr *sh)
{
    return (uint64_t)sh->offset + sh->size <= img->size;
}

static enum elf32_error open_symtab(struct elf32_image *img, uint32_t shoff,
                    unsigned shnum, unsigned i)
{
    struct shdr sym = shdr_at(img, shoff, i), str;

    if (!in_file(img, &sym))
        return ELF32_FAIL(img, ELF32_ESYMTAB,
            "section %u (symbol table): bytes 0x%x+0x%x end past the end of the %zu-byte file",
            i, sym.offset, sym.size, img->size);
    if (sym.entsize != SYM_SIZE)
        return ELF32_FAIL(img, ELF32_ESYMTAB,
            "section %u (symbol table): sh_entsize %u, want %u",
            i, sym.entsize, SYM_SIZE);
    if (sym.link == 0 || sym.link >= shnum)
        return ELF32_FAIL(img, ELF32_ESYMTAB,
            "section %u (symbol table): sh_link %u names no string table (e_shnum %u)",
            i, sym.link, shnum);
    str = shdr_at(img, shoff, sym.link);
    if (str.type != SHT_STRTAB || !in_file(img, &str))
        return ELF32_FAIL(img, ELF32_ESYMTAB,
            "section %u (symbol table): its string table, section %u (type %u, bytes 0x%x+0x%x), is not an SHT_STRTAB inside the file",
            i, sym.link, str.type, str.offset, str.size);
    img->symoff = sym.offset;
    img->nsyms = sym.size / SYM_SIZE;
    img->stroff = str.offset;
    img->strsize = str.size;
    return ELF32_OK;
}

enum elf32_error elf32_open_sections(struct elf32_image *img)
{
    const uint8_t *e = img->data;
    uint32_t shoff = elf32_le32(e + 32);
    uint16_t shentsize = elf32_le16(e + 46), shnum = elf32_le16(e + 48);

    /* gABI: "If the file has no section header table, e_shoff holds zero"
     * and e_shnum is zero. */
    if (shoff == 0 || shnum == 0)
        return ELF32_OK;
    if (shentsize != SHDR_SIZE)
        return ELF32_FAIL(img, ELF32_ESHENTSIZE,
            "e_shentsize %u, want %u", shentsize, SHDR_SIZE);
    if (shnum > ELF32_MAX_SHNUM)
        return ELF32_FAIL(img, ELF32_ESHNUM,
            "e_shnum %u, want at most %u", shnum, ELF32_MAX_SHNUM);
    if ((uint64_t)shoff + (uint64_t)shnum * SHDR_SIZE > img->size)
        return ELF32_FAIL(img, ELF32_ETRUNC_SHDRS,
            "section headers at 0x%x+0x%x end past the end of the %zu-byte file",
            shoff, shnum * SHDR_SIZE, img->size);
    for (unsigned i = 0; i < shnum; i++)
        if (shdr_at(img, shoff, i).type == SHT_SYMTAB)
            return open_symtab(img, shoff, shnum, i);
    return ELF32_OK;
}

size_t elf32_symbol_count(const struct elf32_image *img)
{
    return img->error == ELF32_OK ? img->nsyms : 0;
}

/* The string at off in the string table, or NULL if it does not end
 * inside the table. */
static const char *string_at(const struct elf32_image *img, uint32_t off)
{
    const char *s = (const char *)img->data + img->stroff;

    for (uint32_t i = off; i < img->strsize; i++)
        if (s[i] == '\0')
            return s + off;
    return NULL;
}

bool elf32_symbol(const struct elf32_image *img, size_t index,
          struct elf32_symbol *out)
{
    const uint8_t *p;

    if (index >= elf32_symbol_count(img))
        return false;
    p = img->data + img->symoff + index * SYM_SIZE;
    out->name = string_at(img, elf32_le32(p));
    out->value = elf32_le32(p + 4);
    out->size = elf32_le32(p + 8);
    out->type = p[12] & 0xf;        /* ELF32_ST_TYPE */
    out->bind = p[12] >> 4;         /* ELF32_ST_BIND */
    out->shndx = elf32_le16(p + 14);
    return out->name != NULL;
}

static bool same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

bool elf32_lookup(const struct elf32_image *img, const char *name,
          struct elf32_symbol *out)
{
    for (size_t i = 1; i < elf32_symbol_count(img); i++)
        if (elf32_symbol(img, i, out) && out->shndx != 0 &&
            same(out->name, name))
            return true;
    return false;
}
