/*
 * vga.h — VGA in 80x25 colour text mode: the text window at 0xB8000 and the
 * registers text-mode kernels touch (CRTC cursor and start address, misc
 * output, input status 1 retrace bits, sequencer, graphics, attribute, DAC).
 *
 * Text memory is caller-given (VGA_TEXT_BYTES, normally a page-aligned host
 * buffer the host maps at guest-physical 0xB8000); the guest writes it
 * directly, without traps.  The host renders it with vga_row_text() and
 * vga_cursor().  Graphics modes, planar memory and the 0xA0000 window are
 * not modelled: register writes that would switch modes are stored only.
 */
#ifndef PEEL_DEV_VGA_H
#define PEEL_DEV_VGA_H

#include "host/dev/vdev.h"

#define VGA_TEXT_BASE  0xB8000u
#define VGA_TEXT_BYTES 0x8000u  /* 0xB8000-0xBFFFF: 8 pages of 80x25 cells */
#define VGA_COLS       80
#define VGA_ROWS       25

struct ports;

struct vga {
    uint8_t *mem;
    uint8_t misc, feature, subsys;
    uint8_t crtc_index, crtc[0x19];
    uint8_t seq_index, seq[5];
    uint8_t gc_index, gc[9];
    uint8_t ac_index, ac[0x15];
    bool ac_data;                   /* attribute flip-flop: next 0x3C0 write is data */
    uint8_t pel_mask, dac_read, dac_write, dac_comp;
    bool dac_reading;
    uint8_t dac[256][3];
};

void vga_init(struct vga *v, uint8_t *text_mem);
bool vga_attach(struct vga *v, struct ports *ports);
unsigned vga_start(const struct vga *v);        /* first displayed cell */
unsigned vga_cursor(const struct vga *v);       /* cursor cell, from the start of memory */
bool vga_cursor_visible(const struct vga *v);
/* Displayed row as text: CP437 controls and high bytes become '.', trailing
 * blanks dropped; returns the length written to out (NUL-terminated). */
size_t vga_row_text(const struct vga *v, int row, char out[VGA_COLS + 1]);
uint32_t vga_in(void *vga, uint16_t port, int size, uint64_t now);
void vga_out(void *vga, uint16_t port, int size, uint32_t val, uint64_t now);

#endif
