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
#include "host/vmm/gmem.h"
#include "host/vmm/shadow.h"
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
    *b = (struct blocks){ .on = on && !blocks_off, .base = base, .lin = base, .armed = -1 };
    memset(g->ram + base, 0, 4096);
    memset(g->ram + base + BLOCK_FLAG_RETURNS, 0xff, 4 * (BLOCK_RETURNS + 1));   /* no return seen yet */
    for (unsigned i = 0; i < BLOCK_TARGETS; i++) {                                /* no target either */
        uint32_t empty = block_target_none(i);
        memcpy(g->ram + BLOCKS_TARGETS(b) + 4 * i, &empty, 4);
    }
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

/* Every trap in and out sets the flags: a word written only when it
 * changes keeps the page's lines shared between the CPUs that take the
 * guest kernel lock in turn, rather than one CPU's miss at each hand-off. */
static void set_flag(struct guest *g, unsigned off, uint32_t val)
{
    volatile uint32_t *w = flag(g, off);
    if (*w != val)
        *w = val;
}

/* The port writes the blocks logged, in order, under one lock (the count
 * and the ports are the guest's to write: only ports that may wait are
 * written, and none of them ends the guest; COM1's THR may end a console
 * line, one a character at most: vdevs_batch). */
static __attribute__((noinline)) void replay(struct guest *g, uint32_t n)
{
    const volatile uint8_t *log = g->ram + g->blocks.base + BLOCK_FLAG_LOG;
    struct vdevs_access a[BLOCK_LOG_MAX];
    unsigned k = 0;
    for (uint32_t i = 0; i < n && i < BLOCK_LOG_MAX; i++) {
        uint16_t port = (uint16_t)(log[i * 4] | log[i * 4 + 1] << 8);
        uint8_t val = log[i * 4 + 2];
        if (log[i * 4 + 3] == BLOCK_LOG_READ && port == 0x1f7)   /* (an out's entry leaves that byte as it was) */
            a[k++] = (struct vdevs_access){ port, 0, true };   /* a status read's effect: INTRQ acknowledged */
        else if ((port >= BLOCK_LOG_LO && port <= BLOCK_LOG_HI) || port == BLOCK_UART_THR ||
                 ((port == 0x20 || port == 0xa0) && val == 0x20))
            a[k++] = (struct vdevs_access){ port, val, false };
    }
    if (k)
        vdevs_batch(g, a, k);
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
    if (b->armed >= 0)
        b->armed = -1;
    set_flag(g, BLOCK_FLAG_TAKEN, 0);
    return taken;
}

void blocks_vif_out(struct vcpu *v, uint16_t cs)
{
    struct guest *g = v->guest;
    struct blocks *b = &g->blocks;
    if (!b->n)
        return;
    set_flag(g, BLOCK_FLAG_VIF, v->vif ? EFLAGS_IF : 0);
    /* an interrupt that comes due later is seen at the next trap (a host
     * tick at the latest), as one that comes due while IF is set is */
    bool armed = b->armed >= 0 && cs == b->armed_cs && !v->vif;
    const struct vdevs *d = &g->dev;
    uint64_t now = v->now_hint ? v->now_hint : vdevs_now(g);   /* (as the interrupt check just read it) */
    bool due = now >= d->hint_due;
    set_flag(g, BLOCK_FLAG_PENDING, armed ? BLOCK_PENDING_ARMED : vdevs_may_have_work(d, now));
    /* (armed and not yet delivered, an EOI may change what comes first:
     * the next sti, popf or iret leaves, as when EOIs trapped; once a block
     * delivers it, the tail writes what the host foresaw for its handler) */
    set_flag(g, BLOCK_FLAG_EOI_PENDING, armed || d->hint_eoi.master || due);
    set_flag(g, BLOCK_FLAG_SLAVE_PENDING, armed || d->hint_eoi.slave || due);
    set_flag(g, BLOCK_FLAG_SLAVE_EOI_PENDING, armed || d->hint_eoi.both || due);
    set_flag(g, BLOCK_FLAG_ATA_STATUS, d->hint_ata_status);
    set_flag(g, BLOCK_FLAG_UART_LSR, d->hint_uart_lsr);
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
    tail_word(g, TAIL_HANDLER, handler - (blocks_lin(b, b->tail) + TAIL_SIZE));
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

/* The block guest code runs at linear address eip (CS is flat where
 * blocks run), and where in the arena that is. */
static const struct block *block_run(const struct guest *g, uint64_t eip, uint32_t *at)
{
    *at = blocks_arena(&g->blocks, eip);
    return *at ? block_at(g, *at) : 0;
}

uint32_t blocks_original(const struct guest *g, uint32_t eip)
{
    uint32_t at;
    const struct block *k = block_run(g, eip, &at);
    return k ? k->head_lin + k->unit[unit_of(k, at)].orig : 0;
}

void blocks_fault(struct vcpu *v, struct trapframe *tf)
{
    struct guest *g = v->guest;
    uint32_t at;
    const struct block *k = block_run(g, tf->rip, &at);
    if (!k)
        return;
    unsigned u = unit_of(k, at);
    g->blocks.faults++;
    tf->rip = k->head_lin + k->unit[u].orig;
    if (u > 0 && u < k->nunits)                   /* the original bytes back, to resume in */
        withdraw(g, k->head);
}

void blocks_learn(struct vcpu *v, uint32_t stub, uint32_t target)
{
    struct guest *g = v->guest;
    uint32_t at, gpa;
    struct block *k = (struct block *)block_run(g, stub, &at);
    if (!k || !gmem_phys_peek(v, target, &gpa) || !scan_seen(g, gpa))
        return;                                   /* (only a target the scan has reached) */
    const struct site *e = sites_find(&g->sites, at, SITE_PATCH);
    if (e && e->orig[0] == 0xcf) {
        blocks_note_return(g, target);            /* an iret's stub: the emulator landed there */
        return;
    }
    if (!k->branch)
        return;
    unsigned slot = block_target_slot(target);
    memcpy(g->ram + BLOCKS_TARGETS(&g->blocks) + 4 * slot, &target, 4);
    g->blocks.target_page[slot] = (gpa >> 12) + 1;
    g->blocks.learnt++;
}

void blocks_note_return(struct guest *g, uint32_t eip)
{
    struct blocks *b = &g->blocks;
    if (b->n)
        *flag(g, BLOCK_FLAG_RETURNS + 4 * (b->next_return++ % BLOCK_RETURNS)) = eip;
}

void blocks_forget_targets(struct guest *g, uint32_t pfn)
{
    static const uint32_t none = ~0u;
    struct blocks *b = &g->blocks;
    for (unsigned i = 0; b->base && i <= BLOCK_RETURNS; i++)
        *flag(g, BLOCK_FLAG_RETURNS + 4 * i) = none;
    for (unsigned i = 0; b->base && i < BLOCK_TARGETS; i++) {
        if (b->target_page[i] && (pfn == ~0u || b->target_page[i] == pfn + 1)) {
            uint32_t empty = block_target_none(i);
            memcpy(g->ram + BLOCKS_TARGETS(b) + 4 * i, &empty, 4);
            b->target_page[i] = 0;
            b->forgotten++;
        }
    }
}

/* fn(g, head) for every live block (its head still jumps to it): each
 * one given back. */
static void each_live(struct guest *g, void (*fn)(struct guest *g, uint32_t head))
{
    struct blocks *b = &g->blocks;
    for (size_t i = 0; i < b->n; i++) {
        const struct site *e = sites_find(&g->sites, b->b[i].head, SITE_PATCH);
        if (e && e->block) {
            fn(g, b->b[i].head);
            b->reverted++;
        }
    }
}

void blocks_give_back(struct guest *g, const char *why)
{
    struct blocks *b = &g->blocks;
    if (b->on)
        b->off = why;
    b->on = false;
    each_live(g, withdraw);                       /* (the page stays scanned, hlt where blocks were) */
}

/* ---- paging on: the arena's window ---------------------------------------- */

/* With paging on, guest code reaches the arena at linear addresses: a
 * window of BLOCKS_SIZE that the shadow maps onto the arena's frames
 * (code read-only and executable, the flags page writable and NX, both
 * supervisor) and gmem answers for, where the guest's own tables map
 * nothing.  It is chosen in a 4 MiB whose page-directory entry is not
 * present, from the top of the upper half down (a kernel's half, shared by
 * all its address spaces; its allocators work up from the bottom of theirs
 * and Linux's fixmap down from the top), at BLOCK_WINDOW_AT within it: a
 * guest filling that 4 MiB from either end touches a page outside the
 * window first, which faults, and the window is found lost before the
 * guest can use a page of it.  The window is given up as soon as the
 * guest's page directory maps its 4 MiB (checked at every trap, CR3 load
 * and fault there): every live block is made again, from its plan, in the
 * next window, and its head's jmp aimed there; the old code stays, served
 * where the guest maps nothing, for a frame that returns into it.  The
 * pages stay scanned: a page dropped and scanned again from wherever it
 * next runs would leave the code after a call on the stack unscanned, and
 * the ret to it would run that code unpatched. */


/* Guest code sees the arena at lin from now on (0: nowhere yet). */
static void set_window(struct guest *g, uint32_t lin)
{
    struct blocks *b = &g->blocks;
    b->lin = lin;
    b->armed = -1;
    blocks_forget_targets(g, ~0u);                /* (linear addresses of the old way of running) */
    if (lin && !blocks_emit_tail(g)) {
        b->on = false;                            /* no page left for a tail: no more blocks */
        b->off = "no room in the arena for another window";
    }
}

static void forget(const struct site *e, void *ctx) { (void)e; (void)ctx; }

/* Paging on or off: every block's jumps are for the other way of running.
 * Their pages are dropped, to be scanned again (with blocks) where they
 * next run, from every instruction they had (codepage_drop_remember: a
 * frame on the stack may return into one), and the arena starts again
 * from nothing, its stubs' entries gone: no code runs inside a block as
 * the guest writes CR0, and the heads no longer jump there.  (A frame on
 * the guest's stack that returns into a block would find other code: a
 * guest that switches paging inside an interrupt handler.) */
void blocks_paging(struct guest *g, bool on)
{
    struct blocks *b = &g->blocks;
    each_live(g, codepage_drop_remember);
    sites_take_range(&g->sites, b->base, b->base + BLOCKS_SIZE, SITE_PATCH, forget, 0);
    memset(g->ram + BLOCKS_CODE_BASE(b), 0xf4, BLOCKS_CODE_ROOM);
    b->n = 0;
    b->used = 0;
    b->nretired = 0;
    memset(b->burned, 0, sizeof b->burned);
    set_window(g, on ? 0 : b->base);
}

static bool burned(const struct blocks *b, unsigned pde) { return b->burned[pde / 8] >> (pde % 8) & 1; }

/* The guest's page-directory entry for lin in v's address space (0 if
 * its directory is not in RAM: nothing is mapped, as far as blocks care). */
static uint32_t pde_of(struct vcpu *v, uint32_t lin)
{
    const uint32_t *pde = guest_ptr(v->guest, (v->cr3 & ~4095u) + (lin >> 22) * 4, 4);
    return pde ? *pde : 0;
}

/* A window for the arena (set_window), or false: none is left. */
static bool choose_window(struct vcpu *v)
{
    struct blocks *b = &v->guest->blocks;
    if (b->nretired == BLOCK_WINDOWS) {
        b->on = false;                            /* the guest took every window: traps, as before */
        b->off = "the guest mapped every window chosen";
        return false;
    }
    for (unsigned pde = 1022; pde >= 512; pde--)
        if (!burned(b, pde) && !(pde_of(v, pde << 22) & PTE_P)) {
            set_window(v->guest, (pde << 22) + BLOCK_WINDOW_AT);
            return b->on;
        }
    return false;
}

bool blocks_paged_fit(struct vcpu *v)
{
    struct blocks *b = &v->guest->blocks;
    if (!b->on || !(v->cr0 & CR0_PG) || !v->tf || (v->tf->cs & 3) == 3)
        return false;                             /* (a scan from ring 3: its pages may be the user's) */
    if (b->lin == b->base)
        return false;                             /* another vCPU runs with paging off */
    return b->lin || choose_window(v);
}

/* Every live block made again from its plan in the current window, its
 * head's jmp aimed at the new code; given back where the arena is full. */
static void replace_all(struct guest *g)
{
    struct blocks *b = &g->blocks;
    struct site stubs[BLOCK_UNITS];
    if (guest_hooks->code_changing)
        guest_hooks->code_changing(g, false);     /* the layer above's trap bytes out while ours change */
    for (size_t i = 0, n = b->n; i < n; i++) {
        const struct site *e = sites_find(&g->sites, b->b[i].head, SITE_PATCH);
        if (!e || !e->block)
            continue;
        struct block_plan p = b->b[i].plan;       /* (b->b grows: copied first) */
        size_t nstubs;
        uint32_t at = blocks_emit(g, &p, stubs, &nstubs);
        if (at && sites_add_many(&g->sites, stubs, nstubs))
            blocks_jump(g->ram + p.head, p.head_lin, p.len, at);
        else
            withdraw(g, p.head);                  /* (a stub without its entry is a hlt that emulates hlt) */
    }
    if (guest_hooks->code_changing)
        guest_hooks->code_changing(g, true);
}

void blocks_window_check(struct vcpu *v)
{
    struct guest *g = v->guest;
    struct blocks *b = &g->blocks;
    if (!b->lin || b->lin == b->base || !(v->cr0 & CR0_PG) || !(pde_of(v, b->lin) & PTE_P))
        return;
    b->burned[(b->lin >> 22) / 8] |= (uint8_t)(1u << ((b->lin >> 22) % 8));
    b->retired[b->nretired++] = b->lin;           /* (nretired < BLOCK_WINDOWS: choose_window) */
    b->windows_lost++;
    b->lin = 0;
    if (choose_window(v))
        replace_all(g);
    else
        each_live(g, withdraw);
    shadow_flush_guest(g);                        /* the guest's own pages there from now on */
}

bool blocks_alias(const struct guest *g, uint32_t lin, uint32_t gpa, bool user)
{
    uint32_t pfn = gpa >> 12, block_lin = pfn < g->codepages.npages ? g->codepages.page[pfn].block_lin : 0;
    return block_lin && (block_lin != (lin >> 12) + 1 || user);
}

/* Page gpa no longer takes blocks where it is mapped now, and every live
 * block headed on it is withdrawn. */
static void withdraw_page(struct guest *g, uint32_t gpa)
{
    g->codepages.page[gpa >> 12].block_lin = 0;
    for (size_t i = 0; i < g->blocks.n; i++)
        if (g->blocks.b[i].head >> 12 == gpa >> 12 && sites_find(&g->sites, g->blocks.b[i].head, SITE_PATCH))
            withdraw(g, g->blocks.b[i].head);
}

void blocks_exec_alias(struct guest *g, uint32_t gpa)
{
    withdraw_page(g, gpa);
    g->blocks.aliased++;
}

void blocks_cs_landed(struct vcpu *v, uint64_t d)
{
    struct guest *g = v->guest;
    if (blocks_flat(d) || !g->blocks.n)
        return;
    uint32_t base = desc_base(d), limit = desc_limit(d);
    for (size_t i = 0; i < g->blocks.n; i++) {
        const struct block *k = &g->blocks.b[i];
        /* linear addresses wrap at 4 GiB, as the CPU's do: the offset of
         * the head under d, or the segment's start inside the patch */
        bool reached = k->head_lin - base <= limit || base - k->head_lin < k->len;
        if (reached && g->ram[k->head] == 0xe9 && sites_find(&g->sites, k->head, SITE_PATCH))
            withdraw(g, k->head);                    /* (its jmp still there: not withdrawn yet) */
    }
}

/* Blocks reach their flags words through SS: a guest kernel running on a
 * stack segment that is not flat (base 0, 4 GiB, 32-bit, expand-up) would
 * have them write elsewhere.  Its kernel's SS loads are the host's to
 * see: mov, pop and lss with the guest's RPL-0 selectors fault in ring 1
 * (emulate.c), and a delivery's stack switch is the host's.  (Its CS
 * matters as much: a scan places blocks only under a flat CS, and every
 * transfer to another CS is the host's, which withdraws the blocks that
 * CS reaches: blocks_cs_landed.) */
void blocks_ss_loaded(struct vcpu *v, uint64_t d)
{
    bool expand_down = !(d & DESC_CODE) && (d & DESC_CONFORM);
    if (v->guest->blocks.on && (!blocks_flat(d) || expand_down))
        blocks_give_back(v->guest, "its kernel loaded SS with a segment that is not flat");
}

void blocks_leave_stepping(struct vcpu *v, struct trapframe *tf)
{
    struct guest *g = v->guest;
    uint32_t at;
    const struct block *k = block_run(g, tf->rip, &at);
    if (!k)
        return;
    uint32_t to = k->head_lin + k->unit[unit_of(k, at)].orig;
    blocks_give_back(g, "the guest single-steps");
    tf->rip = to;
}

bool blocks_stepped_in(struct vcpu *v, struct trapframe *tf)
{
    struct guest *g = v->guest;
    uint32_t at;
    const struct block *k = block_run(g, tf->rip, &at);
    if (!k || at != k->at)
        return false;
    uint32_t head = k->head_lin;
    blocks_give_back(g, "the guest single-steps");   /* (k goes with the rest) */
    tf->rip = head;
    return true;
}
