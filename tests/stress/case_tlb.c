/*
 * TLB shootdown: CPU 0 remaps a few pages of the test window over and over,
 * each time to a frame holding the next generation number, while readers on
 * every CPU read through the same addresses.  The PTE is overwritten in
 * place, never left empty, so a reader never faults; it only ever sees an
 * old frame if its TLB kept a stale entry after the shootdown returned:
 * a value below the generation published before the read.
 * tlb-broken skips the shootdown (only the writer's own invlpg remains) and
 * must be caught; on one CPU it cannot be, so it needs two.
 */
#include "tests/stress/stress.h"
#include "smp/ipi.h"
#include "kernel/pmm.h"
#include "kernel/vm.h"

#define NPAGES 4
#define TLB_VA (VM_TEST_WINDOW + 0x100000)   /* inside the window's first page table */

static struct {
    bool broken;
    uint64_t *frame[NPAGES][2];
    volatile uint64_t generation;
    uint64_t stale, reads;
} s;

static uint64_t va_of(unsigned p) { return TLB_VA + p * PAGE_SIZE; }

static void remap_all(uint64_t gen)
{
    for (unsigned p = 0; p < NPAGES; p++) {
        uint64_t *f = s.frame[p][gen & 1];
        f[0] = gen;                         /* before the PTE points at it (TSO) */
        vm_map(va_of(p), virt_to_phys(f), PTE_W | PTE_NX);
    }
}

static void writer(struct stress_run *r)
{
    uint64_t gen = s.generation;
    while (stress_running(r)) {
        remap_all(++gen);
        if (!s.broken)
            tlb_shootdown(TLB_VA, NPAGES);
        __atomic_store_n(&s.generation, gen, __ATOMIC_RELEASE);
        stress_add_ops(r, NPAGES);
    }
}

static void reader(struct stress_run *r)
{
    uint64_t stale = 0, reads = 0;
    while (stress_running(r)) {
        uint64_t gen = __atomic_load_n(&s.generation, __ATOMIC_ACQUIRE);
        for (unsigned p = 0; p < NPAGES; p++)
            stale += *(volatile uint64_t *)va_of(p) < gen;   /* published before we looked */
        reads += NPAGES;
    }
    __atomic_add_fetch(&s.stale, stale, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s.reads, reads, __ATOMIC_RELAXED);
}

static void work(struct stress_run *r, unsigned cpu, unsigned slot)
{
    if (cpu == 0 && slot == 0)
        writer(r);
    else
        reader(r);
}

/* Frames and the first mapping are made before failalloc is armed. */
static bool setup_common(struct stress_run *r, bool broken)
{
    s.broken = broken;
    s.stale = s.reads = 0;
    for (unsigned p = 0; p < NPAGES; p++) {
        for (unsigned i = 0; i < 2; i++) {
            s.frame[p][i] = page_alloc(1);
            if (!s.frame[p][i]) {
                stress_fail(r, "no frames");
                return false;
            }
        }
    }
    s.generation = 1;
    remap_all(1);
    tlb_shootdown(TLB_VA, NPAGES);
    return true;
}

static bool setup(struct stress_run *r)        { return setup_common(r, false); }
static bool setup_broken(struct stress_run *r) { return setup_common(r, true); }

static void finish(struct stress_run *r)
{
    for (unsigned p = 0; p < NPAGES; p++)
        vm_unmap(va_of(p));
    tlb_shootdown(TLB_VA, NPAGES);
    for (unsigned p = 0; p < NPAGES; p++) {
        for (unsigned i = 0; i < 2; i++) {
            if (s.frame[p][i])
                page_free(s.frame[p][i], 1);
            s.frame[p][i] = 0;
        }
    }
    if (s.stale)
        stress_fail(r, "%lu of %lu reads saw a stale mapping (%lu generations)", s.stale, s.reads,
                    s.generation);
    else
        stress_note(r, "%lu reads over %lu generations, none stale", s.reads, s.generation);
}

/* two per CPU: CPU 0 runs the writer and a reader, so one CPU still tests
 * the writer's own invalidation */
const struct stress_case stress_tlb =
    { "tlb-shootdown", 1, 2, 0, false, false, setup, work, finish };
const struct stress_case stress_tlb_broken =
    { "tlb-broken", 2, 2, 3, true, false, setup_broken, work, finish };
