/*
 * pit_count.c — what an 8254 channel reads and outputs at a given time.
 *
 * A channel's state is "n loaded at load_ns, base ticks already counted";
 * the value, OUT and the rising edges of OUT in any interval follow from the
 * mode by arithmetic, so advancing a day of virtual time costs the same as
 * advancing a microsecond and no loop depends on guest values.
 */
#include "host/dev/pit.h"
#include "host/dev/pit_count.h"

uint32_t pit_modulus(const struct pit_channel *c)
{
    return c->bcd ? 10000 : 65536;
}

/* Modes 1 and 5 count regardless of GATE once triggered; the others stop. */
static bool pit_counting(const struct pit_channel *c)
{
    return c->armed && (c->gate || c->mode == 1 || c->mode == 5);
}

int64_t pit_raw(const struct pit_channel *c, uint64_t now)
{
    if (!pit_counting(c) || now < c->load_ns)
        return c->base;
    return c->base + (int64_t)vdev_ticks(now - c->load_ns, PIT_HZ);
}

/* Ticks into the current count, and that count, with a pending reload applied. */
static void pit_view(const struct pit_channel *c, uint64_t now, uint32_t *n, int64_t *d)
{
    *d = pit_raw(c, now);
    *n = c->n;
    if (c->pending && *d >= c->pending_at) {
        *d -= c->pending_at;
        *n = c->pending_n;
    }
    if (*d < 0)
        *d = 0;
}

uint32_t pit_value(const struct pit_channel *c, uint64_t now)
{
    uint32_t n, m = pit_modulus(c);
    int64_t d;
    uint64_t v;
    pit_view(c, now, &n, &d);
    switch (c->mode) {
    case 2:
        v = n - (uint64_t)d % n;
        break;
    case 3:
        /* Mode 3 decrements by two; exact for even counts, for odd counts
         * the datasheet's N+1/N-1 half-periods are approximated. */
        v = n - (2 * (uint64_t)d) % n;
        break;
    default:
        /* One-shot modes keep counting down and wrap after 0. */
        v = (n + m - (uint64_t)d % m) % m;
        break;
    }
    return (uint32_t)(v % m);
}

int pit_out_level(const struct pit_channel *c, uint64_t now)
{
    uint32_t n;
    int64_t d;
    if (!c->armed)
        return c->mode != 0;    /* control word: mode 0 OUT low, others high */
    if (!c->gate && (c->mode == 2 || c->mode == 3))
        return 1;               /* "GATE = 0 ... OUT set high immediately" */
    pit_view(c, now, &n, &d);
    switch (c->mode) {
    case 0: case 1:
        return d >= n;
    case 2:
        return (uint64_t)d % n != n - 1;        /* low for the clock at count 1 */
    case 3:
        return (uint64_t)d % n < (n + 1) / 2;
    default:
        return d != n;          /* 4, 5: one low clock at count 0 */
    }
}

/* Rising edges of OUT at ticks t with d0 < t <= d1 within one count n. */
static uint64_t pit_rises(int mode, uint32_t n, int64_t d0, int64_t d1)
{
    int64_t at;
    if (d0 < 0)
        d0 = 0;
    if (d1 <= d0)
        return 0;
    if (mode == 2 || mode == 3)
        return (uint64_t)d1 / n - (uint64_t)d0 / n;
    at = (mode == 4 || mode == 5) ? (int64_t)n + 1 : n;
    return d0 < at && at <= d1;
}

/* The first rising edge after tick d, or -1. */
int64_t pit_next_rise(int mode, uint32_t n, int64_t d)
{
    int64_t at = (mode == 4 || mode == 5) ? (int64_t)n + 1 : n;
    if (mode == 2 || mode == 3)
        return ((uint64_t)d / n + 1) * n;
    return d < at ? at : -1;
}

uint64_t pit_rises_between(const struct pit_channel *c, uint64_t t0, uint64_t t1)
{
    int64_t d0 = pit_raw(c, t0), d1 = pit_raw(c, t1), at = c->pending_at;
    if (!c->armed || (!c->gate && (c->mode == 2 || c->mode == 3)))
        return 0;
    if (!c->pending || d1 < at)
        return pit_rises(c->mode, c->n, d0, d1);
    if (d0 >= at)
        return pit_rises(c->mode, c->pending_n, d0 - at, d1 - at);
    return pit_rises(c->mode, c->n, d0, at) + pit_rises(c->mode, c->pending_n, 0, d1 - at);
}

void pit_settle(struct pit_channel *c, uint64_t now)
{
    if (!c->pending || pit_raw(c, now) < c->pending_at)
        return;
    c->base -= c->pending_at;
    c->n = c->pending_n;
    c->pending = false;
    c->null_count = false;
}

uint64_t pit_next_edge(const struct pit_channel *c, uint64_t now)
{
    int64_t d, t;
    if (!pit_counting(c) || (!c->gate && (c->mode == 2 || c->mode == 3)))
        return VDEV_NEVER;
    d = pit_raw(c, now);
    if (c->pending && d >= c->pending_at)
        t = c->pending_at + pit_next_rise(c->mode, c->pending_n, d - c->pending_at);
    else
        t = pit_next_rise(c->mode, c->n, d);
    if (t < 0)
        return VDEV_NEVER;
    return c->load_ns + vdev_ns((uint64_t)(t - c->base), PIT_HZ);
}
