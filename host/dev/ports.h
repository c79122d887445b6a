/*
 * ports.h — the guest's I/O port space: a table of device ranges and the
 * documented default for every other port.
 *
 * Default (no device registered for the port): a read returns all ones of the
 * access width, a write is dropped, and both are counted per port.  An access
 * wider than a range accepts is split into byte accesses to consecutive ports,
 * as the ISA bus bridge does for 8-bit devices.
 *
 * Built in: port 0x80 (POST code latch) and 0xF4..0xF7, QEMU's isa-debug-exit:
 * a write of v requests guest exit with status (v << 1) | 1, exactly what the
 * same image gets under QEMU -device isa-debug-exit.
 */
#ifndef PEEL_DEV_PORTS_H
#define PEEL_DEV_PORTS_H

#include "host/dev/vdev.h"

#define PORTS_MAX_RANGES 32
#define PORTS_MAX_STATS  64     /* distinct unhandled ports counted individually */
#define PORTS_POST       0x80
#define PORTS_DEBUG_EXIT 0xF4

struct ports_range {
    uint16_t first, last;   /* inclusive */
    uint8_t widths;         /* VDEV_W8 | VDEV_W16 | VDEV_W32 accepted as one access */
    void *dev;
    vdev_in_fn *in;         /* NULL: reads take the default */
    vdev_out_fn *out;       /* NULL: writes take the default */
    vdev_ins_fn *ins;       /* NULL: a string access goes element by element */
    vdev_outs_fn *outs;
};

struct ports_stat {
    uint16_t port;
    uint32_t reads, writes;
};

struct ports {
    struct ports_range range[PORTS_MAX_RANGES];
    int nrange;
    struct ports_stat stat[PORTS_MAX_STATS];
    int nstat;
    uint32_t stat_overflow;         /* accesses to ports beyond the stat table */
    uint8_t post;                   /* last POST code written to 0x80 */
    uint32_t post_writes;
    bool exit_requested;
    uint32_t exit_status;
};

void ports_init(struct ports *p);
bool ports_register(struct ports *p, uint16_t first, uint16_t last, unsigned widths,
            void *dev, vdev_in_fn *in, vdev_out_fn *out);
/* The range holding port moves string accesses in runs (ports_ins and
 * ports_outs then hand them over whole): for a data port whose elements
 * cost a call each otherwise.  false if no range holds port. */
bool ports_register_runs(struct ports *p, uint16_t port, vdev_ins_fn *ins, vdev_outs_fn *outs);
/* Does a string access to port go to a device in runs? */
bool ports_runs(const struct ports *p, uint16_t port, int size, bool in);
uint32_t ports_in(struct ports *p, uint16_t port, int size, uint64_t now);
void ports_out(struct ports *p, uint16_t port, int size, uint32_t val, uint64_t now);
/* rep ins/outs: count elements of size bytes, little-endian in buf. */
void ports_ins(struct ports *p, uint16_t port, int size, void *buf, size_t count, uint64_t now);
void ports_outs(struct ports *p, uint16_t port, int size, const void *buf, size_t count,
        uint64_t now);
/* Counts of default-handled accesses to port, or NULL if it has none. */
const struct ports_stat *ports_stat(const struct ports *p, uint16_t port);

#endif
