/*
 * ELF notes (gABI "Note Section"): in a PT_NOTE segment, one after another,
 * each a 12-byte header (namesz, descsz, type), then the name and then the
 * descriptor, each padded to 4 bytes.  The GNU build ID is the note named
 * "GNU" (namesz 4, with its NUL) of type NT_GNU_BUILD_ID.
 */
#include "loader/note.h"
#include "loader/elf32_priv.h"

#define PT_NOTE 4
#define NT_GNU_BUILD_ID 3
#define NOTE_HDR 12

static uint64_t pad4(uint64_t n)
{
    return (n + 3) & ~(uint64_t)3;
}

/* The build ID among the notes in [at, end) of the image, or 0. */
static size_t scan_notes(const uint8_t *data, uint64_t at, uint64_t end,
             const uint8_t **id)
{
    while (at + NOTE_HDR <= end) {
        const uint8_t *h = data + at;
        uint32_t namesz = elf32_le32(h), descsz = elf32_le32(h + 4);
        uint32_t type = elf32_le32(h + 8);
        uint64_t name = at + NOTE_HDR, desc = name + pad4(namesz);

        if (desc + descsz > end)
            return 0;       /* a note past its segment: nothing after it can be trusted */
        if (type == NT_GNU_BUILD_ID && namesz == 4 &&
            data[name] == 'G' && data[name + 1] == 'N' &&
            data[name + 2] == 'U' && data[name + 3] == '\0' &&
            descsz > 0 && descsz <= ELF32_BUILD_ID_MAX) {
            *id = data + desc;
            return descsz;
        }
        at = desc + pad4(descsz);
    }
    return 0;
}

size_t elf32_build_id(const struct elf32_image *img, const uint8_t **id)
{
    for (unsigned i = 0; i < img->phnum; i++) {
        const uint8_t *p = img->data + img->phoff + (size_t)i * 32;
        uint64_t offset = elf32_le32(p + 4), filesz = elf32_le32(p + 16);
        size_t n;

        if (elf32_le32(p) != PT_NOTE || offset + filesz > img->size)
            continue;
        if ((n = scan_notes(img->data, offset, offset + filesz, id)) != 0)
            return n;
    }
    *id = 0;
    return 0;
}

void elf32_build_id_hex(const uint8_t *id, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[id[i] >> 4];
        hex[2 * i + 1] = digits[id[i] & 15];
    }
    hex[2 * n] = '\0';
}
