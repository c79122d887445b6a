/*
 * bda.h — what a PC BIOS leaves in low memory for the kernel it boots: the
 * BIOS data area (BDA, 0x400-0x4FF) and a 1 KiB extended BIOS data area
 * (EBDA) at the top of conventional memory.  Peel's PC has no BIOS, but a
 * legacy kernel reads these to find its serial and parallel ports, the
 * size of base memory, the EBDA (where it scans for "_MP_" and "RSD PTR "),
 * the equipment and the text console; they must tell the truth about the
 * devices the host wires (host/vmm/vdevs.c), as a BIOS's would.
 *
 * Offsets: IBM PC/AT Technical Reference, BIOS data area; the same as
 * SeaBIOS's struct bios_data_area_s (src/std/bda.h).
 */
#ifndef PEEL_DEV_BDA_H
#define PEEL_DEV_BDA_H

#include <stdbool.h>
#include <stdint.h>

#define BDA_BASE      0x400
#define BDA_COM       0x400     /* 4 words: I/O base of COM1-4, 0 if absent */
#define BDA_LPT       0x408     /* 3 words: LPT1-3 */
#define BDA_EBDA_SEG  0x40E     /* word: the EBDA's real-mode segment */
#define BDA_EQUIPMENT 0x410     /* word: INT 11h's answer */
#define BDA_BASE_KIB  0x413     /* word: conventional memory below the EBDA, KiB */
#define BDA_VIDEO_MODE 0x449    /* byte: 3, 80x25 colour text */
#define BDA_VIDEO_COLS 0x44A    /* word: 80 */
#define BDA_VIDEO_PAGE_SIZE 0x44C
#define BDA_CRTC_BASE 0x463     /* word: 0x3D4 colour, 0x3B4 mono */
#define BDA_VIDEO_ROWS 0x484    /* byte: rows - 1 */
#define BDA_CHAR_HEIGHT 0x485   /* word: scan lines per character */
#define BDA_EBDA_KIB  1         /* the EBDA's size, its first byte */

/* Equipment word bits (INT 11h) */
#define BDA_EQ_FLOPPY    0x0001
#define BDA_EQ_FPU       0x0002
#define BDA_EQ_PS2_MOUSE 0x0004
#define BDA_EQ_VIDEO_EGA 0x0000 /* bits 4-5: 00 EGA/VGA (own BIOS) */
#define BDA_EQ_SERIAL_SHIFT 9   /* bits 9-11: serial ports */
#define BDA_EQ_LPT_SHIFT    14  /* bits 14-15: parallel ports */

struct bda_pc {
    uint16_t com[4];            /* I/O bases, 0 absent */
    uint16_t lpt[3];
    bool fpu, ps2_mouse, floppy;
    bool vga_text;              /* a colour VGA in 80x25 text mode */
    uint32_t base_kib;          /* conventional memory, EBDA included (640) */
};

/* Write the BDA and the EBDA into low, guest-physical 0 .. 640 KiB: the
 * EBDA takes the top BDA_EBDA_KIB of base memory.  False, writing nothing,
 * if base_kib is not 2..640. */
bool bda_fill(uint8_t *low, const struct bda_pc *pc);

#endif
