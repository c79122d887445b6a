/*
 * bda.c — the BIOS data area a BIOS would have left (bda.h).  Pure: it
 * writes bytes into the caller's buffer and touches nothing else.
 */
#include "host/dev/bda.h"

static void put16(uint8_t *low, uint32_t at, uint16_t v)
{
    low[at] = (uint8_t)v;
    low[at + 1] = (uint8_t)(v >> 8);
}

static unsigned present(const uint16_t *ports, unsigned n)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        k += ports[i] != 0;
    return k;
}

bool bda_fill(uint8_t *low, const struct bda_pc *pc)
{
    if (pc->base_kib <= BDA_EBDA_KIB || pc->base_kib > 640)
        return false;
    uint32_t below = pc->base_kib - BDA_EBDA_KIB, ebda = below * 1024;
    for (unsigned i = 0; i < 4; i++)
        put16(low, BDA_COM + 2 * i, pc->com[i]);
    for (unsigned i = 0; i < 3; i++)
        put16(low, BDA_LPT + 2 * i, pc->lpt[i]);
    put16(low, BDA_EBDA_SEG, (uint16_t)(ebda >> 4));
    unsigned serial = present(pc->com, 4), parallel = present(pc->lpt, 3);
    uint16_t eq = (uint16_t)(serial << BDA_EQ_SERIAL_SHIFT | parallel << BDA_EQ_LPT_SHIFT | BDA_EQ_VIDEO_EGA);
    eq |= pc->floppy ? BDA_EQ_FLOPPY : 0;
    eq |= pc->fpu ? BDA_EQ_FPU : 0;
    eq |= pc->ps2_mouse ? BDA_EQ_PS2_MOUSE : 0;
    put16(low, BDA_EQUIPMENT, eq);
    put16(low, BDA_BASE_KIB, (uint16_t)below);
    if (pc->vga_text) {
        low[BDA_VIDEO_MODE] = 3;
        put16(low, BDA_VIDEO_COLS, 80);
        put16(low, BDA_VIDEO_PAGE_SIZE, 4096);           /* 80x25x2 rounded up, as BIOSes give it */
        put16(low, BDA_CRTC_BASE, 0x3D4);
        low[BDA_VIDEO_ROWS] = 24;
        put16(low, BDA_CHAR_HEIGHT, 16);
    }
    for (uint32_t i = 0; i < BDA_EBDA_KIB * 1024; i++)
        low[ebda + i] = 0;
    low[ebda] = BDA_EBDA_KIB;
    return true;
}
