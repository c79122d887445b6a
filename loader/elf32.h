/*
 * elf32: validate and load a legacy 32-bit ELF kernel image (ET_EXEC,
 * EM_386) held in a read-only buffer — a GRUB module whose bytes are never
 * modified — and read its symbol table.
 *
 *     struct elf32_image img;
 *     if (elf32_open(&img, bytes, size) != ELF32_OK ||    // file format
 *         elf32_load(&img, &mem) != ELF32_OK)             // place + copy
 *             panic("%s", elf32_strerror(&img));
 *
 * elf32_open checks only the file; elf32_place checks where the segments
 * would land against the guest's memory; elf32_load places then copies.
 * Every refusal has its own enum value and a sentence with the offending
 * values (elf32_strerror).  The rules and their reasons: docs/loader.md.
 */
#ifndef LOADER_ELF32_H
#define LOADER_ELF32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/guestmem.h"
#include "loader/msg.h"

/* More program headers than this is not a kernel a linker made. */
#define ELF32_MAX_PHNUM 64
/* Real kernels have tens of sections; GNU Mach with debug info < 64. */
#define ELF32_MAX_SHNUM 1024

enum elf32_error {
    ELF32_OK = 0,
    ELF32_ETRUNC_EHDR,      /* file shorter than the ELF header */
    ELF32_EMAGIC,           /* not \x7fELF */
    ELF32_ECLASS,           /* not ELFCLASS32 */
    ELF32_EDATA,            /* not ELFDATA2LSB */
    ELF32_EVERSION,         /* EI_VERSION or e_version not EV_CURRENT */
    ELF32_ETYPE,            /* not ET_EXEC */
    ELF32_EMACHINE,         /* not EM_386 */
    ELF32_EPHENTSIZE,       /* e_phentsize != 32 */
    ELF32_EPHNUM,           /* e_phnum 0 or > ELF32_MAX_PHNUM */
    ELF32_ETRUNC_PHDRS,     /* program header table past end of file */
    ELF32_ETRUNC_SEGMENT,   /* a segment's file bytes past end of file */
    ELF32_EFILESZ,          /* p_filesz > p_memsz */
    ELF32_EWRAP,            /* a segment wraps past 4 GiB */
    ELF32_EOVERLAP,         /* two loadable segments share bytes */
    ELF32_ENOLOAD,          /* no PT_LOAD segment with bytes */
    ELF32_EENTRY,           /* entry outside every loadable segment (GRUB 2's rule) */
    ELF32_ESHENTSIZE,       /* e_shentsize != 40 with a section table */
    ELF32_ESHNUM,           /* e_shnum > ELF32_MAX_SHNUM */
    ELF32_ETRUNC_SHDRS,     /* section header table past end of file */
    ELF32_ESYMTAB,          /* symbol or string table malformed */
    ELF32_EFLOOR,           /* a segment below mem->floor */
    ELF32_EOUTSIDE,         /* a segment not in guest RAM */
    ELF32_EMAP,             /* the map callback refused guest memory */
    ELF32_NERRORS
};

struct elf32_image {
    const uint8_t *data;
    size_t size;
    uint32_t entry;         /* e_entry, a virtual address */
    uint32_t entry_phys;    /* where the entry lands in guest memory */
    uint32_t phoff;
    uint16_t phnum;
    uint64_t lo, hi;        /* guest-physical [lo, hi) of all PT_LOAD */
    /* symbol table: file offsets, already bounds-checked */
    uint32_t symoff, nsyms, stroff, strsize;
    enum elf32_error error;
    struct loader_msg msg;
};

struct elf32_symbol {
    const char *name;       /* NUL-terminated, inside the image */
    uint32_t value;
    uint32_t size;
    uint8_t type;           /* STT_* */
    uint8_t bind;           /* STB_* */
    uint16_t shndx;         /* 0: undefined */
};

enum { ELF32_STT_NOTYPE, ELF32_STT_OBJECT, ELF32_STT_FUNC };

enum elf32_error elf32_open(struct elf32_image *img, const void *data,
                size_t size);
enum elf32_error elf32_place(struct elf32_image *img,
                 const struct loader_mem *mem);
enum elf32_error elf32_load(struct elf32_image *img,
                const struct loader_mem *mem);

/* The last refusal as a sentence with the offending values. */
const char *elf32_strerror(const struct elf32_image *img);
/* "ELF32_EOVERLAP" etc., for logs and tests. */
const char *elf32_error_name(enum elf32_error e);

/* Symbols, by index 0..count-1 (index 0 is ELF's null symbol).  A
 * stripped image has none.  elf32_symbol is false for an index out of
 * range or a symbol whose name is not a string inside the string table. */
size_t elf32_symbol_count(const struct elf32_image *img);
bool elf32_symbol(const struct elf32_image *img, size_t index,
          struct elf32_symbol *out);
/* The first defined symbol called name. */
bool elf32_lookup(const struct elf32_image *img, const char *name,
          struct elf32_symbol *out);

/* The first loadable, executable segment with file bytes (after
 * elf32_open): where its bytes land and where they are in the file. */
bool elf32_exec_segment(const struct elf32_image *img, uint32_t *paddr,
            uint32_t *offset, uint32_t *filesz);

#endif
