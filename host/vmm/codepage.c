/*
 * Scan-on-execute: which pages of guest RAM are scanned, their mappings in
 * g->root with paging off, the faults that change them, and the TLBs of
 * the CPUs that run the guest.  The scheme is described in codepage.h.
 */
#include "host/vmm/codepage.h"
#include "host/vmm/rom.h"
#include "host/vmm/scan.h"
#include "host/vmm/sites.h"
#include "host/vmm/guest.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/segment.h"
#include "host/vmm/gmem.h"
#include "host/decode/decode.h"
#include "kernel/heap.h"
#include "kernel/string.h"
#include "kernel/vm.h"
#include "kernel/x86.h"
#include "kernel/x86-defs.h"
#include "smp/percpu.h"

bool codepage_init(struct guest *g)
{
    struct codepages *c = &g->codepages;
    c->npages = (uint32_t)(g->ram_size >> 12);
    c->page = kzalloc(c->npages * sizeof *c->page);
    c->tlb_gen = 1;                           /* every CPU flushes once before it first runs the guest */
    return c->page != 0;
}

void codepage_free(struct guest *g)
{
    struct codepages *c = &g->codepages;
    for (uint32_t i = 0; c->page && i < c->npages; i++) {
        kfree(c->page[i].seen);
        kfree(c->page[i].in);
        kfree(c->page[i].ghost);
    }
    kfree(c->page);
    kfree(c->far);
    c->far = 0;
    c->nfar = c->capfar = 0;
    c->page = 0;
    c->npages = 0;
}

bool codepage_scanned(const struct guest *g, uint32_t gpa)
{
    uint32_t pfn = gpa >> 12;
    return pfn < g->codepages.npages && g->codepages.page[pfn].seen;
}

/* Is page pfn one the host's single step holds writable and executable? */
static bool stepped(const struct codepages *c, uint32_t pfn)
{
    if (!c->stepping)
        return false;
    for (unsigned i = 0; i < sizeof c->step / sizeof c->step[0]; i++)
        if (c->step[i] == pfn + 1)
            return true;
    return false;
}

bool codepage_may_exec(const struct guest *g, uint32_t gpa)
{
    const struct codepages *c = &g->codepages;
    uint32_t pfn = gpa >> 12;
    if (pfn >= c->npages)
        return false;
    const struct codepage *p = &c->page[pfn];
    return (p->seen && !p->written) || stepped(c, pfn);
}

bool codepage_read_only(const struct guest *g, uint32_t gpa)
{
    const struct codepages *c = &g->codepages;
    uint32_t pfn = gpa >> 12;
    return pfn < c->npages && c->page[pfn].seen && !stepped(c, pfn);
}

/* Every vCPU's shadow forgets the permissions taken away since the last
 * call (paging on: codepage_may_exec and codepage_read_only are what its
 * leaves may allow, and an entry filled before may allow more).  Called
 * at the end of every change, before guest code runs again. */
void codepage_publish(struct guest *g)
{
    struct codepages *c = &g->codepages;
    if (!c->shrunk)
        return;
    c->shrunk = false;
    if (c->dropped)
        c->dropped(g);
}

/* ---- g->root's entries and the TLBs ---------------------------------------
 * Called under the guest kernel lock: the holder's CPU invalidates its own
 * entry now; every other CPU flushes before it next runs guest code, since
 * tlb_gen moved (codepage_tlb_check).  If this CPU was up to date before
 * the change, its invlpg keeps it so. */
static void protect(struct guest *g, uint32_t pfn, bool exec, bool write)
{
    struct codepages *c = &g->codepages;
    uint64_t *pte = g->root ? vm_space_pte(g->root, (uint64_t)pfn << 12) : 0;
    if (!pte)
        return;
    if (rom_overlaps((uint64_t)pfn << 12, 1u << 12))
        write = false;                        /* ROM stays read-only, whatever a drop says (rom.h) */
    uint64_t want = (*pte & ~(PTE_W | PTE_NX)) | (write ? PTE_W : 0) | (exec ? 0 : PTE_NX);
    if (want == *pte)
        return;
    if ((*pte & PTE_W & ~want) || (want & PTE_NX & ~*pte))
        c->shrunk = true;                     /* g->root mirrors every page's state: the shadows must follow */
    codepage_root_store(g, pfn, pte, want);
}

void codepage_root_store(struct guest *g, uint32_t pfn, uint64_t *pte, uint64_t want)
{
    struct codepages *c = &g->codepages;
    __atomic_store_n(pte, want, __ATOMIC_RELEASE);
    pushcli();
    unsigned cpu = this_cpu()->id;
    bool current = c->cpu_gen[cpu] == c->tlb_gen;
    __atomic_add_fetch(&c->tlb_gen, 1, __ATOMIC_SEQ_CST);
    if (read_cr3() == g->root)
        invlpg((uint64_t)pfn << 12);
    if (current && read_cr3() == g->root)
        c->cpu_gen[cpu] = c->tlb_gen;
    popcli();
}

void codepage_tlb_check(struct guest *g)
{
    struct codepages *c = &g->codepages;
    pushcli();
    unsigned cpu = this_cpu()->id;
    uint32_t gen = __atomic_load_n(&c->tlb_gen, __ATOMIC_SEQ_CST);
    if (c->cpu_gen[cpu] != gen && g->root && read_cr3() == g->root) {
        write_cr3(g->root);                   /* the guest's entries are not global: all go */
        c->cpu_gen[cpu] = gen;
    }
    popcli();
}

/* The canonical mapping of a page in g->root: executable and read-only
 * if scanned (NX too if written beside its code since), writable and NX if
 * not.  The shadows follow it through codepage_may_exec/read_only. */
static void settle(struct guest *g, uint32_t pfn)
{
    const struct codepage *p = &g->codepages.page[pfn];
    protect(g, pfn, p->seen && !p->written, !p->seen);
}

/* ---- pages ---------------------------------------------------------------- */

bool codepage_begin(struct guest *g, uint32_t pfn)
{
    struct codepages *c = &g->codepages;
    if (pfn >= c->npages)
        return false;
    struct codepage *p = &c->page[pfn];
    if (p->seen)
        return true;
    p->seen = kzalloc(3 * CODEPAGE_MAP);
    if (!p->seen)
        return false;
    c->pages_scanned++;
    protect(g, pfn, true, false);
    return true;
}

void codepage_link(struct guest *g, uint32_t pfn, uint32_t next)
{
    struct codepages *c = &g->codepages;
    if (pfn >= c->npages || next >= c->npages)
        return;
    c->page[pfn].next = next + 1;
    struct codepage *n = &c->page[next];
    if (n->prev && n->prev != pfn + 1)
        n->prev_many = true;
    n->prev = pfn + 1;
}

/* Is the entry still what the code of its page says (that page unchanged
 * and scanned since it was recorded)? */
static bool entry_valid(const struct codepages *c, const struct codepage_entry *e)
{
    return e->from < c->npages && c->page[e->from].seen && c->page[e->from].gen == e->gen;
}

bool codepage_entry(struct guest *g, uint32_t from, uint32_t gpa)
{
    struct codepages *c = &g->codepages;
    struct codepage *p = &c->page[gpa >> 12];
    struct codepage_entry e = { from, c->page[from].gen, (uint16_t)(gpa & 4095) };
    for (uint32_t i = 0; i < p->nin; i++)
        if (p->in[i].from == e.from && p->in[i].gen == e.gen && p->in[i].offset == e.offset)
            return true;
    if (p->nin == p->capin) {
        uint32_t kept = 0;                    /* the stale ones go first */
        for (uint32_t i = 0; i < p->nin; i++)
            if (entry_valid(c, &p->in[i])) p->in[kept++] = p->in[i];
        p->nin = kept;
    }
    if (p->nin == p->capin) {
        uint32_t cap = p->capin ? p->capin * 2 : 8;
        struct codepage_entry *in = kmalloc(cap * sizeof *in);
        if (!in)
            return false;
        if (p->in) { memcpy(in, p->in, p->nin * sizeof *in); kfree(p->in); }
        p->in = in;
        p->capin = cap;
    }
    p->in[p->nin++] = e;
    return true;
}

/* The bytes a patch wrote: a hlt's one, a patch block's jmp's len. */
static void restore_patch(const struct site *e, void *ctx)
{
    struct guest *g = ctx;
    memcpy(g->ram + e->addr, e->orig, e->block ? e->len : 1);
    g->patches.n--;
}

void codepage_unpatch(struct guest *g, uint32_t gpa)
{
    const struct site *e = sites_find(&g->sites, gpa, SITE_PATCH);
    if (!e)
        return;
    if (guest_hooks->code_changing)
        guest_hooks->code_changing(g, false);   /* the layer above's trap bytes out while ours go */
    restore_patch(e, g);
    sites_remove(&g->sites, gpa, SITE_PATCH);
    if (guest_hooks->code_changing)
        guest_hooks->code_changing(g, true);
}

/* One page's scan undone: its bytes as they were, writable and NX. */
static void drop_one(struct guest *g, uint32_t pfn)
{
    struct codepages *c = &g->codepages;
    struct codepage *p = &c->page[pfn];
    if (pfn >= c->npages || !p->seen)
        return;
    sites_take_range(&g->sites, pfn << 12, (pfn << 12) + 4096, SITE_PATCH, restore_patch, g);
    blocks_forget_targets(g, pfn);            /* a branch block's target may have been here */
    kfree(p->seen);
    p->seen = 0;
    p->written = false;
    p->block_lin = 0;
    p->gen++;
    c->drops++;
    protect(g, pfn, false, true);
}

void codepage_drop(struct guest *g, uint32_t gpa)
{
    struct codepages *c = &g->codepages;
    uint32_t pfn = gpa >> 12;
    if (pfn >= c->npages || !c->page[pfn].seen)
        return;
    if (guest_hooks->code_changing)
        guest_hooks->code_changing(g, false);   /* the layer above's trap bytes out while ours go */
    struct codepage *p = &c->page[pfn];
    drop_one(g, pfn);
    if (p->next) {                            /* its last instruction's end lies there */
        drop_one(g, p->next - 1);
        c->page[p->next - 1].prev = 0;
        p->next = 0;
    }
    if (p->prev_many) {                       /* an instruction there needs this page */
        for (uint32_t q = 0; q < c->npages; q++)
            if (c->page[q].next == pfn + 1) { drop_one(g, q); c->page[q].next = 0; }
    } else if (p->prev && c->page[p->prev - 1].next == pfn + 1) {
        drop_one(g, p->prev - 1);
        c->page[p->prev - 1].next = 0;
    }
    p->prev = 0;
    p->prev_many = false;
    if (guest_hooks->code_changing)
        guest_hooks->code_changing(g, true);
    c->drop_gen++;
    codepage_publish(g);
}

void codepage_drop_remember(struct guest *g, uint32_t gpa)
{
    struct codepages *c = &g->codepages;
    uint32_t pfn = gpa >> 12;
    if (pfn >= c->npages || !c->page[pfn].seen)
        return;
    struct codepage *p = &c->page[pfn];
    if (!p->ghost)
        p->ghost = kmalloc(sizeof *p->ghost);
    if (p->ghost)
        memcpy(p->ghost->seen, p->seen, CODEPAGE_MAP);   /* (no ghost: scanned again from where it next runs) */
    codepage_drop(g, gpa);
    if (p->ghost)
        memcpy(p->ghost->bytes, g->ram + ((uint64_t)pfn << 12), 4096);
}

struct codepage_ghost *codepage_take_ghost(struct guest *g, uint32_t pfn)
{
    struct codepage *p = &g->codepages.page[pfn];
    struct codepage_ghost *gh = p->ghost;
    p->ghost = 0;
    if (gh && memcmp(gh->bytes, g->ram + ((uint64_t)pfn << 12), 4096)) {
        kfree(gh);                            /* written since: its old instructions mean nothing */
        return 0;
    }
    return gh;
}

/* Does a scanned instruction cover a byte of [gpa, gpa + len) (within one page)? */
static bool covered(const struct codepages *c, uint32_t gpa, uint32_t len)
{
    const uint8_t *map = c->page[gpa >> 12].seen;
    uint32_t a = gpa & 4095, end = a + len > 4096 ? 4096 : a + len;
    for (; a < end; a++)
        if (map[CODEPAGE_MAP + a / 8] >> (a % 8) & 1)
            return true;
    return false;
}

/* codepage_written's part for a scanned page: [a, end) within it. */
static __attribute__((noinline)) void written_page(struct guest *g, uint32_t a, uint32_t end)
{
    struct codepages *c = &g->codepages;
    struct codepage *p = &c->page[a >> 12];
    if (covered(c, a, end - a)) {
        c->host_writes++;
        codepage_drop(g, a);
    } else if (!p->written && !stepped(c, a >> 12)) {
        p->written = true;                    /* new bytes beside its code: no fetch before a scan sees them */
        settle(g, a >> 12);
        codepage_publish(g);
    }
}

/* (Every trap's pushes come here: the common case, no scanned page, is a
 * load and a test a page.) */
void codepage_written(struct guest *g, uint64_t gpa, uint64_t len)
{
    struct codepages *c = &g->codepages;
    for (uint64_t a = gpa; a < gpa + len && (a >> 12) < c->npages; a = (a | 4095) + 1) {
        uint64_t end = (a | 4095) + 1 < gpa + len ? (a | 4095) + 1 : gpa + len;
        if (c->page[a >> 12].seen)
            written_page(g, (uint32_t)a, (uint32_t)end);
    }
}

bool codepage_each_entry(struct guest *g, uint32_t pfn, bool (*fn)(void *ctx, uint16_t offset), void *ctx)
{
    struct codepages *c = &g->codepages;
    const struct codepage *p = &c->page[pfn];
    for (uint32_t i = 0; pfn < c->npages && i < p->nin; i++)
        if (entry_valid(c, &p->in[i]) && !fn(ctx, p->in[i].offset))
            return false;
    return true;
}

/* Scan from lin, and from every entry other pages make into its page that
 * is still valid: the page may have been dropped while they kept calling it. */
bool codepage_fetch(struct guest *g, uint32_t lin, uint32_t gpa, const struct codepage_space *sp, unsigned bits)
{
    struct codepages *c = &g->codepages;
    uint32_t pfn = gpa >> 12;
    if (pfn >= c->npages)
        return true;
    struct codepage *p = &c->page[pfn];
    uint32_t few[16], *roots = few, n = 0;
    if (!p->seen && p->nin + 1 > sizeof few / sizeof few[0])
        roots = kmalloc((p->nin + 1) * sizeof *roots);
    if (!roots)
        return false;
    roots[n++] = lin;
    for (uint32_t i = 0; !p->seen && i < p->nin; i++)
        if (entry_valid(c, &p->in[i]))
            roots[n++] = (lin & ~4095u) + p->in[i].offset;
    bool ok = scan_run(g, roots, n, sp, bits);
    if (roots != few)
        kfree(roots);
    return ok;
}

bool codepage_far_pending(struct guest *g, uint16_t sel, uint32_t offset)
{
    struct codepages *c = &g->codepages;
    for (uint32_t i = 0; i < c->nfar; i++)
        if (c->far[i].sel == sel && c->far[i].offset == offset)
            return true;                      /* (a page scanned again) */
    if (c->nfar == c->capfar) {
        uint32_t cap = c->capfar ? c->capfar * 2 : 4;
        void *far = kmalloc(cap * sizeof *c->far);
        if (!far)
            return false;
        if (c->far) { memcpy(far, c->far, c->nfar * sizeof *c->far); kfree(c->far); }
        c->far = far;
        c->capfar = cap;
    }
    c->far[c->nfar].sel = sel;
    c->far[c->nfar++].offset = offset;
    return true;
}

/* ---- spaces: where the guest's code is ------------------------------------ */

static bool space_phys(void *ctx, uint32_t lin, uint32_t *gpa)
{
    return gmem_phys_peek(ctx, lin, gpa);
}

/* The vCPU's guest-linear space for a scan: NULL (the identity) with
 * paging off, else a lookup through its tables that sets nothing. */
static const struct codepage_space *space_of(struct vcpu *v, struct codepage_space *buf)
{
    if (!(v->cr0 & CR0_PG))
        return 0;
    *buf = (struct codepage_space){ space_phys, v };
    return buf;
}

static bool translate(struct guest *g, const struct codepage_space *sp, uint32_t lin, uint32_t *gpa)
{
    if (sp)
        return sp->phys(sp->ctx, lin, gpa) && (*gpa >> 12) < g->codepages.npages;
    *gpa = lin;
    return (lin >> 12) < g->codepages.npages;
}

/* lazy: a page not scanned yet is left to its first fetch's fault, and
 * the answer is only whether there was memory to scan. */
static bool entry(struct vcpu *v, uint32_t lin, bool lazy, unsigned bits)
{
    struct guest *g = v->guest;
    struct codepage_space buf;
    const struct codepage_space *sp = space_of(v, &buf);
    uint32_t gpa;
    if (!translate(g, sp, lin, &gpa))
        return lazy;                         /* not mapped: a fetch there faults first */
    if ((lazy && !codepage_seen(&g->codepages, gpa)) || scan_seen(g, gpa))
        return true;                         /* not scanned yet: its first fetch will fault */
    bool ok = scan_run(g, &lin, 1, sp, bits);   /* false only out of memory */
    return lazy ? ok : ok && scan_seen(g, gpa);
}

bool codepage_entry_point(struct vcpu *v, uint32_t lin, unsigned bits)
{
    return entry(v, lin, true, bits);
}

bool codepage_entry_scanned(struct vcpu *v, uint32_t lin, unsigned bits)
{
    return entry(v, lin, false, bits);
}

/* The lgdt's emulation has mirrored the new GDT on this CPU: the far
 * targets waiting for it are scanned now; those it does not make code wait
 * for the next (a jump there faults meanwhile).  The scans may add targets
 * of their own, so the list is taken first; when none waits after, its
 * memory goes back in place rather than to the heap (a guest's lgdt makes
 * no heap traffic, which the ktests' leak checks beside a guest count). */
void codepage_gdt_loaded(struct vcpu *v)
{
    struct codepages *c = &v->guest->codepages;
    struct codepage_far *far = c->far;
    uint32_t n = c->nfar, cap = c->capfar;
    c->far = 0;
    c->nfar = c->capfar = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t d = vcpu_descriptor(v, far[i].sel);
        uint32_t lin = (uint32_t)(desc_base(d) + far[i].offset);
        if ((d & DESC_PRESENT) && (d & DESC_S) && (d & DESC_CODE))
            codepage_entry_point(v, lin, desc_code_bits(d));
        else if (!codepage_far_pending(v->guest, far[i].sel, far[i].offset))
            break;                            /* out of memory: the rest are forgotten */
    }
    if (!c->far) {
        c->far = far;
        c->capfar = cap;
    } else {
        kfree(far);
    }
}

/* ---- faults ------------------------------------------------------------------
 * The same two faults with paging off (g->root's entries, codepage_fault)
 * and on (the shadow's, codepage_paged_fault); sp translates. */

/* One instruction runs with page pfn writable and executable, the host
 * single-stepping it: a write from code on a page the write drops (it
 * could not be fetched any more), or a write to data beside scanned code
 * (the scan stays).  The next trap but a #PF (codepage_step_trap) ends
 * it.  False if the step already has all the pages it can hold. */
static bool step_page(struct guest *g, struct trapframe *tf, uint32_t pfn)
{
    struct codepages *c = &g->codepages;
    unsigned n = sizeof c->step / sizeof c->step[0], slot = n;
    if (pfn >= c->npages)
        return true;
    for (unsigned i = 0; i < n; i++)
        if (c->step[i] == pfn + 1) slot = i;
    for (unsigned i = 0; slot == n && i < n; i++)
        if (!c->step[i]) slot = i;
    if (slot == n)
        return false;
    c->step[slot] = pfn + 1;
    protect(g, pfn, true, true);              /* (again, if a drop took it meanwhile) */
    if (!c->stepping) {
        c->stepping = true;
        c->steps++;
        c->step_guest_tf = tf->rflags & EFLAGS_TF;
        c->step_eip = (uint32_t)tf->rip;
        tf->rflags |= EFLAGS_TF;
    }
    return true;
}

/* The step is over: its pages as their states say, the host's TF gone.
 * True if the guest keeps a TF of its own (or another host step's). */
static bool step_end(struct guest *g, struct trapframe *tf)
{
    struct codepages *c = &g->codepages;
    c->stepping = false;
    for (unsigned i = 0; i < sizeof c->step / sizeof c->step[0]; i++)
        if (c->step[i]) {
            settle(g, c->step[i] - 1);
            c->step[i] = 0;
        }
    codepage_publish(g);                      /* (paging on: the step's writable, executable entries go) */
    bool keep_tf = c->step_guest_tf || g->host_stepping;
    if (!keep_tf)
        tf->rflags &= ~(uint64_t)EFLAGS_TF;
    return keep_tf;
}

/* The step ran a pushf (a patch block's own: the guest's are emulated):
 * the image it pushed has the host's TF, which a popf would set again once
 * the step is over, and the next instruction would take a #DB nobody
 * expects.  Out with it, unless the guest was stepping itself. */
static void unpush_tf(struct vcpu *v, const struct trapframe *tf)
{
    struct codepages *c = &v->guest->codepages;
    uint32_t ip = (uint32_t)tf->rip, cs_base = vcpu_linear_ip(v, tf) - ip, lin, gpa;
    uint8_t op[2];
    struct gfault f;
    if (c->step_guest_tf || ip == c->step_eip || !gmem_peek_lin(v, cs_base + c->step_eip, op, 2) ||
        (op[0] != 0x9c && !(op[0] == 0x66 && op[1] == 0x9c)))
        return;
    if (gmem_linear(v, SEG_SS, (uint32_t)tf->rsp, 2, GMEM_READ, &lin, &f) && gmem_phys_peek(v, lin + 1, &gpa) &&
        gpa < v->guest->ram_size)
        v->guest->ram[gpa] &= (uint8_t)~(EFLAGS_TF >> 8);
}

bool codepage_step_trap(struct vcpu *v, struct trapframe *tf)
{
    if (tf->vector == VEC_PF)
        return false;                         /* the stepped instruction wants another page: it goes on */
    unpush_tf(v, tf);
    bool keep_tf = step_end(v->guest, tf);    /* any other trap ends it too */
    return tf->vector == VEC_DB && !keep_tf;  /* the step's own #DB: nothing more */
}

void codepage_step_abort(struct vcpu *v, struct trapframe *tf)
{
    if (v->guest->codepages.stepping)
        step_end(v->guest, tf);
}

/* The length of the instruction at the guest's EIP (15 if it cannot be
 * decoded): the bytes it runs over must stay fetchable while it writes. */
static uint32_t insn_length(struct vcpu *v, const struct codepage_space *sp, uint32_t ip)
{
    struct guest *g = v->guest;
    uint8_t buf[15];
    uint32_t n = 0, gpa;
    while (n < sizeof buf && translate(g, sp, ip + n, &gpa)) {
        uint32_t chunk = 4096 - (gpa & 4095);
        chunk = chunk < sizeof buf - n ? chunk : sizeof buf - n;
        memcpy(buf + n, g->ram + gpa, chunk);
        n += chunk;
    }
    struct insn in;
    unsigned mode = desc_code_bits(vcpu_seg_cache(v, SEG_CS));
    return n && decode(buf, n, mode, &in) == DECODE_OK ? in.length : 15;
}

/* A write at lin (physical gpa) to a scanned page.  Over scanned
 * instructions: the page (and its straddle partners) dropped; the write
 * runs again by itself, or stepped if its own instruction's bytes went
 * with it.  Beside them: the write is stepped and the scan stays, but the
 * page is not executable after it (written) until a fetch from it scans
 * from where that fetch is: the bytes just written may be code the guest
 * runs next.  A write of up to 16 bytes is assumed from there on (wider
 * ones, as fxsave, are rare in a code page). */
static void write_fault(struct vcpu *v, struct trapframe *tf, uint32_t gpa, const struct codepage_space *sp)
{
    struct guest *g = v->guest;
    struct codepages *c = &g->codepages;
    uint32_t ip = vcpu_linear_ip(v, tf), len = insn_length(v, sp, ip), at;
    c->write_faults++;
    if (covered(c, gpa, 16) || !step_page(g, tf, gpa >> 12))
        codepage_drop(g, gpa);               /* (a step with no room left: the slow way, which always works) */
    else
        c->page[gpa >> 12].written = true;    /* NX once the step is over (settle) */
    for (uint32_t a = ip; a - ip < len; a = (a | 4095) + 1)
        if (translate(g, sp, a, &at) && !c->page[at >> 12].seen && !blocks_owns(&g->blocks, at))
            step_page(g, tf, at >> 12);       /* its own bytes must stay fetchable */
    codepage_publish(g);
}

/* A fetch at lin (physical gpa) from a page that may not run: unscanned,
 * written beside its code, or scanned but not where the fetch is (an entry
 * the scan had not reached, with paging on where the shadow's entry was
 * absent).  Scanned from the instruction (which may begin on the page
 * before, running on into this one), and executable again. */
static bool fetch_fault(struct vcpu *v, struct trapframe *tf, uint32_t lin, uint32_t gpa,
                        const struct codepage_space *sp)
{
    struct guest *g = v->guest;
    struct codepages *c = &g->codepages;
    uint32_t ip = vcpu_linear_ip(v, tf), ipa;
    c->fetch_faults++;
    if (!((ip ^ lin) >> 12))
        ipa = (gpa & ~4095u) | (ip & 4095);
    else if (translate(g, sp, ip, &ipa))
        scan_unsee(g, ipa);                   /* an instruction running on into lin's page: again */
    else
        ip = lin, ipa = gpa;                  /* (its page unmapped meanwhile by another vCPU) */
    bool irqs = irq_window_open();            /* a first scan may follow much of a kernel */
    bool ok = codepage_fetch(g, ip, ipa, sp, desc_code_bits(vcpu_seg_cache(v, SEG_CS)));
    irq_window_close(irqs);
    if (ok && !codepage_scanned(g, gpa))
        ok = codepage_begin(g, gpa >> 12);    /* (undecodable there: it runs as the CPU sees it) */
    for (uint32_t pfn = ipa >> 12;; pfn = gpa >> 12) {
        if (pfn < c->npages && c->page[pfn].written) {
            c->page[pfn].written = false;     /* what runs from here on is scanned */
            settle(g, pfn);
        }
        if (pfn == gpa >> 12)
            break;
    }
    codepage_publish(g);
    if (!ok)
        guest_end(g, GUEST_DEAD, -1, "out of host memory for scanning its code");
    return ok;
}

bool codepage_fault(struct vcpu *v, struct trapframe *tf, uint32_t cr2)
{
    struct guest *g = v->guest;
    struct codepages *c = &g->codepages;
    uint32_t err = (uint32_t)tf->error;
    if (!(err & PFEC_PRESENT) || (cr2 >> 12) >= c->npages)
        return false;
    if (err & PFEC_FETCH) {
        if ((vcpu_linear_ip(v, tf) >> 12) >= c->npages)
            return false;
        if (blocks_owns(&g->blocks, cr2)) {       /* the flags page: data of the host's */
            guest_end(g, GUEST_DEAD, -1, "it jumped into the patch blocks' flags page, which its memory map reserves");
            return true;
        }
        fetch_fault(v, tf, cr2, cr2, 0);
        return true;
    }
    if (!(err & PFEC_WRITE))
        return false;
    if (codepage_scanned(g, cr2))
        write_fault(v, tf, cr2, 0);
    else
        invlpg(cr2 & ~4095u);                 /* an entry older than its drop: walk again */
    return true;
}

bool codepage_paged_fault(struct vcpu *v, struct trapframe *tf, uint32_t lin, uint32_t gpa, bool write)
{
    struct codepage_space buf;
    const struct codepage_space *sp = space_of(v, &buf);
    if ((gpa >> 12) >= v->guest->codepages.npages)
        return true;
    if (!write)
        return fetch_fault(v, tf, lin, gpa, sp);
    write_fault(v, tf, gpa, sp);
    return true;
}
