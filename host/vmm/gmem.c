/*
 * The translation layer of host/vmm/gmem.h.  Segmentation is the CPU's
 * (SDM Vol. 3A 3.4, 5.3): the checks themselves are segment.c's, pure and
 * unit-tested; paging is gpt.c's walk of the guest's own tables.  A guest
 * with flat segments and paging off pays for one limit compare and one
 * bounds check per access.
 */
#include "host/vmm/gmem.h"
#include "host/vmm/codepage.h"
#include "host/vmm/rom.h"
#include "host/vmm/gpt.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/guest.h"
#include "host/vmm/segment.h"
#include "host/decode/decode.h"
#include "kernel/string.h"
#include "kernel/printf.h"

#define PAGE 4096u

/* Base 0 and limit 4 GiB (a flat segment, as nearly every guest's
 * stack and code are): one compare says an access through it is base +
 * offset, within the limit, and of the right type, so the paths every
 * trap takes skip seg_access.  Writable data (for any access), and code
 * (for a fetch). */
#define FLAT_MASK (0xffffffffffull | DESC_WRITABLE | DESC_CONFORM | DESC_CODE | DESC_S | 0xfull << 48 | DESC_G | \
                   0xffull << 56)
#define FLAT_DATA (0xffffull | DESC_WRITABLE | DESC_S | 0xfull << 48 | DESC_G)
#define FLAT_CODE_MASK (FLAT_MASK & ~(DESC_WRITABLE | DESC_CONFORM))
#define FLAT_CODE (0xffffull | DESC_CODE | DESC_S | 0xfull << 48 | DESC_G)

static bool fault(struct gfault *f, uint32_t seg_fault)
{
    f->vector = (uint8_t)seg_fault_vector(seg_fault);
    f->has_error = true;
    f->error = seg_fault_error(seg_fault);
    f->cr2 = 0;
    return false;
}

static bool stop(struct vcpu *v, struct gfault *f, const char *why)
{
    guest_end(v->guest, GUEST_DEAD, -1, why);
    f->vector = GFAULT_STOPPED;
    f->has_error = false;
    return false;
}

static bool outside(struct vcpu *v, uint32_t lin, uint64_t gpa, struct gfault *f)
{
    char why[128];
    snprintf(why, sizeof why, "access to guest-physical 0x%lx (linear 0x%x) outside its %lu MiB of memory",
             gpa, lin, v->guest->ram_size >> 20);
    return stop(v, f, why);
}

static enum seg_access seg_kind(enum gmem_access a)
{
    return a == GMEM_WRITE ? SEG_WRITE : a == GMEM_FETCH ? SEG_FETCH : SEG_READ;
}

bool gmem_linear_desc(uint64_t d, bool stack, uint32_t off, uint32_t len, enum gmem_access a, uint32_t *lin,
                      struct gfault *f)
{
    uint32_t e = seg_access(d, off, len ? len : 1, seg_kind(a), stack);
    if (e)
        return fault(f, e);
    *lin = desc_base(d) + off;                       /* a 32-bit CPU wraps at 4 GiB */
    return true;
}

bool gmem_linear(struct vcpu *v, unsigned seg, uint32_t off, uint32_t len, enum gmem_access a, uint32_t *lin,
                 struct gfault *f)
{
    return gmem_linear_desc(vcpu_seg_cache(v, seg), seg == SEG_SS, off, len, a, lin, f);
}

static uint32_t *table_word(void *ctx, uint32_t gpa)
{
    return guest_ptr(ctx, gpa, 4);
}

/* Where the guest's tables map nothing, its kernel may see the patch
 * blocks' arena (host/vmm/blocks.c, "the arena's window"; the shadow
 * maps it alike): code to read, the flags page to write too. */
static bool arena(struct vcpu *v, uint32_t lin, uint32_t access, uint32_t *gpa)
{
    uint32_t at = blocks_arena(&v->guest->blocks, lin);
    if (!at || (access & PF_U) || ((access & PF_W) && (at & ~4095u) != v->guest->blocks.base))
        return false;
    *gpa = at;
    return true;
}

/* quiet: a table outside guest RAM is a failure, not the guest's end */
static bool phys(struct vcpu *v, uint32_t lin, uint32_t access, uint32_t *gpa, struct gfault *f, bool quiet)
{
    if (!(v->cr0 & CR0_PG)) {
        *gpa = lin;
        return true;
    }
    struct gpt_env e = { v->cr0, v->cr3, v->cr4, v->guest, table_word, false };
    struct gpt_map m;
    uint32_t pfec = 0;
    const char *why = "a page table outside guest memory";
    switch (gpt_walk(&e, lin, access, &m, &pfec, &why)) {
    case GPT_OK:
        *gpa = m.gpa;
        return true;
    case GPT_FAULT:
        if (arena(v, lin, access, gpa))
            return true;
        f->vector = 14;
        f->has_error = true;
        f->error = pfec;
        f->cr2 = lin;
        return false;
    default:
        if (quiet) {
            f->vector = GFAULT_STOPPED;
            return false;
        }
        return stop(v, f, why);
    }
}

bool gmem_phys(struct vcpu *v, uint32_t lin, uint32_t access, uint32_t *gpa, struct gfault *f)
{
    return phys(v, lin, access, gpa, f, false);
}

bool gmem_phys_peek(struct vcpu *v, uint32_t lin, uint32_t *gpa)
{
    if (!(v->cr0 & CR0_PG)) {
        *gpa = lin;
        return lin < v->guest->ram_size;
    }
    struct gpt_env e = { v->cr0, v->cr3, v->cr4, v->guest, table_word, true };
    struct gpt_map m;
    uint32_t pfec;
    const char *why;
    if (gpt_walk(&e, lin, 0, &m, &pfec, &why) != GPT_OK || m.gpa >= v->guest->ram_size)
        return arena(v, lin, 0, gpa);
    *gpa = m.gpa;
    return true;
}

/* Bytes a host write for the guest leaves as they are: the ROM's, and the
 * patch blocks' code (host/vmm/blocks.h), which the guest cannot write. */
static bool kept(const struct guest *g, uint64_t gpa, uint64_t len)
{
    return rom_overlaps(gpa, len) || blocks_code_overlaps(&g->blocks, gpa, len);
}

static void store_unkept(const struct guest *g, uint8_t *dst, const uint8_t *src, uint32_t gpa, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!kept(g, (uint64_t)gpa + i, 1))
            dst[i] = src[i];
}

/* A host write to guest-physical [gpa, gpa + n): a scanned page's scan
 * goes, but for the ROM's bytes, which the write leaves as they are. */
static void written(struct guest *g, uint32_t gpa, uint32_t n)
{
    uint64_t end = (uint64_t)gpa + n;
    if (!rom_overlaps(gpa, n)) {
        codepage_written(g, gpa, n);
        return;
    }
    if (gpa < ROM_BASE)
        codepage_written(g, gpa, ROM_BASE - gpa);
    if (end > ROM_END)
        codepage_written(g, ROM_END, (uint32_t)(end - ROM_END));
}

/* One piece of an access that stays within a page: its host bytes, and
 * its guest-physical address in *gpa. */
static uint8_t *piece(struct vcpu *v, uint32_t lin, uint32_t n, uint32_t access, struct gfault *f, bool quiet,
                      uint32_t *gpa)
{
    if (!phys(v, lin, access, gpa, f, quiet))
        return 0;
    uint8_t *p = guest_ptr(v->guest, *gpa, n);
    if (!p && !quiet)
        outside(v, lin, *gpa, f);
    else if (p && (access & PF_W))
        written(v->guest, *gpa, n);
    return p;
}

/* Small copies without rep movsb: under QEMU's -icount every iteration of
 * it counts as an instruction, and the stack pushes and gate reads that
 * every trap makes are 2, 4 and 8 bytes. */
static void copy(void *dst, const void *src, uint32_t n)
{
    switch (n) {
    case 2: __builtin_memcpy(dst, src, 2); break;     /* one unaligned move each */
    case 4: __builtin_memcpy(dst, src, 4); break;
    case 8: __builtin_memcpy(dst, src, 8); break;
    default: memcpy(dst, src, n); break;
    }
}

/* Walk [lin, lin + len) a page at a time (wrapping at 4 GiB as a 32-bit
 * CPU does), copying to or from buf, or only translating if buf is NULL.
 * Paging off and no wrap: one piece. */
static bool walk(struct vcpu *v, uint32_t lin, uint8_t *buf, const uint8_t *src, uint32_t len, uint32_t access,
                 struct gfault *f, bool quiet)
{
    bool paged = v->cr0 & CR0_PG;
    while (len) {
        uint32_t n = paged ? PAGE - (lin & (PAGE - 1)) : (lin ? 0u - lin : len);
        if (!n || n > len)
            n = len;                                 /* paging off: up to the 4 GiB wrap */
        uint32_t gpa;
        uint8_t *p = piece(v, lin, n, access, f, quiet, &gpa);
        if (!p)
            return false;
        if (buf) { copy(buf, p, n); buf += n; }
        if (src && kept(v->guest, gpa, n))
            store_unkept(v->guest, p, src, gpa, n);  /* the ROM's bytes stay as they are */
        else if (src)
            copy(p, src, n);
        src = src ? src + n : 0;
        lin += n;
        len -= n;
    }
    return true;
}

bool gmem_read_lin(struct vcpu *v, uint32_t lin, void *buf, uint32_t len, enum gmem_access a, bool user,
                   struct gfault *f)
{
    (void)a;                                         /* without NX a fetch is a read to the tables */
    return walk(v, lin, buf, 0, len, user ? PF_U : 0, f, false);
}

bool gmem_write_lin(struct vcpu *v, uint32_t lin, const void *buf, uint32_t len, bool user, struct gfault *f)
{
    return walk(v, lin, 0, buf, len, PF_W | (user ? PF_U : 0), f, false);
}

bool gmem_probe_lin(struct vcpu *v, uint32_t lin, uint32_t len, bool write, bool user, struct gfault *f)
{
    return walk(v, lin, 0, 0, len, (write ? PF_W : 0) | (user ? PF_U : 0), f, false);
}

void *gmem_direct(struct vcpu *v, uint32_t lin, uint32_t len, bool write, bool user, struct gfault *f)
{
    bool paged = v->cr0 & CR0_PG;
    if (!len || (paged ? (lin & (PAGE - 1)) + (uint64_t)len > PAGE : lin > 0u - len)) {
        f->vector = GFAULT_SPLIT;
        return 0;
    }
    uint32_t gpa;
    uint8_t *p = piece(v, lin, len, (write ? PF_W : 0) | (user ? PF_U : 0), f, false, &gpa);
    if (p && write && kept(v->guest, gpa, len)) {
        f->vector = GFAULT_SPLIT;                    /* through a copy, whose ROM bytes are dropped */
        return 0;
    }
    return p;
}

void *gmem_fast(struct vcpu *v, uint64_t d, uint32_t off, uint32_t len, enum gmem_access a)
{
    if ((v->cr0 & CR0_PG) || ((d & FLAT_MASK) != FLAT_DATA && seg_access(d, off, len, seg_kind(a), false)))
        return 0;
    uint32_t lin = desc_base(d) + off;
    uint64_t ram = v->guest->ram_size;
    if (lin >= ram || len > ram - lin || (a == GMEM_WRITE && kept(v->guest, lin, len)))
        return 0;
    if (a == GMEM_WRITE)
        codepage_written(v->guest, lin, len);         /* (never the ROM's: above) */
    return v->guest->ram + lin;
}

bool gmem_peek_lin(struct vcpu *v, uint32_t lin, void *buf, uint32_t len)
{
    struct gfault f;
    return walk(v, lin, buf, 0, len, 0, &f, true);
}

static bool user_mode(const struct vcpu *v)
{
    return (v->tf->cs & 3) == 3;
}

bool gmem_read(struct vcpu *v, unsigned seg, uint32_t off, void *buf, uint32_t len, enum gmem_access a,
               struct gfault *f)
{
    uint32_t lin;
    return gmem_linear(v, seg, off, len, a, &lin, f) && gmem_read_lin(v, lin, buf, len, a, user_mode(v), f);
}

bool gmem_write(struct vcpu *v, unsigned seg, uint32_t off, const void *buf, uint32_t len, struct gfault *f)
{
    uint32_t lin;
    return gmem_linear(v, seg, off, len, GMEM_WRITE, &lin, f) && gmem_write_lin(v, lin, buf, len, user_mode(v), f);
}

/* Fewer than max bytes: *f holds the fault of the first one missing (the
 * CS limit's #GP(0), a page's #PF), for a decoder that needs it;
 * GFAULT_STOPPED where guest RAM ends (the caller stops the guest).  With
 * paging off the bytes are guest RAM itself, not copied. */
const uint8_t *gmem_fetch(struct vcpu *v, uint64_t d, uint32_t eip, uint8_t *buf, unsigned max, unsigned *got,
                          struct gfault *f)
{
    uint32_t lin;
    *got = 0;
    if ((d & FLAT_CODE_MASK) == FLAT_CODE && !(v->cr0 & CR0_PG) && eip < v->guest->ram_size) {
        uint64_t left = v->guest->ram_size - eip;         /* the fast path every privileged trap takes */
        *got = left < max ? (unsigned)left : max;
        f->vector = GFAULT_STOPPED;                  /* if a decoder needs more: past guest RAM */
        return v->guest->ram + eip;
    }
    if (!gmem_linear_desc(d, false, eip, 1, GMEM_FETCH, &lin, f))
        return buf;
    uint64_t room = (uint64_t)desc_limit(d) - eip + 1;  /* bytes before the limit */
    unsigned n = room < max ? (unsigned)room : max;
    if (n < max)
        fault(f, SEG_FAULT(13, 0));
    if (!(v->cr0 & CR0_PG)) {                         /* the common case: one bounds check */
        uint64_t ram = v->guest->ram_size;
        if (lin >= ram)
            return outside(v, lin, lin, f), buf;
        if (n > ram - lin) {                          /* a decoder that needs more stops the guest */
            n = (unsigned)(ram - lin);
            f->vector = GFAULT_STOPPED;
        }
        *got = n;
        return v->guest->ram + lin;
    }
    /* a page at a time: the bytes up to the first that cannot be fetched */
    bool user = user_mode(v);
    while (*got < n) {
        uint32_t at = lin + *got, chunk = PAGE - (at & (PAGE - 1));
        if (chunk > n - *got)
            chunk = n - *got;
        if (!gmem_read_lin(v, at, buf + *got, chunk, GMEM_FETCH, user, f))
            break;
        *got += chunk;
    }
    return buf;
}

void gmem_reflect(struct vcpu *v, struct trapframe *tf, const struct gfault *f)
{
    if (f->vector == GFAULT_STOPPED)
        return;
    if (f->vector == 14)
        v->cr2 = f->cr2;
    vcpu_reflect(v, tf, f->vector, f->has_error, f->error);
}
