/*
 * note: the GNU build ID of an ELF32 image — the NT_GNU_BUILD_ID note that
 * `ld --build-id` writes into a PT_NOTE segment, 20 bytes of SHA-1 over
 * the linked file.  It names one build: a stripped copy and the separate
 * debug file (objcopy --only-keep-debug) keep it, so it ties an image to
 * the debug information anything about it was generated from.
 *
 *     const uint8_t *id;
 *     size_t n = elf32_build_id(&img, &id);     // after elf32_open
 *     char hex[ELF32_BUILD_ID_MAX * 2 + 1];
 *     elf32_build_id_hex(id, n, hex);
 *
 * Pure and bounds-checked: notes are read from the image's bytes, and one
 * whose sizes run past its segment ends the search (docs/peel.md, Layouts).
 */
#ifndef LOADER_NOTE_H
#define LOADER_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "loader/elf32.h"

/* ld writes 20 (sha1) or 16 (md5, uuid); a longer one is not a build ID. */
#define ELF32_BUILD_ID_MAX 64

/* The build ID's bytes (*id points into the image) and their count, or 0
 * if no PT_NOTE segment holds a well-formed one.  img must be open. */
size_t elf32_build_id(const struct elf32_image *img, const uint8_t **id);
/* n bytes as 2n lowercase hex digits and a NUL (readelf -n's spelling). */
void elf32_build_id_hex(const uint8_t *id, size_t n, char *hex);

#endif
