/*
 * Multiboot v1 (specification 0.6.96): the boot protocol of the legacy
 * image.  Peel is the guest's boot loader, so it does what GRUB would:
 *
 *   1. mb1_open: find and check the image's Multiboot header;
 *   2. load the image: through ELF (elf32_load) or, when the header sets
 *      the a.out kludge bit 16, through its address fields (mb1_load_aout);
 *   3. mb1_build_info: write the Multiboot information block (memory map,
 *      command line, modules, boot loader name) into guest memory;
 *   4. mb1_entry_regs: the registers to enter the image with.
 *
 * Layout of the information area and the validation rules: docs/loader.md.
 */
#ifndef LOADER_MULTIBOOT_H
#define LOADER_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/guestmem.h"
#include "loader/msg.h"

#define MB1_HEADER_MAGIC 0x1BADB002u
#define MB1_BOOTLOADER_MAGIC 0x2BADB002u
/* "The Multiboot header must be contained completely within the first
 * 8192 bytes of the OS image, and must be longword (32-bit) aligned." */
#define MB1_SEARCH 8192

/* Header flags. */
#define MB1_PAGE_ALIGN (1u << 0)        /* modules on 4 KiB boundaries */
#define MB1_MEMORY_INFO (1u << 1)       /* mem_* (and mmap) required */
#define MB1_VIDEO_MODE (1u << 2)        /* video mode table: not provided */
#define MB1_AOUT_KLUDGE (1u << 16)      /* load through the address fields */
#define MB1_SUPPORTED (MB1_PAGE_ALIGN | MB1_MEMORY_INFO)

/* Information block flags (which fields are valid). */
#define MB1_INFO_MEMORY (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MEM_MAP (1u << 6)
#define MB1_INFO_BOOT_LOADER_NAME (1u << 9)

/* Information block layout (spec 3.3), byte offsets. */
enum {
    MB1_I_FLAGS = 0, MB1_I_MEM_LOWER = 4, MB1_I_MEM_UPPER = 8,
    MB1_I_BOOT_DEVICE = 12, MB1_I_CMDLINE = 16, MB1_I_MODS_COUNT = 20,
    MB1_I_MODS_ADDR = 24, MB1_I_SYMS = 28, MB1_I_MMAP_LENGTH = 44,
    MB1_I_MMAP_ADDR = 48, MB1_I_DRIVES_LENGTH = 52, MB1_I_DRIVES_ADDR = 56,
    MB1_I_CONFIG_TABLE = 60, MB1_I_BOOT_LOADER_NAME = 64,
    MB1_I_APM_TABLE = 68, MB1_I_VBE = 72, MB1_INFO_SIZE = 88,
};
#define MB1_MMAP_ENTRY_SIZE 24  /* size field (4) + the 20 bytes it counts */
#define MB1_MODULE_SIZE 16
#define MB1_BOOT_LOADER_NAME "Peel"
#define MB1_MAX_MODULES 256
#define MB1_MAX_REGIONS 128

enum mb1_error {
    MB1_OK = 0,
    MB1_ENOHEADER,          /* no magic in the first 8192 bytes */
    MB1_ECHECKSUM,          /* magic found, checksum wrong */
    MB1_ETRUNC_HEADER,      /* header runs past the file / 8192 bytes */
    MB1_EFLAGS,             /* a required feature we do not provide */
    MB1_EKLUDGE_ADDR,       /* a.out fields out of order */
    MB1_EKLUDGE_OFFSET,     /* load would start before the file */
    MB1_EKLUDGE_TRUNC,      /* load range past the end of the file */
    MB1_EKLUDGE_ENTRY,      /* entry_addr outside the loaded bytes */
    MB1_EFLOOR,             /* image below mem->floor */
    MB1_EOUTSIDE,           /* image not in guest RAM */
    MB1_EMAP,               /* map callback refused guest memory */
    MB1_EAREA,              /* info area not RAM or overlaps the kernel */
    MB1_EAREA_FULL,         /* info block does not fit its area */
    MB1_NERRORS
};

struct mb1_header {
    uint32_t offset;        /* file offset of the magic */
    uint32_t flags, checksum;
    /* valid when flags & MB1_AOUT_KLUDGE */
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr,
         entry_addr;
};

struct mb1_kernel {
    const uint8_t *data;
    size_t size;
    struct mb1_header header;
    /* the a.out kludge load plan, when flags & MB1_AOUT_KLUDGE */
    uint32_t file_offset;   /* first file byte loaded, at load_addr */
    uint32_t load_size;     /* file bytes loaded */
    uint32_t bss_size;      /* zeroes after them */
    enum mb1_error error;
    struct loader_msg msg;
};

enum mb1_error mb1_open(struct mb1_kernel *k, const void *image, size_t size);
bool mb1_is_aout(const struct mb1_kernel *k);
/* Guest-physical [lo, hi) and entry of an a.out-kludge image. */
uint64_t mb1_aout_lo(const struct mb1_kernel *k);
uint64_t mb1_aout_hi(const struct mb1_kernel *k);
enum mb1_error mb1_place_aout(struct mb1_kernel *k,
                  const struct loader_mem *mem);
enum mb1_error mb1_load_aout(struct mb1_kernel *k,
                 const struct loader_mem *mem);

struct mb1_module {
    const void *data;
    uint32_t size;
    const char *cmdline;    /* NULL: empty string */
};

struct mb1_boot {
    uint32_t header_flags;  /* the kernel's Multiboot header flags */
    const char *cmdline;    /* NULL: empty string */
    const struct mb1_module *modules;
    size_t nmodules;
    uint32_t area_base;     /* guest-physical area for the whole block */
    uint32_t area_size;
    uint64_t kernel_lo, kernel_hi;  /* loaded kernel, kept clear */
};

/* Where mb1_build_info put things (guest-physical addresses). */
struct mb1_info {
    uint32_t info_addr, mmap_addr, mmap_length, mods_addr, cmdline_addr,
         name_addr;
    uint32_t end;           /* first byte after everything */
    enum mb1_error error;
    struct loader_msg msg;
};

enum mb1_error mb1_build_info(const struct mb1_boot *boot,
                  const struct loader_mem *mem,
                  struct mb1_info *out);

struct mb1_regs {
    uint32_t eax, ebx, eip;
};

struct mb1_regs mb1_entry_regs(uint32_t info_addr, uint32_t entry);

const char *mb1_kernel_strerror(const struct mb1_kernel *k);
const char *mb1_info_strerror(const struct mb1_info *info);
const char *mb1_error_name(enum mb1_error e);

#endif
