/*
 * Test helpers for loader/: build ELF32 kernel images in memory, and a
 * fake guest memory backed by a malloc'd buffer.  Nothing binary is checked
 * in; every image a test uses is generated here and then mutated.
 */
#ifndef TESTS_UNIT_LOADER_IMAGE_H
#define TESTS_UNIT_LOADER_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/guestmem.h"

#define IMG_MAX_SEGS 8
#define IMG_PT_LOAD 1
#define IMG_PT_NOTE 4
#define IMG_PF_X 1
#define IMG_PF_W 2
#define IMG_PF_R 4

/* ELF header field offsets (gABI). */
enum {
    IMG_E_TYPE = 16, IMG_E_MACHINE = 18, IMG_E_VERSION = 20,
    IMG_E_ENTRY = 24, IMG_E_PHOFF = 28, IMG_E_SHOFF = 32,
    IMG_E_PHENTSIZE = 42, IMG_E_PHNUM = 44, IMG_E_SHENTSIZE = 46,
    IMG_E_SHNUM = 48,
};
/* Program header field offsets. */
enum {
    IMG_P_TYPE = 0, IMG_P_OFFSET = 4, IMG_P_VADDR = 8, IMG_P_PADDR = 12,
    IMG_P_FILESZ = 16, IMG_P_MEMSZ = 20, IMG_P_FLAGS = 24,
};
/* Section header field offsets. */
enum {
    IMG_SH_TYPE = 4, IMG_SH_OFFSET = 16, IMG_SH_SIZE = 20, IMG_SH_LINK = 24,
    IMG_SH_ENTSIZE = 36,
};
/* Sections the builder emits, in this order. */
enum { IMG_SEC_NULL, IMG_SEC_TEXT, IMG_SEC_SYMTAB, IMG_SEC_STRTAB,
       IMG_SEC_SHSTRTAB, IMG_NSECS };

struct img_seg {
    uint32_t type, flags, vaddr, paddr, filesz, memsz;
};

struct img_spec {
    uint32_t entry;
    size_t nsegs;
    struct img_seg segs[IMG_MAX_SEGS];
    bool symbols;           /* emit a section table with .symtab */
};

struct img {
    uint8_t *data;
    size_t size;
    size_t phoff;
    size_t seg_off[IMG_MAX_SEGS];   /* file offset of each segment */
    size_t segs_end;                /* first byte after segment data */
    size_t symoff, stroff, shoff;
    size_t alloc;
};

/* Two segments: text at 1 MiB (R+X, 0x1000 bytes from the file, entry
 * 0x100010) and data right after (R+W, 0x800 file bytes + 0x1800 bss). */
struct img_spec img_default_spec(void);
void img_build(const struct img_spec *spec, struct img *out);
/* Make the bytes read-only, so any write by the loader faults. */
void img_seal(struct img *im);
void img_free(struct img *im);
/* Expected content of segment i's file byte j. */
uint8_t img_pattern(size_t seg, size_t j);

void img_put8(struct img *im, size_t off, uint8_t v);
void img_put16(struct img *im, size_t off, uint16_t v);
void img_put32(struct img *im, size_t off, uint32_t v);
uint32_t img_get32(const struct img *im, size_t off);
size_t img_ph(const struct img *im, size_t i, size_t field);
size_t img_sh(const struct img *im, size_t i, size_t field);

/* Guest memory: 8 MiB, hole 0x9fc00..0x100000, floor 1 MiB; map hands out
 * at most up to the next 4 KiB boundary, as the kernel's would. */
#define GUEST_SIZE (8u << 20)

struct guest {
    uint8_t *ram;
    struct loader_region regions[4];
    struct loader_mem mem;
    uint64_t fail_from;     /* map refuses paddr >= this */
    unsigned maps;
};

void guest_init(struct guest *g);
void guest_free(struct guest *g);

#endif
