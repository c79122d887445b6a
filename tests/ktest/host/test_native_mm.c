/*
 * The mm peel's natives (host/natives/classic/mm.c) as vCPUs outside the guest
 * kernel lock call them: two threads per CPU, free to migrate and preempted
 * by each other, all making their first call at once (the state is made by
 * one of them), then allocating and freeing.  No object may be handed out
 * twice, the owned count must end exact, and release leaves no heap behind
 * (the runner's leak check).  The guest is a bare record: no RAM (nothing
 * is zeroed), no kept variable, and not running, so a refused kfree ends
 * nothing.
 */
#include "tests/ktest/ktest.h"
#include "tests/ktest/util.h"
#include "host/vmm/guest.h"
#include "host/peel/natives.h"
#include "host/peel/peel.h"
#include "kernel/heap.h"
#include "kernel/string.h"

#define GRANULES (GUEST_POOL_MM_SIZE / 16)
#define HOLD 32
#define ROUNDS 4000

struct mm_run {
    struct guest *g;
    const struct native_subsystem *mm;
    const struct native *alloc, *free;
    uint8_t *owner;                          /* per 16-byte granule: 1 while handed out */
    volatile unsigned ready, threads;
    volatile unsigned dup, lost;
};

static uint32_t call(const struct native *n, struct guest *g, uint32_t arg)
{
    uint32_t ret = 0;
    if (!n->fn(g, &arg, &ret))
        return 0xffffffffu;                  /* declined: not expected here */
    return ret;
}

static void claim(struct mm_run *r, uint32_t at, uint32_t size, uint8_t to)
{
    uint32_t first = (at - GUEST_POOL_BASE(r->g)) / 16, n = (size + 15) / 16;
    for (uint32_t i = 0; i < (n ? n : 1); i++)
        if (__atomic_exchange_n(&r->owner[first + i], to, __ATOMIC_RELAXED) == to)
            __atomic_add_fetch(&r->dup, 1, __ATOMIC_RELAXED);
}

static void mm_worker(void *arg)
{
    struct mm_run *r = arg;
    uint32_t at[HOLD] = { 0 }, size[HOLD] = { 0 }, x = 0x9e3779b9u * (1 + __atomic_add_fetch(&r->ready, 1, __ATOMIC_RELAXED));
    while (r->ready < r->threads)
        thread_yield();                      /* first calls all at once */
    for (unsigned i = 0; i < ROUNDS; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        unsigned k = x % HOLD;
        if (at[k]) {
            claim(r, at[k], size[k], 0);
            call(r->free, r->g, at[k]);
            at[k] = 0;
            continue;
        }
        size[k] = x >> 8 & 1 ? (x >> 9) % 512 : (x >> 9) % 9000;
        at[k] = call(r->alloc, r->g, size[k]);
        if (at[k] == 0xffffffffu || at[k] < GUEST_POOL_BASE(r->g) || at[k] >= GUEST_POOL_BASE(r->g) + GUEST_POOL_MM_SIZE) {
            __atomic_add_fetch(&r->lost, 1, __ATOMIC_RELAXED);
            at[k] = 0;
        } else {
            claim(r, at[k], size[k], 1);
        }
    }
    for (unsigned k = 0; k < HOLD; k++)
        if (at[k]) {
            claim(r, at[k], size[k], 0);
            call(r->free, r->g, at[k]);
        }
}

KTEST(native_mm_many_cpus)
{
    static struct mm_run r;
    r = (struct mm_run){ .mm = native_subsystem_find("mm") };
    KT_ASSERT(r.mm && r.mm->owned && r.mm->release);
    r.alloc = native_find("mm_alloc", 0);
    r.free = native_find("mm_free", 0);
    KT_ASSERT(r.alloc && r.free);
    r.g = kzalloc(sizeof *r.g);
    r.owner = kzalloc(GRANULES);
    KT_ASSERT(r.g && r.owner);
    r.g->pool_base = GUEST_RAM_DEFAULT - GUEST_POOL_SIZE;      /* where guest_start puts it */
    r.g->natives = kzalloc(sizeof *r.g->natives);   /* what the peel framework's start hook makes */
    r.g->peels = kzalloc(sizeof *r.g->peels);
    KT_ASSERT(r.g->natives && r.g->peels);
    memcpy(r.g->name, "ktest", 6);
    unsigned n = 2 * ncpus;
    r.threads = n;
    struct thread *t[2 * MAX_CPUS];
    for (unsigned i = 0; i < n; i++)
        if (!(t[i] = thread_create_on("kt-mm", mm_worker, &r, cpus_online())))
            __atomic_sub_fetch(&r.threads, 1, __ATOMIC_RELAXED);   /* the others need not wait for it */
    for (unsigned i = 0; i < n; i++)
        if (t[i]) thread_join(t[i]);
    uint64_t owned = r.mm->owned(r.g);
    uint32_t held = call(r.alloc, r.g, 100);
    call(r.free, r.g, held + 16);                                  /* refused (and the guest is not running) */
    call(r.free, r.g, GUEST_POOL_BASE(r.g) + 8);
    uint64_t owned_held = r.mm->owned(r.g);
    call(r.free, r.g, held);
    natives_release(r.g);
    KT_EQ(native_state(r.g, r.mm) == 0, 1);
    kfree(r.owner);
    kfree(r.g->natives);
    kfree(r.g->peels);
    kfree(r.g);
    KT_EQ(r.dup, 0);
    KT_EQ(r.lost, 0);
    KT_EQ(owned, 0);
    KT_EQ(owned_held, 1);
    KT_EQ(r.threads, n);
}
