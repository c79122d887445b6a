/* boot: the Multiboot v1 information block and the kernel's options. */
#ifndef CLASSIC_BOOT_H
#define CLASSIC_BOOT_H
#include "types.h"

#define MB_BOOT_MAGIC  0x2badb002   /* in EAX from a Multiboot v1 loader */
#define MB_INFO_MEM    (1u << 0)    /* mem_lower/mem_upper valid */
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP   (1u << 6)

struct mb_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;  /* KiB below 1 MiB / above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};

struct mb_mmap_entry {
    uint32_t size;                  /* of the rest of the entry */
    uint64_t addr, len;
    uint32_t type;                  /* 1 = available RAM */
} __attribute__((packed));

struct classic_config {
    uint32_t workers;               /* workers=  1..32, default 8 */
    uint32_t requests;              /* requests= 1..4096, default 64 */
    uint32_t hz;                    /* hz=       timer rate, 20..1000, default 100 */
    uint32_t watchdog;              /* watchdog= seconds, 1..86400; 0: 600 + W*R/8 */
    uint32_t fsck_only;             /* mode=fsck: check the disk, run no workload */
};

extern struct classic_config classic_config;
extern char boot_cmdline[256];

int cmdline_parse(const char *line, struct classic_config *cfg);

#endif
