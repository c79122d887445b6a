/*
 * ports.c — I/O port dispatch with a counted all-ones default.
 *
 * A PC with nothing decoding a port reads the ISA bus floating high (0xFF
 * per byte) and writes go nowhere; guests probe for absent hardware exactly
 * that way, so the default is the faithful answer, not an error.
 */
#include "host/dev/ports.h"

static int ports_width(int size)
{
    return size == VDEV_W16 || size == VDEV_W32 ? size : VDEV_W8;
}

static uint32_t ports_ones(int size)
{
    return size == VDEV_W32 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

static const struct ports_range *ports_find(const struct ports *p, uint16_t port)
{
    for (int i = 0; i < p->nrange; i++)
        if (port >= p->range[i].first && port <= p->range[i].last)
            return &p->range[i];
    return NULL;
}

static struct ports_stat *ports_count(struct ports *p, uint16_t port)
{
    for (int i = 0; i < p->nstat; i++)
        if (p->stat[i].port == port)
            return &p->stat[i];
    if (p->nstat == PORTS_MAX_STATS) {
        p->stat_overflow++;
        return NULL;
    }
    p->stat[p->nstat].port = port;
    return &p->stat[p->nstat++];
}

const struct ports_stat *ports_stat(const struct ports *p, uint16_t port)
{
    for (int i = 0; i < p->nstat; i++)
        if (p->stat[i].port == port)
            return &p->stat[i];
    return NULL;
}

/* 0x80: chipsets latch the POST code; reading it back returns the latch. */
static uint32_t post_in(void *dev, uint16_t port, int size, uint64_t now)
{
    (void)port, (void)size, (void)now;
    return ((struct ports *)dev)->post;
}

static void post_out(void *dev, uint16_t port, int size, uint32_t val, uint64_t now)
{
    struct ports *p = dev;
    (void)port, (void)size, (void)now;
    p->post = (uint8_t)val;
    p->post_writes++;
}

/* QEMU isa-debug-exit: exit((val << 1) | 1); the read side returns 0 there too. */
static uint32_t exit_in(void *dev, uint16_t port, int size, uint64_t now)
{
    (void)dev, (void)port, (void)size, (void)now;
    return 0;
}

static void exit_out(void *dev, uint16_t port, int size, uint32_t val, uint64_t now)
{
    struct ports *p = dev;
    (void)port, (void)now;
    if (p->exit_requested)
        return;         /* the first request wins */
    p->exit_requested = true;
    p->exit_status = ((val & ports_ones(size)) << 1) | 1;
}

void ports_init(struct ports *p)
{
    *p = (struct ports){ 0 };
    ports_register(p, PORTS_POST, PORTS_POST, VDEV_W8, p, post_in, post_out);
    ports_register(p, PORTS_DEBUG_EXIT, PORTS_DEBUG_EXIT + 3, VDEV_W8 | VDEV_W16 | VDEV_W32,
               p, exit_in, exit_out);
}

bool ports_register(struct ports *p, uint16_t first, uint16_t last, unsigned widths,
            void *dev, vdev_in_fn *in, vdev_out_fn *out)
{
    if (p->nrange == PORTS_MAX_RANGES || first > last)
        return false;
    for (int i = 0; i < p->nrange; i++)
        if (first <= p->range[i].last && last >= p->range[i].first)
            return false;   /* overlapping decoders would be a wiring bug */
    p->range[p->nrange++] = (struct ports_range){
        .first = first, .last = last, .widths = (uint8_t)(widths | VDEV_W8),
        .dev = dev, .in = in, .out = out,
    };
    return true;
}

bool ports_register_runs(struct ports *p, uint16_t port, vdev_ins_fn *ins, vdev_outs_fn *outs)
{
    for (int i = 0; i < p->nrange; i++)
        if (port >= p->range[i].first && port <= p->range[i].last) {
            p->range[i].ins = ins;
            p->range[i].outs = outs;
            return true;
        }
    return false;
}

/* The range that moves a string access to port in runs, or NULL. */
static const struct ports_range *runs_range(const struct ports *p, uint16_t port, int size, bool in)
{
    const struct ports_range *r = ports_find(p, port);
    size = ports_width(size);
    return r && (r->widths & size) && (in ? r->ins && r->in : r->outs && r->out) ? r : NULL;
}

bool ports_runs(const struct ports *p, uint16_t port, int size, bool in)
{
    return runs_range(p, port, size, in);
}

uint32_t ports_in(struct ports *p, uint16_t port, int size, uint64_t now)
{
    const struct ports_range *r = ports_find(p, port);
    size = ports_width(size);
    if (r && r->in && (r->widths & size))
        return r->in(r->dev, port, size, now) & ports_ones(size);
    if (size > 1) {
        /* The bus bridge splits a wide access to an 8-bit decoder into bytes. */
        uint32_t val = 0;
        for (int i = 0; i < size; i++)
            val |= ports_in(p, (uint16_t)(port + i), 1, now) << (8 * i);
        return val;
    }
    for (int i = 0; i < size; i++) {
        struct ports_stat *s = ports_count(p, (uint16_t)(port + i));
        if (s)
            s->reads++;
    }
    return ports_ones(size);
}

void ports_out(struct ports *p, uint16_t port, int size, uint32_t val, uint64_t now)
{
    const struct ports_range *r = ports_find(p, port);
    size = ports_width(size);
    val &= ports_ones(size);
    if (r && r->out && (r->widths & size)) {
        r->out(r->dev, port, size, val, now);
        return;
    }
    if (size > 1) {
        for (int i = 0; i < size; i++)
            ports_out(p, (uint16_t)(port + i), 1, (val >> (8 * i)) & 0xFF, now);
        return;
    }
    for (int i = 0; i < size; i++) {
        struct ports_stat *s = ports_count(p, (uint16_t)(port + i));
        if (s)
            s->writes++;
    }
}

/* A device that moves runs takes as many elements as it can at once; the
 * element it declines goes the single way, and the run is asked again. */
void ports_ins(struct ports *p, uint16_t port, int size, void *buf, size_t count, uint64_t now)
{
    uint8_t *b = buf;
    size = ports_width(size);
    const struct ports_range *r = runs_range(p, port, size, true);
    for (size_t i = 0; i < count;) {
        size_t run = r ? r->ins(r->dev, port, size, b, count - i, now) : 0;
        if (run) {
            run = run < count - i ? run : count - i;
            i += run;
            b += run * (size_t)size;
            continue;
        }
        uint32_t v = ports_in(p, port, size, now);
        for (int k = 0; k < size; k++)
            *b++ = (uint8_t)(v >> (8 * k));
        i++;
    }
}

void ports_outs(struct ports *p, uint16_t port, int size, const void *buf, size_t count,
        uint64_t now)
{
    const uint8_t *b = buf;
    size = ports_width(size);
    const struct ports_range *r = runs_range(p, port, size, false);
    for (size_t i = 0; i < count;) {
        size_t run = r ? r->outs(r->dev, port, size, b, count - i, now) : 0;
        if (run) {
            run = run < count - i ? run : count - i;
            i += run;
            b += run * (size_t)size;
            continue;
        }
        uint32_t v = 0;
        for (int k = 0; k < size; k++)
            v |= (uint32_t)*b++ << (8 * k);
        ports_out(p, port, size, v, now);
        i++;
    }
}
