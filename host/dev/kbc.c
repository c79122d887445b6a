/*
 * kbc.c — 8042 and PS/2 keyboard, after the IBM PC/AT Technical Reference
 * and the commands Linux (drivers/input/serio/i8042.c, atkbd.c) uses.
 *
 * The real 8042 has a one-byte output buffer; replies to a command come out
 * one after another as the guest reads them, which the out[] queue models.
 * Typed keys enter it only when it is empty and the keyboard is enabled, so
 * a reply is never stuck behind keystrokes.  IRQ1/IRQ12 rise when a byte
 * reaches the buffer (if enabled in the command byte) and fall when the
 * guest reads port 0x60.
 */
#include "host/dev/kbc.h"
#include "host/dev/ports.h"

enum {
    ST_OBF = 0x01, ST_SYS = 0x04, ST_CMD = 0x08, ST_UNLOCKED = 0x10, ST_AUXB = 0x20,
    CTR_INT1 = 0x01, CTR_INT12 = 0x02, CTR_SYS = 0x04, CTR_KBD_OFF = 0x10,
    CTR_AUX_OFF = 0x20, CTR_XLAT = 0x40,
    OUT_RESET = 0x01, OUT_A20 = 0x02,
    KBD_ACK = 0xFA, KBD_RESEND = 0xFE, KBD_BAT_OK = 0xAA,
};

static void kbc_update(struct kbc *k)
{
    bool full = k->out_len > 0;
    bool aux = full && (k->out[k->out_head] & KBC_AUX);
    int l1 = full && !aux && (k->ctr & CTR_INT1);
    int l12 = full && aux && (k->ctr & CTR_INT12);
    if (l1 != k->level1)
        vdev_irq_drive(&k->irq, 1, k->level1 = l1);
    if (l12 != k->level12)
        vdev_irq_drive(&k->irq, 12, k->level12 = l12);
}

static void kbc_reply(struct kbc *k, uint16_t v)
{
    if (k->out_len == KBC_OUT_MAX)
        return;         /* a guest flooding commands without reading loses replies */
    k->out[(k->out_head + k->out_len) % KBC_OUT_MAX] = v;
    k->out_len++;
}

static void kbc_refill(struct kbc *k)
{
    if (k->out_len || !k->key_len || !k->scanning || (k->ctr & CTR_KBD_OFF))
        return;
    kbc_reply(k, k->keys[k->key_head]);
    k->key_head = (k->key_head + 1) % KBC_KEYS;
    k->key_len--;
}

bool kbc_push_key(struct kbc *k, uint8_t scancode)
{
    if (k->key_len == KBC_KEYS) {
        k->keys_dropped++;
        return false;
    }
    k->keys[(k->key_head + k->key_len) % KBC_KEYS] = scancode;
    k->key_len++;
    kbc_refill(k);
    kbc_update(k);
    return true;
}

bool kbc_a20(const struct kbc *k)
{
    return (k->outport & OUT_A20) || (k->port92 & 0x02);
}

static void kbc_reset(struct kbc *k, enum kbc_reset why, uint8_t cmd)
{
    if (k->reset_requested)
        return;                         /* the first request wins */
    k->reset_requested = (uint8_t)why;
    k->reset_command = cmd;
}

static void kbc_write_outport(struct kbc *k, uint8_t val)
{
    k->outport = val;
    if (!(val & OUT_RESET))
        kbc_reset(k, KBC_RESET_OUTPORT, 0xD1);  /* the reset line is active low */
}

/* A byte for the keyboard itself. */
static void kbd_command(struct kbc *k, uint8_t val)
{
    uint8_t param = k->kbd_pending;
    k->kbd_pending = 0;
    if (param) {
        if (param == 0xED)
            k->leds = val & 7;
        kbc_reply(k, KBD_ACK);
        if (param == 0xF0 && val == 0)
            kbc_reply(k, k->scanset);
        else if (param == 0xF0 && val <= 3)
            k->scanset = val;
        return;
    }
    switch (val) {
    case 0xFF:                              /* reset and self test */
        k->scanning = true;
        k->scanset = 2;
        kbc_reply(k, KBD_ACK);
        kbc_reply(k, KBD_BAT_OK);
        break;
    case 0xF2:                              /* identify: MF2, as seen through XLAT */
        kbc_reply(k, KBD_ACK);
        kbc_reply(k, 0xAB);
        kbc_reply(k, (k->ctr & CTR_XLAT) ? 0x41 : 0x83);
        break;
    case 0xEE:
        kbc_reply(k, 0xEE);             /* echo */
        break;
    case 0xED: case 0xF0: case 0xF3:
        k->kbd_pending = val;
        kbc_reply(k, KBD_ACK);
        break;
    case 0xF4: case 0xF5: case 0xF6:
        k->scanning = val != 0xF5;
        kbc_reply(k, KBD_ACK);
        break;
    default:
        kbc_reply(k, val > 0xF6 ? KBD_ACK : KBD_RESEND);
        break;
    }
}

/* The data byte that follows a controller command. */
static void kbc_command_data(struct kbc *k, uint8_t cmd, uint8_t val)
{
    switch (cmd) {
    case 0x60: k->ctr = val; break;
    case 0xD1: kbc_write_outport(k, val); break;
    case 0xD2: kbc_reply(k, val); break;
    case 0xD3: kbc_reply(k, KBC_AUX | val); break;
    default: break;         /* 0xD4: no auxiliary device listens; 0x61-0x7F: RAM */
    }
}

static void kbc_command(struct kbc *k, uint8_t cmd)
{
    if ((cmd >= 0x60 && cmd <= 0x7F) || (cmd >= 0xD1 && cmd <= 0xD4)) {
        k->ctl_pending = cmd;
        return;
    }
    if (cmd >= 0xF0) {
        /* Pulse the output port bits that are 0 in the command: bit 0 resets. */
        if (!(cmd & 1))
            kbc_reset(k, KBC_RESET_PULSE, cmd);
        return;
    }
    switch (cmd) {
    case 0x20: kbc_reply(k, k->ctr); break;
    case 0xA7: k->ctr |= CTR_AUX_OFF; break;
    case 0xA8: k->ctr &= ~CTR_AUX_OFF; break;
    case 0xA9: kbc_reply(k, 0x00); break;           /* aux interface test: ok */
    case 0xAA: k->ctr |= CTR_SYS; kbc_reply(k, 0x55); break;
    case 0xAB: kbc_reply(k, 0x00); break;           /* keyboard interface test */
    case 0xAD: k->ctr |= CTR_KBD_OFF; break;
    case 0xAE: k->ctr &= ~CTR_KBD_OFF; break;
    case 0xC0: kbc_reply(k, 0x80); break;           /* input port: not inhibited */
    case 0xD0: kbc_reply(k, k->outport); break;
    case 0xDD: k->outport &= ~OUT_A20; break;
    case 0xDF: k->outport |= OUT_A20; break;
    case 0xE0: kbc_reply(k, 0x00); break;
    default:
        if (cmd >= 0x21 && cmd <= 0x3F)
            kbc_reply(k, 0x00);             /* other controller RAM */
        break;
    }
}

static uint8_t kbc_read_data(struct kbc *k)
{
    if (k->out_len) {       /* empty: the buffer still holds the last byte */
        k->last_read = (uint8_t)k->out[k->out_head];
        k->out_head = (k->out_head + 1) % KBC_OUT_MAX;
        k->out_len--;
    }
    /* Reading drops the line; the next byte makes a fresh edge. */
    if (k->level1)
        vdev_irq_drive(&k->irq, 1, k->level1 = 0);
    if (k->level12)
        vdev_irq_drive(&k->irq, 12, k->level12 = 0);
    return k->last_read;
}

static uint8_t kbc_status(const struct kbc *k)
{
    uint8_t st = ST_UNLOCKED;
    if (k->out_len)
        st |= ST_OBF | ((k->out[k->out_head] & KBC_AUX) ? ST_AUXB : 0);
    if (k->ctr & CTR_SYS)
        st |= ST_SYS;
    if (k->last_was_cmd)
        st |= ST_CMD;
    return st;
}

uint32_t kbc_in(void *kbc, uint16_t port, int size, uint64_t now)
{
    struct kbc *k = kbc;
    uint8_t v;
    (void)size, (void)now;
    if (port == 0x92)
        return k->port92;
    if (port == 0x64)
        return kbc_status(k);
    v = kbc_read_data(k);
    kbc_refill(k);
    kbc_update(k);
    return v;
}

void kbc_out(void *kbc, uint16_t port, int size, uint32_t val, uint64_t now)
{
    struct kbc *k = kbc;
    uint8_t cmd = k->ctl_pending;
    (void)size, (void)now;
    if (port == 0x92) {
        if ((val & 1) && !(k->port92 & 1))
            kbc_reset(k, KBC_RESET_PORT92, 0);      /* fast reset on a 0-to-1 edge */
        k->port92 = val & 0x03;
        return;
    }
    k->ctl_pending = 0;
    k->last_was_cmd = port == 0x64;
    if (port == 0x64)
        kbc_command(k, (uint8_t)val);
    else if (cmd)
        kbc_command_data(k, cmd, (uint8_t)val);
    else
        kbd_command(k, (uint8_t)val);
    kbc_refill(k);
    kbc_update(k);
}

/* As a BIOS leaves it: translation on, mouse off, keyboard interrupt on,
 * self test passed, A20 enabled (GRUB enables it before a Multiboot boot). */
void kbc_init(struct kbc *k, struct vdev_irq irq)
{
    *k = (struct kbc){ .irq = irq, .ctr = CTR_XLAT | CTR_AUX_OFF | CTR_SYS | CTR_INT1,
               .outport = 0xCF, .scanning = true, .scanset = 2 };
}

bool kbc_attach(struct kbc *k, struct ports *ports)
{
    return ports_register(ports, 0x60, 0x60, VDEV_W8, k, kbc_in, kbc_out) &&
           ports_register(ports, 0x64, 0x64, VDEV_W8, k, kbc_in, kbc_out) &&
           ports_register(ports, 0x92, 0x92, VDEV_W8, k, kbc_in, kbc_out);
}
