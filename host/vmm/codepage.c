/*
 * Scan-on-execute: which pages of guest RAM are scanned, their mappings in
 * g->root with paging off, the faults that change them, and the TLBs of
 * the CPUs that run the guest.  The scheme is described in codepage.h.
 */
#include "host/vmm/codepage.h"
#include "host/vmm/scan.h"
#include "host/vmm/sites.h"
#include "host/vmm/guest.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/segment.h"
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
    uint64_t want = (*pte & ~(PTE_W | PTE_NX)) | (write ? PTE_W : 0) | (exec ? 0 : PTE_NX);
    if (want == *pte)
        return;
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

/* ---- pages ---------------------------------------------------------------- */

bool codepage_begin(struct guest *g, uint32_t pfn)
{
    struct codepages *c = &g->codepages;
    if (pfn >= c->npages)
        return false;
    struct codepage *p = &c->page[pfn];
    if (p->seen)
        return true;
    p->seen = kzalloc(2 * CODEPAGE_MAP);
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

static void restore_patch(const struct site *e, void *ctx)
{
    struct guest *g = ctx;
    g->ram[e->addr] = e->orig[0];             /* the one byte the scanner wrote */
    g->patches.n--;
}

/* One page's scan undone: its bytes as they were, writable and NX. */
static void drop_one(struct guest *g, uint32_t pfn)
{
    struct codepages *c = &g->codepages;
    struct codepage *p = &c->page[pfn];
    if (pfn >= c->npages || !p->seen)
        return;
    sites_take_range(&g->sites, pfn << 12, (pfn << 12) + 4096, SITE_PATCH, restore_patch, g);
    kfree(p->seen);
    p->seen = 0;
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
    if (c->dropped)
        c->dropped(g);
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

void codepage_written(struct guest *g, uint64_t gpa, uint64_t len)
{
    struct codepages *c = &g->codepages;
    for (uint64_t a = gpa; a < gpa + len && (a >> 12) < c->npages; a = (a | 4095) + 1) {
        uint64_t end = (a | 4095) + 1 < gpa + len ? (a | 4095) + 1 : gpa + len;
        if (c->page[a >> 12].seen && covered(c, (uint32_t)a, (uint32_t)(end - a))) {
            c->host_writes++;
            codepage_drop(g, (uint32_t)a);
        }
    }
}

/* Scan from lin, and from every entry other pages make into its page that
 * is still valid: the page may have been dropped while they kept calling it. */
bool codepage_fetch(struct guest *g, uint32_t lin, uint32_t gpa, const struct codepage_space *sp)
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
    bool ok = scan_run(g, roots, n, sp);
    if (roots != few)
        kfree(roots);
    return ok;
}

bool codepage_far_pending(struct guest *g, uint16_t sel, uint32_t offset)
{
    struct codepages *c = &g->codepages;
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

/* The lgdt's emulation has mirrored the new GDT on this CPU: the far
 * targets waiting for it are scanned now (those it does not make code are
 * forgotten: a jump there faults). */
void codepage_gdt_loaded(struct guest *g)
{
    struct codepages *c = &g->codepages;
    uint32_t n = c->nfar;
    c->nfar = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t d = vcpu_descriptor(&g->vcpu, c->far[i].sel);
        uint32_t lin = (uint32_t)(desc_base(d) + c->far[i].offset);
        if ((d & DESC_PRESENT) && (d & DESC_S) && (d & DESC_CODE))
            scan_entry(g, lin);
    }
}

/* ---- faults, paging off ------------------------------------------------------ */

/* The canonical mapping of a page: executable and read-only if scanned,
 * writable and NX if not. */
static void settle(struct guest *g, uint32_t pfn)
{
    bool scanned = g->codepages.page[pfn].seen != 0;
    protect(g, pfn, scanned, !scanned);
}

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
        tf->rflags |= EFLAGS_TF;
    }
    return true;
}

bool codepage_step_trap(struct vcpu *v, struct trapframe *tf)
{
    struct guest *g = v->guest;
    struct codepages *c = &g->codepages;
    if (tf->vector == VEC_PF)
        return false;                         /* the stepped instruction wants another page: it goes on */
    c->stepping = false;
    for (unsigned i = 0; i < sizeof c->step / sizeof c->step[0]; i++)
        if (c->step[i]) {
            settle(g, c->step[i] - 1);
            c->step[i] = 0;
        }
    bool keep_tf = c->step_guest_tf || g->host_stepping;
    if (!keep_tf)
        tf->rflags &= ~(uint64_t)EFLAGS_TF;
    return tf->vector == VEC_DB && !keep_tf;   /* the step's own #DB: nothing more */
}

/* A write fault to a scanned page.  Over scanned instructions: the page
 * (and its straddle partners) dropped; the write runs again by itself, or
 * stepped if its own instruction's bytes went with it.  Beside them: the
 * write is stepped, the scan stays.  A write of up to 16 bytes is assumed
 * from CR2 on (wider ones, as fxsave, are rare in a code page). */
static void write_fault(struct vcpu *v, struct trapframe *tf, uint32_t cr2)
{
    struct guest *g = v->guest;
    struct codepages *c = &g->codepages;
    uint32_t ip = vcpu_linear_ip(v, tf), len = 15;
    struct insn in;
    if (ip < g->ram_size && decode(g->ram + ip, g->ram_size - ip < 15 ? (uint32_t)(g->ram_size - ip) : 15, 32,
                                   &in) == DECODE_OK)
        len = in.length;
    c->write_faults++;
    if (covered(c, cr2, 16) || !step_page(g, tf, cr2 >> 12))
        codepage_drop(g, cr2);               /* (a step with no room left: the slow way, which always works) */
    for (uint32_t a = ip; a - ip < len; a = (a | 4095) + 1)
        if ((a >> 12) < c->npages && !c->page[a >> 12].seen)
            step_page(g, tf, a >> 12);        /* its own bytes must stay fetchable */
}

bool codepage_fault(struct vcpu *v, struct trapframe *tf, uint32_t cr2)
{
    struct guest *g = v->guest;
    struct codepages *c = &g->codepages;
    uint32_t err = (uint32_t)tf->error;
    if (!(err & PFEC_PRESENT) || (cr2 >> 12) >= c->npages)
        return false;
    if (err & PFEC_FETCH) {
        c->fetch_faults++;
        uint32_t ip = vcpu_linear_ip(v, tf);
        if ((ip >> 12) >= c->npages)
            return false;
        if ((ip ^ cr2) >> 12)
            scan_unsee(g, ip);                /* an instruction running on into cr2's page: again */
        bool irqs = irq_window_open();        /* a first scan may follow much of a kernel */
        bool ok = codepage_fetch(g, ip, ip, 0);
        irq_window_close(irqs);
        if (ok && !codepage_scanned(g, cr2))
            ok = codepage_begin(g, cr2 >> 12);   /* (undecodable there: it runs as the CPU sees it) */
        if (!ok)
            guest_end(g, GUEST_DEAD, -1, "out of host memory for scanning its code");
        return true;
    }
    if (!(err & PFEC_WRITE))
        return false;
    if (codepage_scanned(g, cr2))
        write_fault(v, tf, cr2);
    else
        invlpg(cr2 & ~4095u);                 /* an entry older than its drop: walk again */
    return true;
}
