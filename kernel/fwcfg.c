#include "kernel/fwcfg.h"
#include "kernel/x86.h"
#include "kernel/string.h"
#include <stdint.h>

/* QEMU docs/specs/fw_cfg.txt: selector port 0x510 (16-bit), data port
 * 0x511; key 0 reads the signature "QEMU", key 0x19 the file directory:
 * a big-endian count, then {be32 size, be16 select, be16 reserved, name[56]}. */
#define FW_CFG_SEL  0x510
#define FW_CFG_DATA 0x511

static void read_bytes(void *buf, size_t n)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < n; i++) b[i] = inb(FW_CFG_DATA);
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

int fwcfg_read_file(const char *name, char *buf, size_t size)
{
    char sig[4];
    outw(FW_CFG_SEL, 0);
    read_bytes(sig, 4);
    if (memcmp(sig, "QEMU", 4))
        return -1;
    uint8_t raw[4];
    outw(FW_CFG_SEL, 0x19);
    read_bytes(raw, 4);
    uint32_t count = be32(raw);
    for (uint32_t i = 0; i < count && i < 4096; i++) {
        uint8_t entry[64];
        read_bytes(entry, sizeof entry);
        entry[63] = 0;
        if (strcmp((const char *)entry + 8, name))
            continue;
        uint32_t len = be32(entry);
        uint16_t select = entry[4] << 8 | entry[5];
        size_t n = len < size - 1 ? len : size - 1;
        outw(FW_CFG_SEL, select);
        read_bytes(buf, n);
        buf[n] = '\0';
        return (int)n;
    }
    return -1;
}
