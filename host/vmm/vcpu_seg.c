/*
 * A vCPU's segment registers on real ones: the guest's GDT mirrored into
 * the real GDT of the CPU it runs on (through the containment rule,
 * host/vmm/segment.c), and the descriptor each register holds kept across
 * lgdt and across CPUs, as a CPU keeps a loaded register's descriptor
 * until it is reloaded (docs/hosting.md, "Cached descriptors").
 */
#include "host/vmm/vcpu_seg.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/guest.h"
#include "host/vmm/segment.h"
#include "host/vmm/gmem.h"
#include "host/vmm/codepage.h"
#include "host/decode/decode.h"
#include "kernel/string.h"
#include "kernel/pmm.h"
#include "kernel/x86.h"
#include "smp/percpu.h"

/* Multiboot's promise: flat 32-bit code and data at the guest's ring 0. */
#define FLAT_CODE 0x00cf9a000000ffffull
#define FLAT_DATA 0x00cf92000000ffffull

static uint16_t shadow_sel(unsigned r, uint16_t rpl) { return (uint16_t)((VCPU_SHADOW_IDX + r) << 3 | rpl); }
static bool is_shadow(uint16_t sel) { return sel_index(sel) - VCPU_SHADOW_IDX < VCPU_NSEGS; }

void vseg_boot(struct vcpu *v)
{
    /* No guest GDT yet: every segment register holds a flat descriptor that
     * no selector of the guest's names — a shadow slot, as after an lgdt. */
    for (unsigned r = 0; r < VCPU_NSEGS; r++) {
        v->sel[r] = shadow_sel(r, 1);
        v->seg_desc[r] = seg_mirror(r == SEG_CS ? FLAT_CODE : FLAT_DATA);
        v->seg_shown[r] = r == SEG_CS ? 0x08 : 0x10;
    }
}

void vseg_boot_gdt(struct vcpu *v, uint32_t base, uint16_t limit, uint16_t cs, uint16_t ds)
{
    vseg_boot(v);
    v->gdt_base = base;                              /* mirrored as the vCPU first runs (vseg_restore) */
    v->gdt_limit = limit;
    for (unsigned r = 0; r < VCPU_NSEGS; r++)
        v->seg_shown[r] = r == SEG_CS ? cs : ds;
}

/* The six selectors of a vCPU running on this CPU, inside a trap. */
static void live_selectors(const struct trapframe *tf, uint16_t sel[VCPU_NSEGS])
{
    __asm__ volatile("mov %%es, %0; mov %%ds, %1; mov %%fs, %2; mov %%gs, %3"
                     : "=r"(sel[SEG_ES]), "=r"(sel[SEG_DS]), "=r"(sel[SEG_FS]), "=r"(sel[SEG_GS]));
    sel[SEG_CS] = (uint16_t)tf->cs;
    sel[SEG_SS] = (uint16_t)tf->ss;
}

static uint64_t table_entry(const struct vcpu *v, const struct cpu *c, uint16_t sel);

/* What each register holds, read from the table it was loaded from: for a
 * vCPU running on c, c's table agrees with its registers (remirror keeps
 * it so). */
static void capture(struct vcpu *v, const struct cpu *c, const uint16_t sel[VCPU_NSEGS])
{
    for (unsigned r = 0; r < VCPU_NSEGS; r++) {
        unsigned i = sel_index(sel[r]);
        v->seg_desc[r] = sel_null(sel[r]) ? 0 : table_entry(v, c, sel[r]);
        if (is_shadow(sel[r]) && i - VCPU_SHADOW_IDX != r)
            v->seg_shown[r] = v->seg_shown[i - VCPU_SHADOW_IDX];   /* copied from another register */
    }
}

/* n descriptors of a guest table at linear address base, through the
 * containment rule, into dst (entry 0 stays null): a chunk that does not
 * translate to guest RAM is mirrored empty (a load through it faults as
 * one through a descriptor it cannot read would). */
#define TABLE_CHUNK 64u
static void copy_table(struct vcpu *v, uint32_t base, uint64_t *dst, unsigned first, unsigned n)
{
    uint64_t buf[TABLE_CHUNK];
    for (unsigned i = 0; i < n; i += TABLE_CHUNK) {
        unsigned k = n - i < TABLE_CHUNK ? n - i : TABLE_CHUNK;
        bool ok = gmem_peek_lin(v, base + i * 8u, buf, k * 8u);
        for (unsigned j = 0; j < k; j++)
            dst[i + j] = ok && i + j >= first ? seg_mirror(buf[j]) : 0;
    }
}

/* Which guest's descriptors each CPU's low GDT holds: the hypervisor's own
 * per-CPU state, beside struct cpu (which names no guest), indexed by the
 * CPU's id. */
static struct gdt_mirror {
    const struct guest *of;         /* the guest whose descriptors the low GDT holds */
    uint64_t gen;                   /* its gdt_gen then */
    unsigned n;                     /* entries written */
    /* The CPU's real LDT (allocated at the first guest lldt it sees), and
     * whose it is: loaded, for guest ldt_of's table at ldt_base/limit as
     * of its ldt_gen */
    uint64_t *ldt;
    bool ldt_loaded;
    const struct guest *ldt_of;
    uint32_t ldt_base, ldt_limit;
    uint64_t ldt_gen;
} __attribute__((aligned(CACHELINE))) mirrors[MAX_CPUS];    /* written by its CPU alone */

#define LDT_PAGES 16                                 /* 8192 descriptors, the most an LDT holds */

/* The descriptor sel names in the tables c holds for v (its GDT mirror,
 * and its LDT mirror if c holds v's), 0 if none. */
static uint64_t table_entry(const struct vcpu *v, const struct cpu *c, uint16_t sel)
{
    const struct gdt_mirror *m = &mirrors[c->id];
    unsigned i = sel_index(sel);
    if (!sel_ldt(sel))
        return c->gdt[i];
    if (!m->ldt_loaded || m->ldt_of != v->guest || m->ldt_base != v->ldt_base || sel_null(v->ldtr) ||
        i * 8u + 7 > v->ldt_limit)
        return 0;
    return m->ldt[i];
}

/* The vCPU's LDT into c's real one, through the containment rule, as the
 * GDT is (gates and system descriptors are never mirrored as such: a far
 * call through GNU Mach's LDT call gate faults and is emulated), and
 * loaded; or no LDT at all if the guest has none. */
static void load_ldt(struct vcpu *v, struct cpu *c)
{
    struct gdt_mirror *m = &mirrors[c->id];
    if (sel_null(v->ldtr)) {
        if (m->ldt_loaded)
            lldt(0);
        m->ldt_loaded = false;
        return;
    }
    if (m->ldt_loaded && m->ldt_of == v->guest && m->ldt_base == v->ldt_base && m->ldt_limit == v->ldt_limit &&
        m->ldt_gen == v->guest->ldt_gen)
        return;
    if (!m->ldt && !(m->ldt = page_alloc(LDT_PAGES))) {
        v->reload_failed = true;                     /* stopped at its next trap, with a sentence */
        return;
    }
    unsigned n = (v->ldt_limit + 1u) / 8, old = m->ldt_loaded ? (m->ldt_limit + 1u) / 8 : LDT_PAGES * 512u;
    copy_table(v, v->ldt_base, m->ldt, 0, n);
    for (unsigned i = n; i < old && i < LDT_PAGES * 512u; i++)
        m->ldt[i] = 0;
    uint64_t base = (uint64_t)m->ldt;
    c->gdt[GDT_LDT_IDX] = desc_make((uint32_t)base, n * 8 - 1, DESC_LDT64 | DESC_PRESENT);
    c->gdt[GDT_LDT_IDX + 1] = base >> 32;
    lldt(GDT_LDT_IDX << 3);
    m->ldt_loaded = true;
    m->ldt_of = v->guest;
    m->ldt_base = v->ldt_base;
    m->ldt_limit = v->ldt_limit;
    m->ldt_gen = v->guest->ldt_gen;
}

/* The guest's descriptors go into the real GDT of the CPU it runs on, at
 * their own indexes, through the containment rule (seg_mirror).  Each CPU
 * remembers whose descriptors (and which generation: lgdt bumps it) it
 * holds; a vCPU that arrives on a CPU holding another guest's or an older
 * copy rewrites it.  The shadow slots and everything beyond the guest's
 * limit are emptied: lar and lsl answer for nothing the guest did not
 * write. */
static void mirror(struct vcpu *v, struct cpu *c)
{
    uint64_t *gdt = c->gdt;
    unsigned n = (v->gdt_limit + 1u) / 8;
    if (n > VCPU_SHADOW_IDX)
        n = VCPU_SHADOW_IDX;                         /* the shadows and the host's own live above */
    copy_table(v, v->gdt_base, gdt, 1, n);
    struct gdt_mirror *m = &mirrors[c->id];
    for (unsigned i = n ? n : 1; i < m->n; i++)
        gdt[i] = 0;                                  /* what the last guest had beyond ours */
    for (unsigned r = 0; r < VCPU_NSEGS; r++)
        gdt[VCPU_SHADOW_IDX + r] = 0;
    m->n = n;
    m->of = v->guest;
    m->gen = v->guest->gdt_gen;
}

bool vseg_mirror_stale(const struct vcpu *v, const struct cpu *c)
{
    const struct gdt_mirror *m = &mirrors[c->id];
    return m->of != v->guest || m->gen != v->guest->gdt_gen;
}

/* A CPU keeps the descriptor a segment register was loaded with until the
 * register is reloaded.  Where c's table no longer says what a register
 * holds, the register is re-pointed at its shadow slot, which holds its
 * descriptor, until the guest loads it again; the guest is shown the
 * selector it loaded (vcpu_guest_sel). */
static void repoint(struct vcpu *v, struct cpu *c, uint16_t sel[VCPU_NSEGS])
{
    for (unsigned r = 0; r < VCPU_NSEGS; r++) {
        if (sel_null(sel[r]))
            continue;
        if (!is_shadow(sel[r]) && table_entry(v, c, sel[r]) == v->seg_desc[r])
            continue;
        if (!is_shadow(sel[r]))
            v->seg_shown[r] = sel[r];
        sel[r] = shadow_sel(r, sel[r] & 3);
        c->gdt[VCPU_SHADOW_IDX + r] = v->seg_desc[r];
    }
}

/* Load the data segment registers.  Loading GS sets the GS base from the
 * descriptor: the per-CPU pointer goes back, and the guest's base (the one
 * it had) into KERNEL_GS for trap_return's swapgs.  A load cannot fault
 * (each descriptor was loaded before by the guest, at this privilege); if
 * one does, it becomes null and the guest is stopped at its next trap. */
#define LOAD_SEG(reg, val, failed)                                               \
    __asm__ volatile("1: mov %w1, %%" reg "\n2:\n"                                \
                     ".pushsection .extable, \"a\"\n.quad 1b, 3f\n.popsection\n" \
                     ".pushsection .text.fixup, \"ax\"\n"                        \
                     "3: movl $1, %0\n xorl %k1, %k1\n mov %w1, %%" reg "\n jmp 2b\n"  \
                     ".popsection" : "+r"(failed), "+r"(val))

static void load_data_segments(struct vcpu *v, struct cpu *c, const uint16_t sel[VCPU_NSEGS], uint64_t gs_base)
{
    uint32_t failed = 0;
    uint64_t es = sel[SEG_ES], ds = sel[SEG_DS], fs = sel[SEG_FS], gs = sel[SEG_GS];
    LOAD_SEG("ds", ds, failed);
    LOAD_SEG("es", es, failed);
    LOAD_SEG("fs", fs, failed);
    LOAD_SEG("gs", gs, failed);
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    wrmsr(MSR_KERNEL_GS, gs_base);
    if (failed)
        v->reload_failed = true;
}

/* Switching in, or entering first: the registers come from v->sel. */
void vseg_restore(struct vcpu *v, struct cpu *c, struct trapframe *tf)
{
    if (vseg_mirror_stale(v, c))
        mirror(v, c);
    load_ldt(v, c);
    uint16_t sel[VCPU_NSEGS];
    memcpy(sel, v->sel, sizeof sel);
    for (unsigned r = 0; r < VCPU_NSEGS; r++)
        c->gdt[VCPU_SHADOW_IDX + r] = 0;             /* another vCPU's, perhaps */
    repoint(v, c, sel);
    load_data_segments(v, c, sel, v->gs_base);
    tf->cs = sel[SEG_CS];
    tf->ss = sel[SEG_SS];
}

/* Inside a trap, this CPU's copy of the guest's GDT made again, CS and SS
 * (in tf) and the live data registers kept on what they hold, or, with
 * rewritten, a data register naming an entry the guest rewrote in place
 * taking the new descriptor and, for GS, its base (vcpu_gdt_refresh). */
static void remirror(struct vcpu *v, struct cpu *c, struct trapframe *tf, bool rewritten)
{
    uint16_t sel[VCPU_NSEGS], before[VCPU_NSEGS];
    live_selectors(tf, sel);
    memcpy(before, sel, sizeof sel);
    capture(v, c, sel);                              /* what each holds, from the old copy */
    mirror(v, c);
    for (unsigned r = 0; rewritten && r < VCPU_NSEGS; r++) {
        if (r == SEG_CS || r == SEG_SS || sel_null(sel[r]) || is_shadow(sel[r]) || sel_ldt(sel[r]))
            continue;
        uint64_t now = table_entry(v, c, sel[r]);
        if (now != v->seg_desc[r] && !seg_check(sel[r], now, SEG_USE_DATA, tf->cs & 3))
            v->seg_desc[r] = now;
    }
    repoint(v, c, sel);
    /* GS's base is the guest's in KERNEL_GS (swapped at the trap): the
     * descriptor's it holds unless it was repointed to its shadow */
    uint64_t gs_base = rdmsr(MSR_KERNEL_GS);
    if (rewritten && sel[SEG_GS] == before[SEG_GS] && !sel_null(sel[SEG_GS]) && !is_shadow(sel[SEG_GS]))
        gs_base = desc_base(v->seg_desc[SEG_GS]);
    if (rewritten || memcmp(&sel[SEG_DS], &before[SEG_DS], 3 * sizeof sel[0]) || sel[SEG_ES] != before[SEG_ES])
        load_data_segments(v, c, sel, gs_base);
    tf->cs = sel[SEG_CS];
    tf->ss = sel[SEG_SS];
}

/* lgdt here, or another vCPU's lgdt: keep what the live registers hold. */
void vseg_remirror(struct vcpu *v, struct cpu *c, struct trapframe *tf)
{
    remirror(v, c, tf, false);
}

void vseg_clone(struct vcpu *v, const struct vcpu *from)
{
    live_selectors(from->tf, v->sel);                /* `from` is the caller: its own, live */
    memcpy(v->seg_shown, from->seg_shown, sizeof v->seg_shown);
    capture(v, this_cpu(), v->sel);
    v->gs_base = rdmsr(MSR_KERNEL_GS);
}

void vseg_save(struct vcpu *v, const struct trapframe *frame)
{
    live_selectors(frame, v->sel);
    capture(v, this_cpu(), v->sel);
    v->gs_base = rdmsr(MSR_KERNEL_GS);               /* swapped away at the trap */
}

/* lgdt: the new table goes into this CPU's GDT now, into the others' when
 * a vCPU of the guest next runs there. */
void vcpu_mirror_gdt(struct vcpu *v)
{
    __atomic_add_fetch(&v->guest->gdt_gen, 1, __ATOMIC_RELEASE);
    pushcli();
    vseg_remirror(v, this_cpu(), v->tf);
    popcli();
}

/* Entries compared at each return to ring 3 (vcpu_gdt_refresh): Linux's
 * GDT has 32; a larger table is refreshed only at lgdt. */
#define REFRESH_MAX 256u

/* Has the guest rewritten an entry of its GDT in memory since this CPU
 * mirrored it?  Compared a chunk at a time through the containment rule. */
static bool gdt_rewritten(struct vcpu *v, const struct cpu *c, unsigned n)
{
    uint64_t buf[TABLE_CHUNK];
    for (unsigned i = 0; i < n; i += TABLE_CHUNK) {
        unsigned k = n - i < TABLE_CHUNK ? n - i : TABLE_CHUNK;
        if (!gmem_peek_lin(v, v->gdt_base + i * 8u, buf, k * 8u))
            return false;                            /* mirrored empty, and still unreadable */
        for (unsigned j = i ? 0 : 1; j < k; j++)
            if (seg_mirror(buf[j]) != c->gdt[i + j])
                return true;
    }
    return false;
}

/* A kernel rewrites GDT entries in place, with no lgdt: Linux its TLS
 * entries at every context switch and at set_thread_area, then loads GS
 * (or FS) from them and returns to user mode.  The mirror is a copy made
 * at lgdt, so each emulated return to ring 3 compares the table in memory
 * with this CPU's copy; if an entry changed, every CPU's copy is made
 * again (gdt_gen) and a live data register naming a changed entry takes
 * the new descriptor, as it would have if loaded after the write (Linux's
 * order; a register loaded before a rewrite keeps its old descriptor on a
 * CPU, and here until that return).  A new descriptor the register could
 * not hold leaves it with the old one. */
void vcpu_gdt_refresh(struct vcpu *v)
{
    struct cpu *c = this_cpu();
    unsigned n = (v->gdt_limit + 1u) / 8;
    if (n > VCPU_SHADOW_IDX)
        n = VCPU_SHADOW_IDX;
    if (n > REFRESH_MAX || vseg_mirror_stale(v, c) || !gdt_rewritten(v, c, n))
        return;
    __atomic_add_fetch(&v->guest->gdt_gen, 1, __ATOMIC_RELEASE);
    pushcli();
    remirror(v, c, v->tf, true);
    popcli();
}

/* Meanwhile a load in the guest kernel can meet a stale entry of the
 * mirror: Linux's way out pops GS from the entry the context switch just
 * wrote, and the mirror may still hold the previous task's empty one.  A
 * #GP, #NP, #SS or #TS naming a GDT entry that differs in memory from the
 * mirror makes the mirror again (true: the instruction runs again), as the
 * CPU would have read the new entry; a fault the entry in memory explains
 * is the guest's. */
static bool reread(struct vcpu *v, unsigned i)
{
    uint64_t e;
    if (!i || i >= VCPU_SHADOW_IDX || i * 8u + 7 > v->gdt_limit || !gmem_peek_lin(v, v->gdt_base + i * 8u, &e, 8) ||
        seg_mirror(e) == this_cpu()->gdt[i])
        return false;
    vcpu_mirror_gdt(v);
    codepage_gdt_loaded(v);                          /* a far jump's target it makes code, say */
    return true;
}

bool vcpu_gdt_stale_fault(struct vcpu *v, const struct trapframe *tf)
{
    unsigned vec = (unsigned)tf->vector;
    return (vec == 10 || vec == 11 || vec == 12 || vec == 13) && !(tf->error & 7) &&
           reread(v, (unsigned)(tf->error >> 3));
}

/* The same for a load the host makes for the guest (a far transfer it
 * carries out, host/vmm/branch.c): the entry as the CPU would read it. */
void vcpu_gdt_reread(struct vcpu *v, uint16_t sel)
{
    if (!sel_ldt(sel))
        reread(v, sel_index(sel));
}

/* Inside a trap the registers are live: ES DS FS GS still hold the
 * guest's (the host never reloads them), CS and SS are in the frame; and
 * this CPU's tables agree with what each holds (repoint keeps them so). */
uint16_t vcpu_seg_sel(const struct vcpu *v, unsigned seg)
{
    uint16_t s = 0;
    switch (seg) {
    case SEG_ES: __asm__ volatile("mov %%es, %0" : "=r"(s)); break;
    case SEG_CS: s = (uint16_t)v->tf->cs; break;
    case SEG_SS: s = (uint16_t)v->tf->ss; break;
    case SEG_DS: __asm__ volatile("mov %%ds, %0" : "=r"(s)); break;
    case SEG_FS: __asm__ volatile("mov %%fs, %0" : "=r"(s)); break;
    default:     __asm__ volatile("mov %%gs, %0" : "=r"(s)); break;
    }
    return s;
}

uint64_t vcpu_seg_cache(const struct vcpu *v, unsigned seg)
{
    uint16_t s = vcpu_seg_sel(v, seg);
    return sel_null(s) ? 0 : vcpu_descriptor(v, s);
}

/* lldt: the new table into this CPU's LDT now (the others', when a vCPU
 * of the guest next runs there), keeping what the live registers hold. */
void vcpu_mirror_ldt(struct vcpu *v, uint16_t ldtr, uint32_t base, uint32_t limit)
{
    __atomic_add_fetch(&v->guest->ldt_gen, 1, __ATOMIC_RELEASE);
    pushcli();
    struct cpu *c = this_cpu();
    struct trapframe *tf = v->tf;
    uint16_t sel[VCPU_NSEGS], before[VCPU_NSEGS];
    live_selectors(tf, sel);
    memcpy(before, sel, sizeof sel);
    capture(v, c, sel);                              /* with the table they were loaded from */
    v->ldtr = ldtr;
    v->ldt_base = base;
    v->ldt_limit = limit;
    load_ldt(v, c);
    repoint(v, c, sel);
    if (memcmp(&sel[SEG_DS], &before[SEG_DS], 3 * sizeof sel[0]) || sel[SEG_ES] != before[SEG_ES])
        load_data_segments(v, c, sel, rdmsr(MSR_KERNEL_GS));
    tf->cs = sel[SEG_CS];
    tf->ss = sel[SEG_SS];
    popcli();
}

/* The selector the guest believes a register holds. */
uint16_t vcpu_guest_sel(const struct vcpu *v, uint16_t real)
{
    return is_shadow(real) ? v->seg_shown[sel_index(real) - VCPU_SHADOW_IDX] : real;
}

/* The descriptor behind a selector in this CPU's tables, 0 for an index
 * beyond the guest's GDT or LDT limit. */
uint64_t vcpu_descriptor(const struct vcpu *v, uint16_t sel)
{
    unsigned i = sel_index(sel);
    if (!sel_ldt(sel) && !is_shadow(sel) && i * 8u + 7 > v->gdt_limit)
        return 0;
    return table_entry(v, this_cpu(), sel);
}
