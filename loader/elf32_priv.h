/* Shared between elf32.c and elf32_sym.c; not part of the loader's API. */
#ifndef LOADER_ELF32_PRIV_H
#define LOADER_ELF32_PRIV_H

#include "loader/elf32.h"

/* ELF is little-endian here (ELFDATA2LSB is checked first) and fields are
 * read byte by byte: the image buffer carries no alignment promise. */
static inline uint16_t elf32_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t elf32_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Record a refusal whose message is already in img->msg. */
static inline enum elf32_error elf32_fail(struct elf32_image *img,
                      enum elf32_error e)
{
    img->error = e;
    return e;
}

#define ELF32_FAIL(img, e, ...) \
    (loader_fmt(&(img)->msg, __VA_ARGS__), elf32_fail((img), (e)))

enum elf32_error elf32_open_sections(struct elf32_image *img);

#endif
