/*
 * bzimage: boot a Linux/x86 bzImage through the 32-bit boot protocol
 * (Documentation/arch/x86/boot.rst, "32-bit Boot Protocol").  Peel is the
 * boot loader: the kernel's real-mode setup code never runs, so the loader
 * fills the zero page (struct boot_params) itself and enters the
 * protected-mode code directly.
 *
 *     struct bz_kernel k;
 *     struct bz_layout l;
 *     struct bz_regs regs;
 *     if (bz_open(&k, bytes, size) != BZ_OK ||             // file format
 *         bz_load(&k, &mem, &boot, &l, &regs) != BZ_OK)    // place + write
 *             panic("%s", bz_strerror(&k));
 *
 * bz_open checks only the file; bz_place chooses every guest-physical
 * address and checks it against the guest's memory without writing;
 * bz_load places, then writes.  bz_probe tells a bzImage from an ELF
 * kernel by its contents.
 *
 * Guest-physical layout:
 *
 *   0x00000000  IVT and BIOS data area: not touched
 *   0x00001000  GDT, 4 descriptors (BZ_GDT)
 *   0x00002000  zero page, 4 KiB (BZ_ZERO_PAGE)
 *   0x00003000  command line, NUL-terminated (BZ_CMDLINE), below 0x9f000
 *   l.kernel    the protected-mode code: 1 MiB, or for a relocatable
 *               kernel its preferred address aligned to kernel_alignment
 *   l.run       where the decompressor runs, init_size bytes from there
 *   l.initrd    page-aligned, as high as RAM and initrd_addr_max allow,
 *               above everything the kernel needs
 *
 * Everything the real-mode setup would leave in low memory is kept as low
 * as possible: boot.rst asks boot loaders to keep that "memory ceiling"
 * low because BIOSes grow the EBDA downwards from 0xa0000.
 */
#ifndef LOADER_BZIMAGE_H
#define LOADER_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/guestmem.h"
#include "loader/msg.h"

/* Setup header fields: file offsets, which are also their offsets in the
 * zero page, where the header is copied to the same place. */
enum {
    BZ_H_SETUP_SECTS = 0x1f1, BZ_H_BOOT_FLAG = 0x1fe, BZ_H_JUMP = 0x200,
    BZ_H_MAGIC = 0x202, BZ_H_VERSION = 0x206, BZ_H_TYPE_OF_LOADER = 0x210,
    BZ_H_LOADFLAGS = 0x211, BZ_H_CODE32_START = 0x214,
    BZ_H_RAMDISK_IMAGE = 0x218, BZ_H_RAMDISK_SIZE = 0x21c,
    BZ_H_CMD_LINE_PTR = 0x228, BZ_H_INITRD_ADDR_MAX = 0x22c,
    BZ_H_KERNEL_ALIGNMENT = 0x230, BZ_H_RELOCATABLE = 0x234,
    BZ_H_CMDLINE_SIZE = 0x238, BZ_H_SETUP_DATA = 0x250,
    BZ_H_PREF_ADDRESS = 0x258, BZ_H_INIT_SIZE = 0x260,
};

/* Zero page fields outside the setup header (zero-page.rst). */
enum {
    BZ_Z_VIDEO_MODE = 0x006, BZ_Z_VIDEO_COLS = 0x007,
    BZ_Z_VIDEO_LINES = 0x00e, BZ_Z_VIDEO_ISVGA = 0x00f,
    BZ_Z_VIDEO_POINTS = 0x010, BZ_Z_ALT_MEM_K = 0x1e0,
    BZ_Z_E820_ENTRIES = 0x1e8, BZ_Z_E820_TABLE = 0x2d0,
    BZ_ZERO_PAGE_SIZE = 0x1000,
};
#define BZ_E820_ENTRY_SIZE 20
#define BZ_E820_MAX 128         /* E820_MAX_ENTRIES_ZEROPAGE */

#define BZ_BOOT_FLAG 0xaa55
#define BZ_MAGIC 0x53726448u    /* "HdrS" */
#define BZ_MIN_VERSION 0x0206   /* cmdline_size appears */

/* loadflags */
#define BZ_LOADED_HIGH (1u << 0)
#define BZ_QUIET (1u << 5)
#define BZ_KEEP_SEGMENTS (1u << 6)
#define BZ_CAN_USE_HEAP (1u << 7)

#define BZ_LOAD_HIGH 0x100000u  /* where a bzImage's protected-mode code goes */
#define BZ_GDT 0x1000u
#define BZ_ZERO_PAGE 0x2000u
#define BZ_CMDLINE 0x3000u
#define BZ_LOW_END 0x9f000u     /* the low-memory items end below this */
#define BZ_TYPE_OF_LOADER 0xff  /* "undefined": Peel has no assigned id */

/* "__BOOT_CS(0x10) and __BOOT_DS(0x18)" */
#define BZ_BOOT_CS 0x10
#define BZ_BOOT_DS 0x18
#define BZ_GDT_ENTRIES 4

enum bz_error {
    BZ_OK = 0,
    BZ_ETRUNC,              /* file shorter than the setup header */
    BZ_EBOOTFLAG,           /* no 0xAA55 at 0x1fe */
    BZ_EMAGIC,              /* no "HdrS" at 0x202 */
    BZ_EVERSION,            /* boot protocol older than 2.06 */
    BZ_ESETUP,              /* setup_sects leaves no protected-mode code */
    BZ_EHEADER,             /* setup header length (jump byte) out of range */
    BZ_ENOTBZ,              /* no LOADED_HIGH: a zImage */
    BZ_EALIGN,              /* relocatable, kernel_alignment not a power of 2 */
    BZ_EINITSIZE,           /* init_size 0 with protocol 2.10+ */
    BZ_EREGIONS,            /* more memory regions than the e820 table holds */
    BZ_ECMDLINE,            /* command line longer than cmdline_size */
    BZ_ELOW,                /* GDT, zero page or command line not low RAM */
    BZ_EFLOOR,              /* kernel below mem->floor */
    BZ_EKERNEL,             /* kernel does not fit guest RAM */
    BZ_EINITRD,             /* initrd does not fit below its limit */
    BZ_EMAP,                /* the map callback refused guest memory */
    BZ_NERRORS
};

struct bz_kernel {
    const uint8_t *data;
    size_t size;
    uint16_t version;       /* 0x020f is protocol 2.15 */
    uint8_t setup_sects;    /* 0 in the file reads as 4 */
    uint8_t loadflags;
    uint32_t header_end;    /* file offset after the setup header */
    uint64_t pm_offset;     /* the protected-mode code: to the end of file */
    uint64_t pm_size;
    uint32_t initrd_addr_max;       /* highest byte the initrd may use */
    uint32_t kernel_alignment;
    bool relocatable;
    uint32_t cmdline_size;  /* characters, without the NUL */
    uint64_t pref_address;  /* 0 before protocol 2.10 */
    uint64_t init_size;     /* the header's, or an estimate before 2.10 */
    enum bz_error error;
    struct loader_msg msg;
};

struct bz_boot {
    const char *cmdline;    /* NULL: empty string */
    const void *initrd;
    uint32_t initrd_size;   /* 0: no initrd */
};

/* Guest-physical addresses bz_place chose. */
struct bz_layout {
    uint32_t gdt, zero_page, cmdline;
    uint32_t cmdline_len;   /* without the NUL */
    uint32_t kernel;        /* load address: code32_start and EIP */
    uint32_t run;           /* where the decompressor runs from */
    uint64_t kernel_end;    /* after the code and the init_size bytes */
    uint32_t initrd, initrd_size;   /* 0, 0 without an initrd */
};

/* The state the 32-bit boot protocol asks for at entry; general registers
 * not named here are undefined. */
struct bz_regs {
    uint32_t eip, esi, ebx, ebp, edi;
    uint16_t cs, ds, es, ss, fs, gs;
    uint32_t gdt_base;
    uint16_t gdt_limit;
    uint32_t eflags;        /* IF clear */
    uint32_t cr0;           /* PE set, PG clear */
};

/* Cheap: the boot flag and "HdrS" are there (not a full check). */
bool bz_probe(const void *image, size_t size);

enum bz_error bz_open(struct bz_kernel *k, const void *image, size_t size);
enum bz_error bz_place(struct bz_kernel *k, const struct loader_mem *mem,
               const struct bz_boot *boot, struct bz_layout *out);
enum bz_error bz_load(struct bz_kernel *k, const struct loader_mem *mem,
              const struct bz_boot *boot, struct bz_layout *out,
              struct bz_regs *regs);

/* The last refusal as a sentence with the offending values. */
const char *bz_strerror(const struct bz_kernel *k);
/* "BZ_EMAGIC" etc., for logs and tests. */
const char *bz_error_name(enum bz_error e);

#endif
