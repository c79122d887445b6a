/*
 * Patch blocks: the arena, the virtual IF and the interrupts the blocks
 * deliver, and the way back from a block to the guest's own instructions
 * (host/vmm/blocks.h).  The code of the blocks is made in blocks_code.c.
 */
#include "host/vmm/blocks.h"
#include "host/vmm/guest.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/codepage.h"
#include "host/vmm/sites.h"
#include "host/vmm/scan.h"
#include "kernel/cmdline.h"
#include "kernel/heap.h"
#include "kernel/string.h"
#include "kernel/vm.h"
#include "kernel/x86-defs.h"

static bool blocks_off;                      /* blocks=off: every one of the five traps, as before */

static const char *set_blocks(const char *v, size_t n)
{
    if (cmdline_is(v, n, "off")) blocks_off = true;
    else if (cmdline_is(v, n, "on")) blocks_off = false;
    else return "blocks=on or blocks=off";
    return 0;
}
CMDLINE_OPTION("blocks", true, set_blocks);

bool blocks_init(struct guest *g, uint32_t base, bool on)
{
    struct blocks *b = &g->blocks;
    *b = (struct blocks){ .on = on && !blocks_off, .base = base, .armed = -1 };
    memset(g->ram + base, 0, 4096);
    memset(g->ram + base + BLOCK_FLAG_RETURNS, 0xff, 4 * (BLOCK_RETURNS + 1));   /* no return seen yet */
    memset(g->ram + BLOCKS_CODE_BASE(b), 0xf4, BLOCKS_CODE_ROOM);   /* hlt: a stray jump in emulates hlt */
    blocks_emit_tail(g);
    for (uint32_t a = base; a < base + BLOCKS_SIZE; a += 4096) {
        uint64_t *pte = vm_space_pte(g->root, a);
        if (!pte)
            return false;
        /* the flags page: the guest's to write (blocks do), never to run;
         * code: to run, never to write */
        uint64_t want = a == base ? *pte | PTE_W | PTE_NX : *pte & ~(PTE_W | PTE_NX);
        codepage_root_store(g, a >> 12, pte, want);
    }
    return true;
}

void blocks_free(struct guest *g)
{
    kfree(g->blocks.b);
    g->blocks.b = 0;
    g->blocks.n = g->blocks.cap = 0;
}

/* ---- the virtual IF ----------------------------------------------------- */

static volatile uint32_t *flag(struct guest *g, unsigned off)
{
    return (volatile uint32_t *)(g->ram + g->blocks.base + off);
}

/* The port writes the blocks logged, in order (the count and the ports are
 * the guest's to write: only ports that may wait are written). */
static __attribute__((noinline)) void replay(struct guest *g, uint32_t n)
{
    const uint8_t *log = g->ram + g->blocks.base + BLOCK_FLAG_LOG;
    for (uint32_t i = 0; i < n && i < BLOCK_LOG_MAX; i++) {
        uint16_t port = (uint16_t)(log[i * 4] | log[i * 4 + 1] << 8);
        uint8_t val = log[i * 4 + 2];
        if (log[i * 4 + 3] == BLOCK_LOG_READ && port == 0x1f7)
            (void)vdevs_in(g, port, 1);          /* a status read's effect: INTRQ acknowledged */
        else if ((port >= BLOCK_LOG_LO && port <= BLOCK_LOG_HI) || ((port == 0x20 || port == 0xa0) && val == 0x20))
            vdevs_out(g, port, 1, val);
    }
    *flag(g, BLOCK_FLAG_LOGGED) = 0;
}

void blocks_replay(struct guest *g)
{
    uint32_t n = g->blocks.n ? *flag(g, BLOCK_FLAG_LOGGED) : 0;
    if (n)
        replay(g, n);
}

int blocks_vif_in(struct vcpu *v)
{
    struct guest *g = v->guest;
    struct blocks *b = &g->blocks;
    if (!b->n)
        return -1;
    v->vif = *flag(g, BLOCK_FLAG_VIF) & EFLAGS_IF;
    int taken = -1;
    if (b->armed >= 0 && *flag(g, BLOCK_FLAG_TAKEN)) {
        taken = b->armed;
        b->taken++;
        blocks_note_return(g, *flag(g, BLOCK_FLAG_TAKEN_RETURN));   /* (its handler may iret later) */
    }
    b->armed = -1;
    *flag(g, BLOCK_FLAG_TAKEN) = 0;
    return taken;
}

void blocks_vif_out(struct vcpu *v, uint16_t cs)
{
    struct guest *g = v->guest;
    struct blocks *b = &g->blocks;
    if (!b->n)
        return;
    *flag(g, BLOCK_FLAG_VIF) = v->vif ? EFLAGS_IF : 0;
    /* an interrupt that comes due later is seen at the next trap (a host
     * tick at the latest), as one that comes due while IF is set is */
    bool armed = b->armed >= 0 && cs == b->armed_cs && !v->vif;
    const struct vdevs *d = &g->dev;
    uint64_t now = vdevs_now(g);
    bool due = now >= d->hint_due;
    *flag(g, BLOCK_FLAG_PENDING) = armed ? BLOCK_PENDING_ARMED : vdevs_may_have_work(d, now);
    /* (armed and not yet delivered, an EOI may change what comes first:
     * the next sti, popf or iret leaves, as when EOIs trapped; once a block
     * delivers it, the tail writes what the host foresaw for its handler) */
    *flag(g, BLOCK_FLAG_EOI_PENDING) = armed || d->hint_eoi.master || due;
    *flag(g, BLOCK_FLAG_SLAVE_PENDING) = armed || d->hint_eoi.slave || due;
    *flag(g, BLOCK_FLAG_SLAVE_EOI_PENDING) = armed || d->hint_eoi.both || due;
    *flag(g, BLOCK_FLAG_ATA_STATUS) = d->hint_ata_status;
}

/* A word of the tail's code, written only if it changes. */
static void tail_word(struct guest *g, unsigned off, uint32_t value)
{
    uint8_t *t = g->ram + g->blocks.tail + off;
    if (memcmp(t, &value, 4))
        memcpy(t, &value, 4);
}

void blocks_arm(struct guest *g, int irq, uint16_t cs, uint16_t cs_seen, uint32_t handler, uint32_t vif_after,
                bool more, struct pic_forecast after)
{
    struct blocks *b = &g->blocks;
    tail_word(g, TAIL_VIF_AFTER, vif_after);
    tail_word(g, TAIL_HANDLER, handler - (b->tail + TAIL_SIZE));
    *flag(g, BLOCK_FLAG_PENDING_AFTER) = more;
    *flag(g, BLOCK_FLAG_EOI_AFTER) = after.master;
    *flag(g, BLOCK_FLAG_SLAVE_AFTER) = after.slave;
    *flag(g, BLOCK_FLAG_SLAVE_EOI_AFTER) = after.both;
    *flag(g, BLOCK_FLAG_CS_SEEN) = cs_seen;
    *flag(g, BLOCK_FLAG_TAKEN) = 0;
    b->armed = irq;
    b->armed_cs = cs;
}

/* ---- back from a block -------------------------------------------------- */

static void withdraw(struct guest *g, uint32_t head)
{
    if (!scan_withdraw(g, head))
        guest_end(g, GUEST_DEAD, -1, "out of host memory for the trap sites of a patch block it gave back");
}

static const struct block *block_at(const struct guest *g, uint32_t eip)
{
    const struct blocks *b = &g->blocks;
    size_t lo = 0, hi = b->n;
    while (lo < hi) {                        /* the last block starting at or before eip */
        size_t mid = lo + (hi - lo) / 2;
        if (b->b[mid].at <= eip) lo = mid + 1; else hi = mid;
    }
    if (!lo || eip >= b->b[lo - 1].at + b->b[lo - 1].size)
        return 0;
    return &b->b[lo - 1];
}

static unsigned unit_of(const struct block *k, uint32_t eip)
{
    unsigned u = 0;
    while (u < k->nunits && k->unit[u + 1].code <= eip - k->at)
        u++;
    return u;
}

uint32_t blocks_original(const struct guest *g, uint32_t eip)
{
    const struct block *k = blocks_owns(&g->blocks, eip) ? block_at(g, eip) : 0;
    return k ? k->head + k->unit[unit_of(k, eip)].orig : 0;
}

void blocks_fault(struct vcpu *v, struct trapframe *tf)
{
    struct guest *g = v->guest;
    uint32_t eip = (uint32_t)tf->rip;             /* (CS is flat where blocks run) */
    const struct block *k = blocks_owns(&g->blocks, eip) ? block_at(g, eip) : 0;
    if (!k)
        return;
    unsigned u = unit_of(k, eip);
    g->blocks.faults++;
    tf->rip = k->head + k->unit[u].orig;
    if (u > 0 && u < k->nunits)                   /* the original bytes back, to resume in */
        withdraw(g, k->head);
}

void blocks_learn(struct guest *g, uint32_t stub, uint32_t target)
{
    struct block *k = blocks_owns(&g->blocks, stub) ? (struct block *)block_at(g, stub) : 0;
    if (!k || !scan_seen(g, target))
        return;                                   /* (only a target the scan has reached) */
    const struct site *e = sites_find(&g->sites, stub, SITE_PATCH);
    if (e && e->orig[0] == 0xcf) {
        blocks_note_return(g, target);            /* an iret's stub: the emulator landed there */
        return;
    }
    if (!k->targets)
        return;
    uint32_t slot = k->at + k->targets + (k->next++ % BLOCK_TARGETS) * k->stride;
    memcpy(g->ram + slot, &target, 4);
}

void blocks_note_return(struct guest *g, uint32_t eip)
{
    struct blocks *b = &g->blocks;
    if (b->n)
        *flag(g, BLOCK_FLAG_RETURNS + 4 * (b->next_return++ % BLOCK_RETURNS)) = eip;
}

void blocks_forget_targets(struct guest *g)
{
    static const uint32_t none = ~0u;
    for (unsigned i = 0; g->blocks.base && i <= BLOCK_RETURNS; i++)
        *flag(g, BLOCK_FLAG_RETURNS + 4 * i) = none;
    for (size_t i = 0; i < g->blocks.n; i++) {
        struct block *k = &g->blocks.b[i];
        for (unsigned t = 0; k->targets && t < BLOCK_TARGETS; t++)
            memcpy(g->ram + k->at + k->targets + t * k->stride, &none, 4);
    }
}

void blocks_give_back(struct guest *g)
{
    struct blocks *b = &g->blocks;
    b->on = false;
    for (size_t i = 0; i < b->n; i++) {
        const struct site *e = sites_find(&g->sites, b->b[i].head, SITE_PATCH);
        if (e && e->block) {
            withdraw(g, b->b[i].head);
            b->reverted++;
        }
    }
}

/* A descriptor a block could run under (CS) or reach its flags through
 * (SS): present code or writable data, base 0, 4 GiB, 32-bit. */
static bool fits(uint64_t d)
{
    bool code = d & DESC_CODE, writable = d & DESC_WRITABLE;
    if (!(d & DESC_PRESENT) || !(d & DESC_S) || !(code || writable))
        return true;                              /* not one CS or SS can hold */
    bool expand_down = !code && (d & DESC_CONFORM);
    return desc_base(d) == 0 && desc_limit(d) == 0xffffffffu && (d & DESC_DB) && !expand_down;
}

void blocks_tables_loaded(struct vcpu *v)
{
    struct guest *g = v->guest;
    if (!g->blocks.on)
        return;
    for (uint32_t i = 1; i * 8 + 7 <= v->gdt_limit; i++)
        if (!fits(vcpu_descriptor(v, (uint16_t)(i << 3)))) {
            blocks_give_back(g);
            return;
        }
    for (uint32_t i = 0; v->ldtr && i * 8 + 7 <= v->ldt_limit; i++)
        if (!fits(vcpu_descriptor(v, (uint16_t)(i << 3 | 4)))) {
            blocks_give_back(g);
            return;
        }
}

void blocks_leave_stepping(struct vcpu *v, struct trapframe *tf)
{
    struct guest *g = v->guest;
    const struct block *k = blocks_owns(&g->blocks, tf->rip) ? block_at(g, (uint32_t)tf->rip) : 0;
    if (!k)
        return;
    uint32_t to = k->head + k->unit[unit_of(k, (uint32_t)tf->rip)].orig;
    blocks_give_back(g);
    tf->rip = to;
}

bool blocks_stepped_in(struct vcpu *v, struct trapframe *tf)
{
    struct guest *g = v->guest;
    const struct block *k = blocks_owns(&g->blocks, tf->rip) ? block_at(g, (uint32_t)tf->rip) : 0;
    if (!k || tf->rip != k->at)
        return false;
    uint32_t head = k->head;
    blocks_give_back(g);                          /* (k goes with the rest) */
    tf->rip = head;
    return true;
}
