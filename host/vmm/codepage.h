/*
 * Scan-on-execute (issue 13): guest code is scanned for the sensitive
 * instructions that do not trap in ring 1 (host/vmm/scan.c) when it is
 * first executed, not when the image is loaded, so that no symbol is needed
 * and code the guest writes, copies or loads at run time is scanned too.
 *
 * Every page of guest RAM is in one of three states, kept here by
 * guest-physical page:
 *   unscanned  writable, not executable (NX): a fetch from it faults;
 *   scanned    executable, read-only: a write to it faults;
 *   written    scanned, but written beside its scanned instructions since:
 *              read-only and NX.
 * A fetch fault scans from the faulting instruction (following control
 * flow into other pages, as the load-time scan does, and marking every page
 * it decodes an instruction in), patches, and makes those pages scanned.  A
 * write fault to a scanned page drops its scan: its patched bytes are
 * restored exactly (the originals are the side table's, host/vmm/sites.h),
 * its patches leave the table, and it is writable and NX again, so the next
 * fetch rescans it.  Patches are keyed by guest-physical address.  A write
 * to bytes of a scanned page that no scanned instruction covers (data
 * beside code) keeps the scan: the writing instruction is single-stepped
 * with the page writable, and then the page is written.  The bytes just
 * written may be code the guest runs next (copied there, generated, a
 * pushf written where nothing was scanned), and while the page stayed
 * executable nothing would scan them: so the next fetch from the page
 * faults, scans from where it is (cheap where that is scanned already:
 * the scan stops at what it has seen) and makes the page scanned again.
 * The host's own writes for the guest (codepage_written) do the same.
 * What that leaves unseen is code written beside, reached only after other
 * code of the same page ran again, through a pointer (below).

 * An instruction that starts on page A and ends on page B makes the two
 * one unit: the CPU needs both executable to run it, and its length (where
 * B's next instruction starts) depends on both.  So a page whose last
 * instruction runs on into the next (the "straddle" link) is dropped with
 * it, either way round.
 *
 * Entry points into a page from the other pages (a call, a jump, a fall-
 * through across the boundary) are remembered with the page, with the
 * generation of the page they came from: a page dropped and rescanned is
 * scanned again from all those still valid, not only from the instruction
 * that faulted, since the other pages may still branch there without
 * faulting.
 *
 * What a scan cannot know: an indirect branch (a function pointer, a jump
 * table) into a page that is already scanned, at an address no scan has
 * reached, runs that code unpatched (the page is executable).  Entry points
 * the host learns of are scanned when it learns them (the guest's IDT
 * gates at delivery, scan_entry); symbols, where the image has them, seed
 * a warm start at load (host/vmm/guest.c).  A guest that reads its own
 * scanned code sees the trap bytes (as under any patching hypervisor):
 * code copied from where it already ran keeps them.
 *
 * ---- paging off -------------------------------------------------------
 * The guest runs on g->root, which maps its RAM at linear == physical, one
 * address space for all its vCPUs; the page states above are the
 * permissions of g->root's own entries.  The host's accesses to guest
 * memory go through the direct map and never fault; host writes made for
 * the guest (string I/O, pushes) call codepage_written.
 *
 * TLBs.  The guest's vCPUs run on several CPUs with the same g->root, and a
 * CPU may keep entries from earlier.  Every permission change is made
 * under the guest kernel lock (only one vCPU runs guest code at a time) and
 * bumps g->codepages.tlb_gen; the changing CPU invalidates its own entry at
 * once.  A CPU about to run guest code — a vCPU taking the lock
 * (vcpu_lock) or switched in while it holds it (vcpu_switch_in, when a
 * vCPU migrates) — compares the generation with the last this CPU saw for
 * this guest (cpu_gen) and flushes its TLB if they differ
 * (codepage_tlb_check).  So no CPU runs guest code with an entry older
 * than the last change: none executes an unscanned page or writes a
 * scanned one.  (Peeled natives running outside the lock touch guest
 * memory through the direct map: not guest fetches, not these entries.)
 *
 * ---- paging on (the shadow page tables, host/vmm/shadow.c) -------------
 * Pages, seen-maps, entries, straddle links and patches stay keyed by
 * guest-physical page; the scanner decodes and follows branches by
 * guest-linear address, translating each page it enters through the
 * vCPU's tables as a lookup (gmem_phys_peek: no Accessed or Dirty set, as
 * a scan is no access of the CPU's); a branch to a page not mapped ends
 * that path (its first fetch faults later, and scans then).  The shadow
 * builds the guest's mappings per vCPU and consults this file:
 *   - a leaf may be executable only if codepage_may_exec(g, gpa) (scanned
 *     and not written, or held by the host's single step), and must be
 *     read-only if codepage_read_only(g, gpa) (scanned, but not stepped);
 *   - a fetch fault (the host's PF_I) on a page that may not run, with the
 *     guest's tables allowing the fetch: codepage_paged_fault(write false)
 *     scans from the instruction (CS base + EIP) as with paging off; then
 *     the leaf is filled as the two say.  A fetch that fills an absent leaf
 *     of a scanned page at an instruction no scan reached scans from it
 *     first too (a pointer or a gate into a page already scanned);
 *   - a write fault on a page codepage_read_only, with the guest's tables
 *     allowing the write: codepage_paged_fault(write true) drops the scan
 *     or steps the write, as with paging off;
 *   - when a page loses a permission (scanned: no more writes; dropped or
 *     written: no more fetches), codepage_publish calls g->codepages.
 *     dropped (the shadow sets it: shadow_flush_guest), so that every
 *     vCPU's shadow forgets its leaves before guest code runs again (the
 *     calling vCPU's at once, the others' when they take the guest kernel
 *     lock).  g->root's entries follow the states too, for vCPUs with
 *     paging off.
 * The emulator's side-table lookups (host/vmm/emulate.c classify) use the
 * guest-physical address of EIP then, not the linear one; entry points the
 * host learns (IDT gates at delivery, far targets after lgdt:
 * codepage_entry_point) are translated through the vCPU's tables.
 *
 * Everything here runs under the guest kernel lock, or before the guest runs.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "smp/percpu.h"

struct guest;
struct vcpu;
struct trapframe;

/* A branch into a page from another (from, at that page's generation gen) */
struct codepage_entry {
    uint32_t from, gen;
    uint16_t offset;
};

#define CODEPAGE_MAP (4096 / 8)

struct codepage {
    /* Three maps of one bit per byte, CODEPAGE_MAP bytes each: a scanned
     * instruction starts there; a scanned instruction's bytes are there;
     * a patch block displaced the byte (not its first: host/vmm/scan.c).
     * NULL: not scanned. */
    uint8_t *seen;
    uint32_t next;           /* 1 + the page this one's last instruction runs on into, or 0 */
    uint32_t prev;           /* 1 + a page whose last instruction runs on into this one, or 0 */
    bool prev_many;          /* more than one (paging: other mappings): look them all up */
    uint32_t gen;            /* bumped at every drop: entries recorded from it before are stale */
    bool written;            /* scanned, but written beside its code since: NX until a fetch scans */
    uint32_t block_lin;      /* 1 + the linear page its patch blocks were made for (paging on), or 0 */
    struct codepage_ghost *ghost;   /* dropped by codepage_drop_remember, not scanned since */
    struct codepage_entry *in;
    uint32_t nin, capin;
};

/* What a page dropped by codepage_drop_remember held: where its scanned
 * instructions started, and its bytes (its own, patches undone). */
struct codepage_ghost {
    uint8_t seen[CODEPAGE_MAP];
    uint8_t bytes[4096];
};

struct codepages {
    struct codepage *page;   /* one per page of guest RAM */
    uint32_t npages;
    uint32_t tlb_gen;        /* bumped at every change of g->root's permissions */
    uint32_t cpu_gen[MAX_CPUS];   /* the tlb_gen each CPU's TLB is at least as new as */
    uint32_t drop_gen;       /* bumped at every drop */
    bool shrunk;             /* a page lost W or X since the last codepage_publish */
    void (*dropped)(struct guest *g);     /* the shadow's flush, with paging on */
    /* The host's single step over a write from code on a page it drops
     * (self-modifying code): 1 + the pages mapped writable and executable
     * for that one instruction, and the guest's own TF */
    uint32_t step[4];
    bool stepping, step_guest_tf;
    uint32_t step_eip;               /* where the step began */
    struct codepage_far { uint16_t sel; uint32_t offset; } *far;   /* codepage_far_pending's */
    uint32_t nfar, capfar;
    uint64_t fetch_faults, write_faults, pages_scanned, drops, host_writes, steps;
};

/* Guest-linear to guest-physical for a scan that follows control flow
 * from page to page: false if lin is not mapped (the path ends there).
 * NULL: paging off, linear == physical. */
struct codepage_space {
    bool (*phys)(void *ctx, uint32_t lin, uint32_t *gpa);
    void *ctx;
};

/* ---- for the scanner (host/vmm/scan.c) ---- */
/* A direct far transfer met before the guest had a GDT, or to a selector
 * its GDT does not make code yet: scanned when an lgdt makes it code
 * (codepage_gdt_loaded, from the lgdt's emulation).  False if out of
 * memory. */
bool codepage_far_pending(struct guest *g, uint16_t sel, uint32_t offset);
void codepage_gdt_loaded(struct vcpu *v);
/* The scan decodes an instruction on page pfn: it is scanned from now on
 * (paging off: executable, read-only).  False if out of memory. */
bool codepage_begin(struct guest *g, uint32_t pfn);
/* The page's one-bit-per-byte map of instruction starts (NULL: not scanned) */
static inline uint8_t *codepage_seen(struct codepages *c, uint32_t gpa)
{
    return (gpa >> 12) < c->npages ? c->page[gpa >> 12].seen : 0;
}
/* An instruction on page pfn runs on into page next. */
void codepage_link(struct guest *g, uint32_t pfn, uint32_t next);
/* Control flow from page from enters page gpa >> 12 at gpa. */
bool codepage_entry(struct guest *g, uint32_t from, uint32_t gpa);
/* fn(ctx, offset) for each entry into page pfn that other pages' code,
 * unchanged since, still makes; false as soon as fn is. */
bool codepage_each_entry(struct guest *g, uint32_t pfn, bool (*fn)(void *ctx, uint16_t offset), void *ctx);

/* At guest creation: every page unscanned (make_memory maps them NX). */
bool codepage_init(struct guest *g);
void codepage_free(struct guest *g);

/* Is the page at gpa scanned (its code found, and patched)? */
bool codepage_scanned(const struct guest *g, uint32_t gpa);
/* What a mapping of the page at gpa may allow (g->root's with paging off,
 * every shadow leaf with paging on): executable (scanned and not written
 * since, or held by the host's single step), and never writable (scanned,
 * but for the single step). */
bool codepage_may_exec(const struct guest *g, uint32_t gpa);
bool codepage_read_only(const struct guest *g, uint32_t gpa);
/* After a change: if a page lost a permission, the shadows' entries go
 * (g->codepages.dropped).  Every public call that changes pages ends
 * with it; scan_run too. */
void codepage_publish(struct guest *g);
/* An entry point the host learns of at run time at guest-linear lin,
 * through v's tables (an IDT gate at delivery, a far jump's target after
 * lgdt): scanned now if its page is scanned already, since no fetch fault
 * would come, as code of `bits` (desc_code_bits of the CS it runs under).
 * False if out of memory. */
bool codepage_entry_point(struct vcpu *v, uint32_t lin, unsigned bits);
/* The same, scanning now even where the page was not scanned yet: true
 * only if an instruction is known to start at lin afterwards (a jump
 * table's entry, before its jmp stops trapping: branch.c). */
bool codepage_entry_scanned(struct vcpu *v, uint32_t lin, unsigned bits);

/* A fetch fault at guest-linear lin (physical gpa) in an unscanned page, or
 * at an address of a scanned page no scan has reached: scan from it (as
 * code of `bits`, its CS's desc_code_bits), patch,
 * and (paging off) map the pages it covered executable and read-only.
 * False if out of memory (the guest must be stopped). */
bool codepage_fetch(struct guest *g, uint32_t lin, uint32_t gpa, const struct codepage_space *sp, unsigned bits);
/* A write to a scanned page: drop its scan (and its straddle partners'),
 * restore their bytes, (paging off) map them writable and NX. */
void codepage_drop(struct guest *g, uint32_t gpa);
/* The same, its bytes unchanged (patch blocks made for another way of
 * running: host/vmm/blocks.c): the next scan that reaches the page, if
 * its bytes are still these, starts again from every instruction the page
 * had (a ret into it from a frame still on a stack finds its code scanned). */
void codepage_drop_remember(struct guest *g, uint32_t gpa);
/* The ghost of page pfn if its bytes are still those, else NULL; given
 * to the caller (kfree), the page's forgotten either way. */
struct codepage_ghost *codepage_take_ghost(struct guest *g, uint32_t pfn);
/* The host wrote [gpa, gpa + len) for the guest: drop the scanned pages
 * whose scanned instructions it wrote over. */
void codepage_written(struct guest *g, uint64_t gpa, uint64_t len);

/* Paging off: a #PF from the guest in its own RAM that is the host's
 * (a fetch of an unscanned page, a write to a scanned one): handled, true
 * (the guest stopped if the host has no memory left to scan it).  False:
 * not one of ours (the caller reports it). */
bool codepage_fault(struct vcpu *v, struct trapframe *tf, uint32_t cr2);
/* Paging on: the shadow's fault at guest-linear lin (physical gpa, the
 * guest's tables allowing the access) on a page codepage_may_exec forbids
 * fetching from (write false) or codepage_read_only forbids writing (write
 * true): scanned, or its scan dropped or kept with the write stepped, as
 * with paging off; then the shadow fills its entry as the two say.  False
 * if the guest was stopped (out of memory for the scan). */
bool codepage_paged_fault(struct vcpu *v, struct trapframe *tf, uint32_t lin, uint32_t gpa, bool write);
/* The host's single step over a write to a page from code on that same
 * page: at every trap while it lasts.  True if the trap was the step's own
 * #DB and is over. */
bool codepage_step_trap(struct vcpu *v, struct trapframe *tf);
/* The stepped instruction raised a #PF of the guest's own (paging on):
 * the step ends here, before the fault is delivered, so that the guest's
 * handler neither runs with the step's pages nor sees the host's TF in the
 * flags it is given. */
void codepage_step_abort(struct vcpu *v, struct trapframe *tf);
/* The patch at gpa undone (its original byte back, its entry gone), the
 * page's scan kept: a jump table's jmp whose entries are all scanned. */
void codepage_unpatch(struct guest *g, uint32_t gpa);
/* Before this CPU runs guest code: flush its TLB if g->root changed since. */
void codepage_tlb_check(struct guest *g);
/* g->root's entry *pte (page pfn) becomes want, under the protocol above
 * (the generation bumped, this CPU's entry invalidated): every change to
 * g->root's entries of guest RAM goes through it (ROM steps: rom.c). */
void codepage_root_store(struct guest *g, uint32_t pfn, uint64_t *pte, uint64_t want);
