/*
 * The mm peel's allocator (host/natives/classic/mm_pool.c) on the build machine: sizes and
 * classes, refusals (double free, foreign pointers), the owned count, the
 * per-CPU magazines, exhaustion, and threads hammering it as vCPUs would —
 * each thread a "CPU", or threads hopping between CPUs at every call.  A
 * deliberately broken pinning (every thread on CPU 0's magazines at once)
 * must be caught by the same hammer.  Every scenario ends with the pool's
 * own cross-check (mm_pool_check) and a leak check.
 *
 *   build/unit/mm_pool                 every case
 *   build/unit/mm_pool 'threads_*'     some of them (a cmocka filter)
 */
#define _GNU_SOURCE                          /* pthread_tryjoin_np */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "host/natives/classic/mm_pool.h"

#define PAGES 256
#define CPUS 4
#define GRANULE (1u << MM_MIN_SHIFT)

/* ---- the lock and pinning, as the kernel glue would give them -------------- */

struct harness {
    volatile bool spin;                      /* the pool lock: a test-and-set spin lock */
    pthread_mutex_t cpu_mutex[CPUS];         /* "preemption off" on a CPU: one thread at a time */
    bool hop;                                /* threads pick a CPU per call (migration) */
    bool busted;                             /* no exclusion: everyone is CPU 0 at once */
    unsigned broken;                         /* mm_pool_ops.broken calls */
    unsigned misuse;                         /* recursive lock, unbalanced pin */
};

static __thread unsigned my_cpu;             /* the "CPU" this thread runs on */
static __thread int holding, pinned;
static __thread unsigned hop_cpu;
static __thread uint64_t rng;

static uint64_t next_random(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return rng;
}

static void t_lock(void *ctx)
{
    struct harness *h = ctx;
    if (holding++) __atomic_fetch_add(&h->misuse, 1, __ATOMIC_RELAXED);
    while (__atomic_test_and_set(&h->spin, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&h->spin, __ATOMIC_RELAXED)) ;
}

static void t_unlock(void *ctx)
{
    struct harness *h = ctx;
    if (--holding) __atomic_fetch_add(&h->misuse, 1, __ATOMIC_RELAXED);
    __atomic_clear(&h->spin, __ATOMIC_RELEASE);
}

static unsigned t_pin(void *ctx)
{
    struct harness *h = ctx;
    if (pinned++) __atomic_fetch_add(&h->misuse, 1, __ATOMIC_RELAXED);
    if (h->busted) return 0;
    if (!h->hop) return my_cpu;
    hop_cpu = (unsigned)(next_random() % CPUS);
    pthread_mutex_lock(&h->cpu_mutex[hop_cpu]);
    return hop_cpu;
}

static void t_unpin(void *ctx)
{
    struct harness *h = ctx;
    if (--pinned) __atomic_fetch_add(&h->misuse, 1, __ATOMIC_RELAXED);
    if (h->hop && !h->busted) pthread_mutex_unlock(&h->cpu_mutex[hop_cpu]);
}

static void t_broken(void *ctx, const char *what, uint32_t off)
{
    struct harness *h = ctx;
    if (__atomic_fetch_add(&h->broken, 1, __ATOMIC_RELAXED) == 0)
        fprintf(stderr, "# broken: %s at 0x%x\n", what, off);
}

static struct harness H;
static struct mm_pool *pool;
static void *pool_mem;

static void make_pool(unsigned ncpus)
{
    memset(&H, 0, sizeof H);
    for (unsigned i = 0; i < CPUS; i++) pthread_mutex_init(&H.cpu_mutex[i], 0);
    size_t n = (mm_pool_bytes(PAGES, ncpus) + 63) & ~(size_t)63;
    pool_mem = aligned_alloc(64, n);
    assert_non_null(pool_mem);
    memset(pool_mem, 0, n);
    struct mm_pool_ops ops = { t_lock, t_unlock, t_pin, t_unpin, t_broken, &H };
    pool = mm_pool_init(pool_mem, PAGES, ncpus, &ops);
    assert_non_null(pool);
    my_cpu = 0;
    rng = 0x9e3779b97f4a7c15ull;
}

static int setup(void **s) { (void)s; make_pool(CPUS); return 0; }

/* The leak check around every case: books agree, nothing handed out is
 * left, and with the caches flushed every page is free again. */
static int teardown(void **s)
{
    (void)s;
    const char *why = mm_pool_check(pool);
    if (why) fail_msg("books: %s", why);
    assert_int_equal(mm_pool_owned(pool), 0);
    mm_pool_flush(pool);
    struct mm_pool_stats st;
    mm_pool_stats(pool, &st);
    assert_int_equal(st.cached, 0);
    assert_int_equal(st.pages_free, PAGES);
    assert_null(mm_pool_check(pool));
    assert_int_equal(H.broken, 0);
    assert_int_equal(H.misuse, 0);
    free(pool_mem);
    return 0;
}

static uint32_t alloc(uint32_t size, uint32_t *got)
{
    uint32_t g;
    uint32_t off = mm_pool_alloc(pool, size, got ? got : &g);
    assert_int_equal(pinned, 0);
    assert_int_equal(holding, 0);
    return off;
}

static void checked_books(void)
{
    const char *why = mm_pool_check(pool);
    if (why) fail_msg("books: %s", why);
}

/* ---- one thread ------------------------------------------------------------- */

static void classes_and_alignment(void **s)
{
    (void)s;
    static const struct { uint32_t size, got; } cases[] = {
        { 0, 16 }, { 1, 16 }, { 16, 16 }, { 17, 32 }, { 33, 64 }, { 100, 128 }, { 129, 256 },
        { 300, 512 }, { 1000, 1024 }, { 2048, 2048 }, { 2049, 4096 }, { 4096, 4096 },
        { 4097, 8192 }, { 3 * 4096 - 1, 3 * 4096 },
    };
    uint32_t offs[sizeof cases / sizeof cases[0]];
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t got;
        offs[i] = alloc(cases[i].size, &got);
        assert_int_not_equal(offs[i], MM_NONE);
        assert_int_equal(got, cases[i].got);
        assert_int_equal(offs[i] % (got < MM_PAGE ? got : MM_PAGE), 0);
    }
    assert_int_equal(mm_pool_owned(pool), sizeof cases / sizeof cases[0]);
    checked_books();
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_true(mm_pool_free(pool, offs[i]));
}

/* Random sizes, up to 400 live at once: no two live objects share a byte. */
static void no_overlap_random(void **s)
{
    (void)s;
    static uint32_t off[400], got[400];
    static uint8_t used[PAGES * MM_PAGE / GRANULE];
    memset(off, 0xff, sizeof off);
    for (int step = 0; step < 40000; step++) {
        unsigned k = (unsigned)(next_random() % 400);
        if (off[k] != MM_NONE) {
            for (uint32_t g = off[k] / GRANULE; g < (off[k] + got[k]) / GRANULE; g++) used[g] = 0;
            assert_true(mm_pool_free(pool, off[k]));
            off[k] = MM_NONE;
            continue;
        }
        uint32_t size = next_random() % 8 ? (uint32_t)(next_random() % 2100) : (uint32_t)(next_random() % 20000);
        off[k] = alloc(size, &got[k]);
        if (off[k] == MM_NONE) continue;
        for (uint32_t g = off[k] / GRANULE; g < (off[k] + got[k]) / GRANULE; g++) {
            if (used[g]) fail_msg("step %d: granule %u handed out twice", step, g);
            used[g] = 1;
        }
        if (step % 5000 == 0) checked_books();
    }
    checked_books();
    for (unsigned k = 0; k < 400; k++)
        if (off[k] != MM_NONE) assert_true(mm_pool_free(pool, off[k]));
}

static void double_free_refused(void **s)
{
    (void)s;
    uint32_t small = alloc(40, 0), big = alloc(3 * MM_PAGE, 0);
    assert_true(mm_pool_free(pool, small));
    assert_false(mm_pool_free(pool, small));          /* now in this CPU's magazine */
    assert_true(mm_pool_free(pool, big));
    assert_false(mm_pool_free(pool, big));            /* its pages are free */
    assert_int_equal(mm_pool_owned(pool), 0);
    checked_books();
}

static void foreign_pointers_refused(void **s)
{
    (void)s;
    uint32_t obj = alloc(64, 0), run = alloc(2 * MM_PAGE, 0), freed = alloc(64, 0);
    assert_true(mm_pool_free(pool, freed));
    const uint32_t bad[] = {
        obj + 16, obj + 1, obj + 63,                  /* inside a live object */
        run + MM_PAGE, run + 16,                      /* inside a run of pages */
        freed,                                        /* cached: not live */
        (PAGES - 1) * MM_PAGE,                        /* a page never handed out */
        PAGES * MM_PAGE, 0xfffffff0u, MM_NONE,        /* beyond the pool */
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (mm_pool_free(pool, bad[i])) fail_msg("0x%x freed", bad[i]);
    assert_int_equal(mm_pool_owned(pool), 2);
    checked_books();
    assert_true(mm_pool_free(pool, obj));
    assert_true(mm_pool_free(pool, run));
}

/* Owned counts what the guest holds, not what sits in the caches. */
static void owned_counts_live_only(void **s)
{
    (void)s;
    uint32_t offs[100];
    for (int i = 0; i < 100; i++) offs[i] = alloc(32, 0);
    assert_int_equal(mm_pool_owned(pool), 100);
    for (int i = 0; i < 100; i++) assert_true(mm_pool_free(pool, offs[i]));
    assert_int_equal(mm_pool_owned(pool), 0);
    struct mm_pool_stats st;
    mm_pool_stats(pool, &st);
    assert_true(st.cached > 0);
    assert_int_equal(st.allocs, 100);
    assert_int_equal(st.frees, 100);
    assert_true(st.locked < 20);                      /* most calls never took the lock */
}

static void magazines_bounded(void **s)
{
    (void)s;
    static uint32_t offs[2000];
    for (unsigned c = 0; c < MM_CLASSES; c++) {
        uint32_t n = 2000 < PAGES * (MM_PAGE >> (c + MM_MIN_SHIFT)) / 2 ? 2000 : PAGES * (MM_PAGE >> (c + MM_MIN_SHIFT)) / 2;
        for (uint32_t i = 0; i < n; i++) assert_int_not_equal(offs[i] = alloc(1u << (c + MM_MIN_SHIFT), 0), MM_NONE);
        for (uint32_t i = 0; i < n; i++) assert_true(mm_pool_free(pool, offs[i]));
        assert_true(pool->cpu[0].mag[c].n <= MM_MAG);
        assert_true(pool->cpu[0].mag[c].n * (1u << (c + MM_MIN_SHIFT)) <= 8192);
    }
    struct mm_pool_stats st;
    mm_pool_stats(pool, &st);
    assert_true(st.pages_free >= PAGES - 2 * MM_CLASSES);   /* the rest went back */
}

/* Every object handed out, then refused; freed, the whole pool comes back
 * as one run (this CPU's caches are flushed to find it). */
static void exhaustion_and_recovery(void **s)
{
    (void)s;
    static uint32_t offs[PAGES * (MM_PAGE / GRANULE) + 1];
    uint32_t n = 0, got;
    while ((offs[n] = alloc(16, 0)) != MM_NONE) n++;
    assert_int_equal(n, PAGES * (MM_PAGE / GRANULE));
    assert_int_equal(alloc(2048, 0), MM_NONE);
    assert_int_equal(alloc(MM_PAGE, 0), MM_NONE);
    checked_books();
    for (uint32_t i = 0; i < n; i++) assert_true(mm_pool_free(pool, offs[i]));
    uint32_t all = alloc(PAGES * MM_PAGE, &got);
    assert_int_equal(all, 0);
    assert_int_equal(got, PAGES * MM_PAGE);
    assert_int_equal(alloc(PAGES * MM_PAGE + 1, 0), MM_NONE);
    assert_int_equal(alloc(0xffffffffu, 0), MM_NONE);
    assert_int_equal(mm_pool_owned(pool), 1);
    assert_true(mm_pool_free(pool, all));
}

/* A CPU index beyond the pool's CPUs goes to the pool under the lock. */
static void cpu_without_cache(void **s)
{
    (void)s;
    my_cpu = CPUS + 3;
    uint32_t a = alloc(24, 0), b = alloc(24, 0);
    assert_int_not_equal(a, b);
    assert_true(mm_pool_free(pool, a));
    assert_false(mm_pool_free(pool, a));
    assert_true(mm_pool_free(pool, b));
    struct mm_pool_stats st;
    mm_pool_stats(pool, &st);
    assert_int_equal(st.bypassed, 4);
    assert_int_equal(st.cached, 0);
    assert_int_equal(st.pages_free, PAGES);
    my_cpu = 0;
}

/* ---- threads ---------------------------------------------------------------- */

#define THREADS_MAX 8
#define HOLD 64
#define SLOTS 32

struct hammer {
    unsigned threads;
    uint64_t ops;                            /* per thread */
    double seconds;                          /* stop earlier after this long, 0: never */
    bool lean;                               /* only small allocs and frees, no checks: for timing */
    uint32_t *owner;                         /* per granule: the tag of the object covering it */
    uint64_t exchange[SLOTS];                /* objects passed between threads: off << 32 | got, 0 empty */
    unsigned dup, wrong, held_end;           /* failures found, and objects left held */
    volatile bool stop;
    uint64_t owned_max;                      /* the most owned() seen by the watcher */
};

struct worker { struct hammer *hm; unsigned index; uint32_t off[HOLD], got[HOLD]; };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void claim(struct hammer *hm, uint32_t off, uint32_t got, uint32_t tag)
{
    for (uint32_t g = off / GRANULE; g < (off + got) / GRANULE; g++)
        if (__atomic_exchange_n(&hm->owner[g], tag, __ATOMIC_RELAXED))
            __atomic_fetch_add(&hm->dup, 1, __ATOMIC_RELAXED);
}

static void release(struct hammer *hm, uint32_t off, uint32_t got)
{
    for (uint32_t g = off / GRANULE; g < (off + got) / GRANULE; g++)
        __atomic_store_n(&hm->owner[g], 0, __ATOMIC_RELAXED);
    if (!mm_pool_free(pool, off))
        __atomic_fetch_add(&hm->wrong, 1, __ATOMIC_RELAXED);
}

/* Wrong frees that must be refused, on objects this thread holds.  The
 * second free of a small object is checked only while this thread is
 * alone on its CPU: only then can nobody have been handed it again. */
static void try_wrong_frees(struct hammer *hm, struct worker *w, unsigned k)
{
    uint32_t off = w->off[k];
    bool ok = !mm_pool_free(pool, off + 8) && (w->got[k] < 32 || !mm_pool_free(pool, off + 16));
    release(hm, off, w->got[k]);
    if (!H.hop && w->got[k] <= MM_SMALL_MAX)
        ok = ok && !mm_pool_free(pool, off);          /* freed twice: it sits in our magazine */
    if (!ok) __atomic_fetch_add(&hm->wrong, 1, __ATOMIC_RELAXED);
    w->off[k] = MM_NONE;
}

static void pass_or_take(struct hammer *hm, struct worker *w, unsigned k)
{
    unsigned slot = (unsigned)(next_random() % SLOTS);
    if (w->off[k] != MM_NONE) {
        uint64_t v = (uint64_t)w->off[k] << 32 | w->got[k], empty = 0;
        if (__atomic_compare_exchange_n(&hm->exchange[slot], &empty, v, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            w->off[k] = MM_NONE;                      /* another thread frees it */
        return;
    }
    uint64_t v = __atomic_exchange_n(&hm->exchange[slot], 0, __ATOMIC_ACQ_REL);
    if (v) release(hm, (uint32_t)(v >> 32), (uint32_t)v);
}

static void lean_op(struct worker *w)
{
    uint64_t x = next_random();
    unsigned k = (unsigned)(x % HOLD);
    if (w->off[k] != MM_NONE) {
        mm_pool_free(pool, w->off[k]);
        w->off[k] = MM_NONE;
    } else {
        w->off[k] = mm_pool_alloc(pool, (uint32_t)(x >> 32) % 512, &w->got[k]);
    }
}

static void one_op(struct hammer *hm, struct worker *w, uint32_t tag)
{
    unsigned k = (unsigned)(next_random() % HOLD), r = (unsigned)(next_random() % 64);
    if (r == 0 && w->off[k] != MM_NONE) {
        try_wrong_frees(hm, w, k);
    } else if (r < 4) {
        pass_or_take(hm, w, k);
    } else if (w->off[k] != MM_NONE) {
        release(hm, w->off[k], w->got[k]);
        w->off[k] = MM_NONE;
    } else {
        uint32_t size = r < 6 ? (uint32_t)(next_random() % (3 * MM_PAGE)) : (uint32_t)(next_random() % 600);
        w->off[k] = mm_pool_alloc(pool, size, &w->got[k]);
        if (w->off[k] != MM_NONE) claim(hm, w->off[k], w->got[k], tag);
    }
    if (pinned || holding) __atomic_fetch_add(&H.misuse, 1, __ATOMIC_RELAXED);
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct hammer *hm = w->hm;
    my_cpu = w->index % CPUS;
    rng = 0x2545f4914f6cdd1dull * (w->index + 1);
    memset(w->off, 0xff, sizeof w->off);
    double until = hm->seconds ? now() + hm->seconds : 0;
    for (uint64_t i = 0; i < hm->ops && !hm->stop; i++) {
        if (hm->lean) lean_op(w); else one_op(hm, w, w->index + 1);
        if (until && i % 1024 == 0 && now() > until) break;
        if (hm->dup && H.busted) break;              /* caught: enough */
    }
    for (unsigned k = 0; k < HOLD; k++)
        __atomic_fetch_add(&hm->held_end, w->off[k] != MM_NONE, __ATOMIC_RELAXED);
    return 0;
}

/* Run the threads; meanwhile read owned() as a drain would. */
static double hammer(struct hammer *hm, struct worker *ws)
{
    pthread_t t[THREADS_MAX];
    hm->owner = calloc(PAGES * MM_PAGE / GRANULE, sizeof *hm->owner);
    double t0 = now();
    for (unsigned i = 0; i < hm->threads; i++) {
        ws[i] = (struct worker){ .hm = hm, .index = i };
        pthread_create(&t[i], 0, work, &ws[i]);
    }
    bool joined[THREADS_MAX] = { false };
    for (unsigned running = hm->threads; running; ) {
        uint64_t o = mm_pool_owned(pool);
        if (o > hm->owned_max) hm->owned_max = o;
        for (unsigned i = 0; i < hm->threads; i++)
            if (!joined[i] && pthread_tryjoin_np(t[i], 0) == 0) {
                joined[i] = true;
                running--;
            }
        if (running) usleep(100);
    }
    return now() - t0;
}

/* Everything the threads still hold or left in the exchange goes back. */
static void settle(struct hammer *hm, struct worker *ws)
{
    uint64_t left = hm->held_end;
    for (unsigned i = 0; i < SLOTS; i++) left += hm->exchange[i] != 0;
    assert_int_equal(mm_pool_owned(pool), left);      /* exact once the calls are done */
    checked_books();
    for (unsigned i = 0; i < hm->threads; i++)
        for (unsigned k = 0; k < HOLD; k++)
            if (ws[i].off[k] != MM_NONE) release(hm, ws[i].off[k], ws[i].got[k]);
    for (unsigned i = 0; i < SLOTS; i++)
        if (hm->exchange[i]) release(hm, (uint32_t)(hm->exchange[i] >> 32), (uint32_t)hm->exchange[i]);
    free(hm->owner);
    assert_int_equal(hm->dup, 0);
    assert_int_equal(hm->wrong, 0);
    assert_true(hm->owned_max <= hm->threads * (HOLD + 1ull) + SLOTS);
}

static void run_threads(unsigned threads, bool hop, uint64_t ops)
{
    static struct hammer hm;
    static struct worker ws[THREADS_MAX];
    memset(&hm, 0, sizeof hm);
    hm.threads = threads;
    hm.ops = ops;
    H.hop = hop;
    double secs = hammer(&hm, ws);
    struct mm_pool_stats st;
    mm_pool_stats(pool, &st);
    printf("# %u threads%s: %.0f calls/s, %.1f%% of calls took the pool lock, owned peaked at %lu\n",
           threads, hop ? " hopping CPUs" : "", (st.allocs + st.frees) / secs,
           100.0 * st.locked / (st.allocs + st.frees + 1), (unsigned long)hm.owned_max);
    settle(&hm, ws);
    H.hop = false;
}

/* One thread per CPU, passing objects to each other (remote frees). */
static void threads_hammer(void **s) { (void)s; run_threads(CPUS, false, 200000); }

/* More threads than CPUs, each call on a random CPU: migration between calls. */
static void threads_migrate(void **s) { (void)s; run_threads(CPUS + 2, true, 100000); }

/* The broken variant: every thread uses CPU 0's magazines at once (no
 * pinning).  The hammer must notice, in a child so that the damage stays
 * there: it exits 0 when the checks caught it, 3 when nothing was noticed
 * (a crash in the child also counts as caught). */
static void busted_pinning_is_caught(void **s)
{
    (void)s;
    fflush(0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(30);
        static struct hammer hm;
        static struct worker ws[THREADS_MAX];
        hm.threads = CPUS;
        hm.ops = ~0ull;
        hm.seconds = 10;
        H.busted = true;
        hammer(&hm, ws);
        _exit(hm.dup || hm.wrong || H.broken || mm_pool_check(pool) ? 0 : 3);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
        fail_msg("the hammer did not notice unpinned magazines");
    printf("# busted pinning: %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "caught by the checks"
                                      : "the child crashed (caught)");
    /* the parent's pool was never touched by the child's threads */
}

/* Measurements (not pass/fail): calls per second with and without the
 * per-CPU caches; meaningful only in an optimised build without sanitizers. */
static void throughput(void **s)
{
    (void)s;
    for (unsigned cached = 0; cached < 2; cached++)
        for (unsigned threads = 1; threads <= CPUS; threads *= 2) {
            free(pool_mem);
            make_pool(cached ? CPUS : 0);
            static struct hammer hm;
            static struct worker ws[THREADS_MAX];
            memset(&hm, 0, sizeof hm);
            hm.threads = threads;
            hm.ops = 1000000;
            hm.lean = true;
            double secs = hammer(&hm, ws);
            printf("# %s, %u threads: %.2f M calls/s\n", cached ? "per-CPU caches" : "pool lock only",
                   threads, hm.threads * hm.ops / secs / 1e6);
            settle(&hm, ws);
        }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(classes_and_alignment, setup, teardown),
        cmocka_unit_test_setup_teardown(no_overlap_random, setup, teardown),
        cmocka_unit_test_setup_teardown(double_free_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(foreign_pointers_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(owned_counts_live_only, setup, teardown),
        cmocka_unit_test_setup_teardown(magazines_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(exhaustion_and_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(cpu_without_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(threads_hammer, setup, teardown),
        cmocka_unit_test_setup_teardown(threads_migrate, setup, teardown),
        cmocka_unit_test_setup_teardown(busted_pinning_is_caught, setup, teardown),
        cmocka_unit_test_setup_teardown(throughput, setup, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("mm_pool", tests, NULL, NULL);
}
