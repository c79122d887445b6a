/*
 * kbc.h — 8042 keyboard controller (0x60 data, 0x64 status/command) with a
 * PS/2 keyboard behind it, plus System Control Port A (0x92, "fast A20").
 *
 * The host types with kbc_push_key(): bytes exactly as the guest should
 * read them (scan code set 1 under the default translation; no translation
 * is performed).  A20 is the output port's bit 1 OR port 0x92's bit 1; a
 * reset request (a pulse command such as 0xFE, output port bit 0 written
 * low, or port 0x92 bit 0 rising) is reported in reset_requested, with what
 * asked for it, for the host to act on; the first request wins.  No
 * auxiliary (mouse) device is attached.
 */
#ifndef PEEL_DEV_KBC_H
#define PEEL_DEV_KBC_H

#include "host/dev/vdev.h"

#define KBC_OUT_MAX 16          /* controller + keyboard replies in flight */
#define KBC_KEYS    64          /* typed scan codes waiting */
#define KBC_AUX     0x100       /* marks an out[] entry as auxiliary data */

struct ports;

/* What asked for a reset (0: nothing). */
enum kbc_reset {
    KBC_RESET_NONE,
    KBC_RESET_PULSE,                /* controller command 0xF0-0xFE pulsing bit 0: reset_command */
    KBC_RESET_OUTPORT,              /* command 0xD1 wrote output port bit 0 low */
    KBC_RESET_PORT92,               /* System Control Port A bit 0, 0 to 1 */
};

struct kbc {
    uint8_t ctr;                    /* controller command byte */
    uint8_t outport;
    uint8_t port92;
    bool last_was_cmd;              /* status bit 3 */
    uint8_t ctl_pending;            /* controller command awaiting its data byte */
    uint8_t kbd_pending;            /* keyboard command awaiting its parameter */
    bool scanning;
    uint8_t scanset, leds;
    uint16_t out[KBC_OUT_MAX];      /* the output buffer, in delivery order */
    uint8_t out_head, out_len, last_read;
    uint8_t keys[KBC_KEYS];
    uint8_t key_head, key_len;
    uint8_t reset_requested;        /* enum kbc_reset */
    uint8_t reset_command;          /* for KBC_RESET_PULSE */
    int level1, level12;
    struct vdev_irq irq;
    uint64_t keys_dropped;
};

void kbc_init(struct kbc *k, struct vdev_irq irq);
bool kbc_attach(struct kbc *k, struct ports *ports);
bool kbc_push_key(struct kbc *k, uint8_t scancode);      /* false: queue full, dropped */
bool kbc_a20(const struct kbc *k);
uint32_t kbc_in(void *kbc, uint16_t port, int size, uint64_t now);
void kbc_out(void *kbc, uint16_t port, int size, uint32_t val, uint64_t now);

#endif
