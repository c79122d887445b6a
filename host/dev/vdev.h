/*
 * vdev.h — what every virtual device model shares.
 *
 * The models in host/dev/ are pure C: no globals, no clock, no allocation.
 * Each device is a struct owned by the caller (one per guest), time is an
 * argument in nanoseconds of monotonic virtual time, interrupt lines are a
 * callback, and port accesses arrive through the ports_* dispatch table.
 * See docs/devices.md for what each model does and does not do.
 */
#ifndef PEEL_DEV_VDEV_H
#define PEEL_DEV_VDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VDEV_NS_PER_SEC 1000000000ull
#define VDEV_NEVER      UINT64_MAX      /* "no event due" for *_next_* queries */

/* Access widths in bytes; also used as a bit mask of accepted widths. */
enum { VDEV_W8 = 1, VDEV_W16 = 2, VDEV_W32 = 4 };

/*
 * An interrupt line: the device drives `irq` to `level` (1 asserted).  The
 * PIC model decides whether that is an edge or a level; devices call it only
 * when their output changes, and may repeat a level harmlessly.
 */
typedef void vdev_irq_fn(void *ctx, int irq, int level);
struct vdev_irq {
    vdev_irq_fn *set;
    void *ctx;
};

static inline void vdev_irq_drive(const struct vdev_irq *line, int irq, int level)
{
    if (line->set)
        line->set(line->ctx, irq, level);
}

/* Port handlers.  size is 1, 2 or 4; values are zero-extended. */
typedef uint32_t vdev_in_fn(void *dev, uint16_t port, int size, uint64_t now);
typedef void vdev_out_fn(void *dev, uint16_t port, int size, uint32_t val, uint64_t now);
/* rep ins/outs as a run: move up to n elements of size bytes between buf
 * (little-endian, ascending) and the device, exactly as n single accesses
 * would, and say how many moved; 0 when the next element is not one the
 * device moves as part of a run (it then goes through the single-access
 * handler, and the run is asked again after it). */
typedef size_t vdev_ins_fn(void *dev, uint16_t port, int size, void *buf, size_t n, uint64_t now);
typedef size_t vdev_outs_fn(void *dev, uint16_t port, int size, const void *buf, size_t n, uint64_t now);

/*
 * Whole ticks of an hz clock in ns nanoseconds.  Split in seconds and rest so
 * nothing overflows 64 bits for centuries and no 128-bit division (libgcc's
 * __udivti3) is needed in the freestanding kernel.
 */
static inline uint64_t vdev_ticks(uint64_t ns, uint64_t hz)
{
    return ns / VDEV_NS_PER_SEC * hz + ns % VDEV_NS_PER_SEC * hz / VDEV_NS_PER_SEC;
}

/* The first nanosecond at which vdev_ticks() reaches ticks (its inverse, rounded up). */
static inline uint64_t vdev_ns(uint64_t ticks, uint64_t hz)
{
    return ticks / hz * VDEV_NS_PER_SEC + (ticks % hz * VDEV_NS_PER_SEC + hz - 1) / hz;
}

#endif
