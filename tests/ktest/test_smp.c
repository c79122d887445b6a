/* In-kernel tests of SMP: per-CPU data, IPIs, TLB shootdown, spinlocks. */
#include "tests/ktest/ktest.h"
#include "tests/ktest/util.h"
#include "smp/ipi.h"
#include "smp/lapic.h"
#include "smp/smp.h"
#include "kernel/vm.h"
#include "kernel/pmm.h"
#include "kernel/x86.h"

KTEST(cpus_all_online)
{
    KT_EQ(ncpus, smp_listed_cpus());
    for (unsigned i = 0; i < ncpus; i++)
        KT_ASSERT(cpu_of(i)->online);
}

/* Every CPU runs with the control registers the BSP has: an AP comes out of
 * INIT with caches off (CR0.CD and NW) and needs the trampoline's and
 * cpu_setup's every step.  TS is left out: it follows the FPU's owner. */
static uint64_t cr0_of[MAX_CPUS], cr4_of[MAX_CPUS], efer_of[MAX_CPUS];

static void read_controls(void *arg)
{
    (void)arg;
    unsigned me = this_cpu()->id;
    cr0_of[me] = read_cr0() & ~CR0_TS;
    cr4_of[me] = read_cr4();
    efer_of[me] = rdmsr(MSR_EFER);
}

KTEST(cpus_same_control_registers)
{
    for (unsigned i = 0; i < ncpus; i++)
        ipi_call(i, read_controls, 0);
    KT_EQ(cr0_of[0] & (CR0_CD | CR0_NW), 0);
    for (unsigned i = 1; i < ncpus; i++) {
        KT_EQ(cr0_of[i], cr0_of[0]);
        KT_EQ(cr4_of[i], cr4_of[0]);
        KT_EQ(efer_of[i], efer_of[0]);
    }
}

static volatile unsigned hits[MAX_CPUS];
static volatile unsigned bad_percpu;

static void count_hit(void *arg)
{
    (void)arg;
    struct cpu *c = this_cpu();
    if (c != cpu_of(c->id) || c->apic_id != lapic_id() || (read_flags() & EFLAGS_IF))
        bad_percpu++;
    __atomic_add_fetch(&hits[c->id], 1, __ATOMIC_RELAXED);
}

KTEST(percpu_and_ipi_call)
{
    for (unsigned i = 0; i < MAX_CPUS; i++) hits[i] = 0;
    bad_percpu = 0;
    for (unsigned i = 0; i < ncpus; i++)
        ipi_call(i, count_hit, 0);
    for (unsigned i = 0; i < ncpus; i++)
        KT_EQ(hits[i], 1);
    KT_EQ(bad_percpu, 0);
}

static void call_all_many(void *arg)
{
    unsigned rounds = (uintptr_t)arg;
    for (unsigned r = 0; r < rounds; r++)
        ipi_call_all(count_hit, 0);
}

/* Every CPU calls every CPU at once: each call must run exactly once. */
KTEST(ipi_call_all_storm)
{
    for (unsigned i = 0; i < MAX_CPUS; i++) hits[i] = 0;
    const unsigned rounds = 50;
    KT_EQ(kt_run_on_each_cpu(call_all_many, (void *)(uintptr_t)rounds, 1), 0);
    for (unsigned i = 0; i < ncpus; i++)
        KT_EQ(hits[i], rounds * ncpus);
}

static volatile uint64_t tlb_seen_stale;
static volatile bool tlb_stop;
static volatile uint64_t tlb_generation;      /* the sentinel every reader must see */
static volatile unsigned tlb_readers_ready;
#define TLB_VA (VM_TEST_WINDOW + 0x20000)

static void tlb_reader(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&tlb_readers_ready, 1, __ATOMIC_RELAXED);
    while (!tlb_stop) {
        uint64_t gen = __atomic_load_n(&tlb_generation, __ATOMIC_ACQUIRE);
        uint64_t v = *(volatile uint64_t *)TLB_VA;
        /* a mapping published as generation gen (or later) must show >= gen */
        if (v < gen)
            __atomic_add_fetch(&tlb_seen_stale, 1, __ATOMIC_RELAXED);
    }
}

/* One CPU remaps a page between two frames holding increasing sentinels
 * while the others read through it; a stale TLB entry shows an old one. */
KTEST_CPUS(tlb_shootdown_no_stale, 2)
{
    uint64_t *frame[2] = { page_alloc(1), page_alloc(1) };
    KT_ASSERT(frame[0] && frame[1]);
    frame[0][0] = 1;
    tlb_generation = 1;
    tlb_seen_stale = 0;
    tlb_stop = false;
    tlb_readers_ready = 0;
    vm_map(TLB_VA, virt_to_phys(frame[0]), PTE_W | PTE_NX);
    struct thread *r[MAX_CPUS] = { 0 };
    for (unsigned i = 1; i < ncpus; i++)
        r[i] = thread_create_on("tlb-reader", tlb_reader, 0, (cpumask_t)1 << i);
    thread_set_affinity(1);                        /* the writer stays on CPU 0 */
    while (tlb_readers_ready < ncpus - 1)
        thread_yield();
    for (uint64_t gen = 2; gen < 200; gen++) {
        uint64_t *next = frame[gen & 1];
        next[0] = gen;
        vm_map(TLB_VA, virt_to_phys(next), PTE_W | PTE_NX);   /* the PTE changes in place */
        tlb_shootdown(TLB_VA, 1);
        __atomic_store_n(&tlb_generation, gen, __ATOMIC_RELEASE);
        if (gen % 16 == 0) thread_yield();
    }
    tlb_stop = true;
    for (unsigned i = 1; i < ncpus; i++)
        if (r[i]) thread_join(r[i]);
    thread_set_affinity(CPUMASK_ALL);
    vm_unmap(TLB_VA);
    tlb_shootdown(TLB_VA, 1);
    page_free(frame[0], 1);
    page_free(frame[1], 1);
    KT_EQ(tlb_seen_stale, 0);
}

static struct spinlock test_lock = SPINLOCK_INIT("ktest");
static volatile uint64_t shared_counter;
#define SPIN_ROUNDS 2000

static void spin_add(void *arg)
{
    bool irq = arg;
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        if (irq) spin_lock_irq(&test_lock); else spin_lock(&test_lock);
        shared_counter = shared_counter + 1;      /* not atomic: the lock must be */
        if (irq) spin_unlock_irq(&test_lock); else spin_unlock(&test_lock);
    }
}

KTEST(spinlock_exact_count)
{
    shared_counter = 0;
    KT_EQ(kt_run_on_each_cpu(spin_add, (void *)0, 1), 0);
    KT_EQ(shared_counter, (uint64_t)SPIN_ROUNDS * ncpus);
}

KTEST(spinlock_irq_exact_count)
{
    shared_counter = 0;
    KT_EQ(kt_run_on_each_cpu(spin_add, (void *)1, 1), 0);
    KT_EQ(shared_counter, (uint64_t)SPIN_ROUNDS * ncpus);
}

KTEST(spinlock_records_owner)
{
    spin_lock(&test_lock);
    KT_ASSERT(spin_held(&test_lock));
    KT_EQ(test_lock.owner, this_cpu()->id);
    KT_ASSERT(test_lock.caller != 0);
    spin_unlock(&test_lock);
    KT_ASSERT(!spin_held(&test_lock));
    KT_EQ(test_lock.owner, -1);
}
