/*
 * The Multiboot2 boot information, parsed into what the kernel needs.
 * Pure logic over a byte buffer (tags are bounds-checked against the
 * declared total size), so the unit tests feed it hand-made blocks.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include "kernel/pmm.h"

#define MB2_BOOT_MAGIC  0x36d76289
#define MB2_MAX_REGIONS 128
#define MB2_MAX_MODULES 128   /* the large ISO carries 66 (make test builds them all) */

struct mb2_module { uint64_t start, end; const char *cmdline; };

struct bootinfo {
    const char *cmdline;                     /* "" if none */
    struct mem_region regions[MB2_MAX_REGIONS];
    size_t nregions;
    uint64_t top;                            /* end of the highest usable region */
    struct mb2_module modules[MB2_MAX_MODULES];
    size_t nmodules;
    const void *rsdp;                        /* copy of the RSDP inside the info, or NULL */
    size_t rsdp_len;
    const char *warning;                     /* first problem found, or NULL */
};

extern struct bootinfo boot_info;   /* the kernel's, parsed at boot */

/* Returns NULL on success, else why the block cannot be used at all. */
const char *mb2_parse(const void *info, size_t avail, struct bootinfo *out);
