/*
 * vga.c — VGA text-mode registers, after the IBM VGA Technical Reference.
 *
 * Misc output bit 0 selects where the CRTC and input status 1 live: 1 puts
 * them at 0x3D4/0x3D5/0x3DA (colour), 0 at 0x3B4/0x3B5/0x3BA (mono); the
 * other set is not decoded and floats (reads 0xFF).  Reading input status 1
 * resets the attribute controller's index/data flip-flop.  The retrace bits
 * follow virtual time for the standard 70 Hz, 449-line text timing, because
 * kernels wait for vertical retrace before touching the screen.
 */
#include "host/dev/vga.h"
#include "host/dev/ports.h"

#define LINE_NS  31778u         /* 25.175 MHz / 800 dots */
#define FRAME_NS (449u * LINE_NS)

/* Mode 3 register values (IBM VGA BIOS parameter table). */
static const uint8_t mode3_crtc[0x19] = {
    0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E,
    0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
};
static const uint8_t mode3_seq[5] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t mode3_gc[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF };
static const uint8_t mode3_ac[0x15] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
    0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00,
};

static bool vga_color(const struct vga *v)
{
    return v->misc & 1;
}

/* The port as its colour-mode name, or 0 if this address is not decoded. */
static uint16_t vga_decode(const struct vga *v, uint16_t port)
{
    if ((port & 0xFFF0) == 0x3C0)
        return port;
    if (((port & 0xFFF0) == 0x3D0) != vga_color(v))
        return 0;
    return (uint16_t)((port & 0x000F) | 0x3D0);
}

static uint8_t vga_status1(struct vga *v, uint64_t now)
{
    uint64_t in_frame = now % FRAME_NS, line = in_frame / LINE_NS;
    bool vretrace = line >= 412 && line < 414;
    bool blank = line >= 400 || in_frame % LINE_NS >= 640u * LINE_NS / 800;
    v->ac_data = false;
    return (uint8_t)((vretrace ? 0x08 : 0) | (blank ? 0x01 : 0));
}

static void vga_crtc_write(struct vga *v, uint8_t val)
{
    uint8_t i = v->crtc_index;
    if (i >= sizeof v->crtc)
        return;
    /* CR11 bit 7 write-protects CR0-CR7, except CR7's line compare bit 4. */
    if ((v->crtc[0x11] & 0x80) && i <= 7) {
        if (i == 7)
            v->crtc[7] = (uint8_t)((v->crtc[7] & ~0x10) | (val & 0x10));
        return;
    }
    v->crtc[i] = val;
}

static void vga_ac_write(struct vga *v, uint8_t val)
{
    if (!v->ac_data)
        v->ac_index = val & 0x3F;       /* bit 5: palette address source */
    else if ((v->ac_index & 0x1F) < sizeof v->ac)
        v->ac[v->ac_index & 0x1F] = val;
    v->ac_data = !v->ac_data;
}

static uint8_t vga_dac_read(struct vga *v)
{
    uint8_t val = v->dac[v->dac_read][v->dac_comp];
    if (++v->dac_comp == 3) {
        v->dac_comp = 0;
        v->dac_read++;
    }
    return val;
}

static void vga_dac_write(struct vga *v, uint8_t val)
{
    v->dac[v->dac_write][v->dac_comp] = val & 0x3F;
    if (++v->dac_comp == 3) {
        v->dac_comp = 0;
        v->dac_write++;
    }
}

static uint8_t vga_indexed(const uint8_t *regs, size_t n, uint8_t index)
{
    return index < n ? regs[index] : 0xFF;
}

uint32_t vga_in(void *vga, uint16_t port, int size, uint64_t now)
{
    struct vga *v = vga;
    (void)size;
    switch (vga_decode(v, port)) {
    case 0x3C0: return (uint8_t)(v->ac_index);
    case 0x3C1: return vga_indexed(v->ac, sizeof v->ac, v->ac_index & 0x1F);
    case 0x3C2: return 0x00;                /* input status 0 */
    case 0x3C3: return v->subsys;
    case 0x3C4: return v->seq_index;
    case 0x3C5: return vga_indexed(v->seq, sizeof v->seq, v->seq_index);
    case 0x3C6: return v->pel_mask;
    case 0x3C7: return v->dac_reading ? 0x03 : 0x00;
    case 0x3C8: return v->dac_write;
    case 0x3C9: return vga_dac_read(v);
    case 0x3CA: return v->feature;
    case 0x3CC: return v->misc;
    case 0x3CE: return v->gc_index;
    case 0x3CF: return vga_indexed(v->gc, sizeof v->gc, v->gc_index);
    case 0x3D4: return v->crtc_index;
    case 0x3D5: return vga_indexed(v->crtc, sizeof v->crtc, v->crtc_index);
    case 0x3DA: return vga_status1(v, now);
    default: return 0xFF;
    }
}

void vga_out(void *vga, uint16_t port, int size, uint32_t val, uint64_t now)
{
    struct vga *v = vga;
    uint8_t b = (uint8_t)val;
    (void)size, (void)now;
    switch (vga_decode(v, port)) {
    case 0x3C0: vga_ac_write(v, b); break;
    case 0x3C2: v->misc = b; break;
    case 0x3C3: v->subsys = b & 1; break;
    case 0x3C4: v->seq_index = b; break;
    case 0x3C5: if (v->seq_index < sizeof v->seq) v->seq[v->seq_index] = b; break;
    case 0x3C6: v->pel_mask = b; break;
    case 0x3C7: v->dac_read = b; v->dac_comp = 0; v->dac_reading = true; break;
    case 0x3C8: v->dac_write = b; v->dac_comp = 0; v->dac_reading = false; break;
    case 0x3C9: vga_dac_write(v, b); break;
    case 0x3CE: v->gc_index = b; break;
    case 0x3CF: if (v->gc_index < sizeof v->gc) v->gc[v->gc_index] = b; break;
    case 0x3D4: v->crtc_index = b; break;
    case 0x3D5: vga_crtc_write(v, b); break;
    case 0x3DA: v->feature = b; break;
    default: break;
    }
}

unsigned vga_start(const struct vga *v)
{
    return (unsigned)v->crtc[0x0C] << 8 | v->crtc[0x0D];
}

unsigned vga_cursor(const struct vga *v)
{
    return (unsigned)v->crtc[0x0E] << 8 | v->crtc[0x0F];
}

bool vga_cursor_visible(const struct vga *v)
{
    return !(v->crtc[0x0A] & 0x20);
}

size_t vga_row_text(const struct vga *v, int row, char out[VGA_COLS + 1])
{
    size_t len = 0;
    out[0] = '\0';
    if (row < 0 || row >= VGA_ROWS)
        return 0;
    for (int col = 0; col < VGA_COLS; col++) {
        /* Cells wrap inside the 32 KiB window, as the CRTC address does. */
        unsigned cell = (vga_start(v) + (unsigned)(row * VGA_COLS + col)) % (VGA_TEXT_BYTES / 2);
        uint8_t ch = v->mem[2 * cell];
        out[col] = (ch >= 0x20 && ch < 0x7F) ? (char)ch : ch ? '.' : ' ';
        if (out[col] != ' ')
            len = (size_t)col + 1;
    }
    out[len] = '\0';
    return len;
}

/* Mode 3 as the BIOS set it, with a blank screen (grey on black spaces). */
void vga_init(struct vga *v, uint8_t *text_mem)
{
    *v = (struct vga){ .mem = text_mem, .misc = 0x67, .subsys = 1, .pel_mask = 0xFF };
    for (size_t i = 0; i < sizeof v->crtc; i++)
        v->crtc[i] = mode3_crtc[i];
    for (size_t i = 0; i < sizeof v->seq; i++)
        v->seq[i] = mode3_seq[i];
    for (size_t i = 0; i < sizeof v->gc; i++)
        v->gc[i] = mode3_gc[i];
    for (size_t i = 0; i < sizeof v->ac; i++)
        v->ac[i] = mode3_ac[i];
    v->ac_index = 0x20;
    for (size_t i = 0; i < VGA_TEXT_BYTES; i += 2) {
        text_mem[i] = ' ';
        text_mem[i + 1] = 0x07;
    }
}

bool vga_attach(struct vga *v, struct ports *ports)
{
    return ports_register(ports, 0x3B4, 0x3B5, VDEV_W8, v, vga_in, vga_out) &&
           ports_register(ports, 0x3BA, 0x3BA, VDEV_W8, v, vga_in, vga_out) &&
           ports_register(ports, 0x3C0, 0x3CF, VDEV_W8, v, vga_in, vga_out) &&
           ports_register(ports, 0x3D4, 0x3D5, VDEV_W8, v, vga_in, vga_out) &&
           ports_register(ports, 0x3DA, 0x3DA, VDEV_W8, v, vga_in, vga_out);
}
