/*
 * A native buffer cache for a hosted classic.  Buffers are guest-visible
 * (cache_read returns a `struct buf *` that guest code reads: its blockno,
 * valid, busy, prev, next and data, where classic's debug information says
 * they are: layout.h), carved from the guest region [GUEST_POOL_CACHE_BASE(g),
 * +GUEST_POOL_CACHE_SIZE) that the guest's memory map marks reserved;
 * everything else — the hash, the LRU, who is busy, who waits — lives on
 * the host side, so a wild guest write can spoil a buffer's data and
 * nothing more.  Writes go straight to the disk (g->disk, which the ATA
 * model also reads): the disk is always current.
 *
 * Locking: a hash bucket's lock (its wait queue's) guards the blockno,
 * valid and busy of the buffers hashed there; the LRU lock guards the
 * replacement list and who is on it.  Order: bucket, then LRU; never two
 * buckets.  A thread wanting a busy buffer sleeps on its bucket's queue;
 * one wanting a buffer while none is idle sleeps on `starved`.  No critical
 * section does more than walk one hash chain.  A buffer is busy only while
 * a native copies it, so a thread wanting one spins first while its holder
 * runs.
 *
 * Replacement is a clock, not a strict LRU: a hit leaves its buffer where
 * it is on the list and its release only marks it referenced, so the
 * common path (a cached block, got and put) takes its bucket's lock and no
 * lock every CPU shares; only a miss takes the LRU lock, to choose a
 * victim from the cold end, passing over buffers busy or referenced since
 * the hand last went by (which go back to the hot end, unreferenced).  At
 * -smp 2 the shared lock and list head, taken twice per block, cost each
 * native fs call about a microsecond more than at -smp 1 (docs/bench.md,
 * session 19).
 *
 * A read that only copies bytes out (ncache_peek: every directory scan,
 * inode load and file read of the native fs) takes no lock at all: it
 * walks the chain unlocked, copies from an idle valid buffer, and keeps
 * the copy only if the buffer's seq — bumped whenever the buffer is made
 * busy, before anyone may change its bytes or its block — and its state
 * are the same afterwards.  Buffers live as long as the cache, so a walk
 * that races a move only ends early (then ncache_get).
 *
 * Coherence with classic's own cache (cache_bufs, used by the guest's fs
 * code when only `fs` is peeled, and by its fsck): every native write
 * marks the guest's idle copy of that block invalid, and a peel or unpeel
 * of `cache` or `fs` forgets the idle copies on both sides.
 */
#include "host/natives/classic/cache.h"
#include "host/natives/classic/layout.h"
#include "host/peel/peel.h"
#include "host/peel/natives.h"
#include "host/vmm/guest.h"
#include "kernel/heap.h"
#include "kernel/list.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "sched/thread.h"
#include "smp/percpu.h"
#include "sched/waitq.h"
#include "smp/spinlock.h"

#define SECTOR     512u
#define SLOT       544u                      /* a buffer's room in the pool */
#define NBUF       (GUEST_POOL_CACHE_SIZE / SLOT)
#define HASH_BITS  9
#define NONE       0xffffffffu               /* a buffer holding no block */

struct ncbuf {
    uint32_t blockno;                        /* these three: the bucket's lock */
    bool valid, busy;
    struct thread *holder;                   /* while busy: whom a waiter spins for */
    struct ncbuf *hnext;
    struct list lru;                         /* on ncache.lru unless a victim being filled */
    bool listed;                             /* on it (the LRU lock; or its own busy holder) */
    volatile bool referenced;                /* released since the hand went by: a second chance */
    volatile uint32_t seq;                   /* bumped each time it is made busy (ncache_peek) */
    uint32_t gpa;                            /* its struct buf in guest memory */
} __attribute__((aligned(CACHELINE)));       /* two CPUs' buffers never share a line */

struct bucket {
    struct waitq wq;                         /* its lock is the bucket's */
    struct ncbuf *chain;
} __attribute__((aligned(CACHELINE)));

/* The guest's words the manifest keeps that the cache uses.  peel_kept is a
 * search by name, and with a counter bumped at every block it took more
 * instructions than the blocks' copies (docs/bench.md, session 20): each
 * address is remembered here (peel_kept_once). */
enum { KEPT_cache_hits, KEPT_cache_misses, KEPT_blk_reads, KEPT_blk_writes, KEPT_cache_bufs, KEPT_WORDS };

struct ncache {
    struct guest *g;
    struct bucket bucket[1u << HASH_BITS];
    struct spinlock lru_lock;
    struct list lru;                         /* the clock: hot end first, the hand at the back */
    struct waitq starved;                    /* for an idle buffer */
    volatile unsigned starving;              /* victim searches about to sleep on it */
    uint64_t guest_held;                     /* handed out by cache_read, not released */
    uint32_t kept[KEPT_WORDS];               /* guest addresses of the words it uses, once known */
    struct ncbuf buf[NBUF];
};

NATIVE_SUBSYSTEM_DECLARE(cache);

_Static_assert(L_buf_SIZE <= SLOT, "classic's struct buf fits a slot of the pool");
_Static_assert(L_buf_data_WIDTH == SECTOR, "classic's struct buf holds one sector");
_Static_assert(L_cache_bufs_WIDTH == L_cache_bufs_COUNT * L_buf_SIZE, "cache_bufs is an array of struct buf");

static unsigned hash(uint32_t blockno) { return (blockno * 2654435761u) >> (32 - HASH_BITS); }

/* One more in the guest's counter at `at`, if it has one. */
static void add_one(struct guest *g, uint32_t at)
{
    uint32_t *v = at ? guest_ptr(g, at, 4) : 0;
    if (v)
        __atomic_add_fetch(v, 1, __ATOMIC_RELAXED);
}

/* One more in the guest's counter V (a 32-bit word the manifest keeps), if
 * it has one; a layout where V is not 4 bytes wide does not compile. */
#define BUMP(c, V) ({ \
    _Static_assert(L_##V##_WIDTH == 4, "the natives count in " #V " as 4 bytes: not its width in this guest"); \
    add_one((c)->g, peel_kept_once((c)->g, &(c)->kept[KEPT_##V], #V)); })

static struct ncache *make(struct guest *g)
{
    struct ncache *c = kzalloc(sizeof *c);
    if (!c)
        return 0;
    c->g = g;
    for (unsigned i = 0; i < 1u << HASH_BITS; i++)
        waitq_init(&c->bucket[i].wq, "ncache bucket");
    spin_init(&c->lru_lock, "ncache lru");
    list_init(&c->lru);
    waitq_init(&c->starved, "ncache starved");
    for (unsigned i = 0; i < NBUF; i++) {
        struct ncbuf *b = &c->buf[i];
        b->blockno = NONE;                   /* holding no block: in no hash chain */
        b->gpa = GUEST_POOL_CACHE_BASE(g) + i * SLOT;
        list_push_back(&c->lru, &b->lru);
        b->listed = true;
    }
    return c;
}

/* This guest's cache, made on first use (two CPUs may race to make it). */
static struct ncache *state(struct guest *g)
{
    if (!g->disk)
        return 0;
    struct ncache *c = native_state(g, &native_subsystem_cache), *won;
    if (c || !(c = make(g)))
        return c;
    if ((won = native_state_install(g, &native_subsystem_cache, c)) != c)
        kfree(c);
    return won;
}

/* The guest has ended and none of its threads runs: free its cache. */
static void release(struct guest *g, void *state)
{
    (void)g;
    kfree(state);
}

static struct ncbuf *find(struct bucket *bk, uint32_t blockno)
{
    struct ncbuf *b = bk->chain;
    while (b && b->blockno != blockno)
        b = b->hnext;
    return b;
}

static void unhash(struct bucket *bk, struct ncbuf *b)
{
    struct ncbuf **p = &bk->chain;
    while (*p != b)
        p = &(*p)->hnext;
    *p = b->hnext;
}

/* b was just made busy (under the lock that guards its busy): a peek
 * under way sees the change, and every change of its bytes comes after. */
static void taken(struct ncbuf *b)
{
    __atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* One turn of the hand, under the LRU lock: the first buffer from the cold
 * end neither busy nor referenced (those it passes go to the hot end,
 * unreferenced); NULL if a whole turn found none idle. */
static struct ncbuf *hand(struct ncache *c)
{
    for (unsigned n = 0; n < 2 * NBUF && !list_empty(&c->lru); n++) {
        struct ncbuf *v = container_of(c->lru.prev, struct ncbuf, lru);
        if (!__atomic_load_n(&v->busy, __ATOMIC_ACQUIRE) && !v->referenced)
            return v;
        v->referenced = false;
        list_remove(&v->lru);
        list_push_front(&c->lru, &v->lru);
    }
    return 0;
}

/* The coldest idle buffer, made busy and taken off the list and out of
 * its chain; NULL if another thread took it first (try again). */
static struct ncbuf *victim(struct ncache *c)
{
    spin_lock_irq(&c->lru_lock);
    struct ncbuf *v;
    while (!(v = hand(c))) {
        /* none idle: say so before a last look, as put clears busy before
         * it looks at starving, so one of the two sees the other */
        __atomic_add_fetch(&c->starving, 1, __ATOMIC_SEQ_CST);
        if ((v = hand(c))) {
            __atomic_sub_fetch(&c->starving, 1, __ATOMIC_SEQ_CST);
            break;
        }
        if (native_holds_lock(c->g)) {               /* a wait: never with the guest kernel lock */
            __atomic_sub_fetch(&c->starving, 1, __ATOMIC_SEQ_CST);
            spin_unlock_irq(&c->lru_lock);
            native_may_wait(c->g);
            spin_lock_irq(&c->lru_lock);
            continue;
        }
        waitq_sleep(&c->starved, &c->lru_lock);
        __atomic_sub_fetch(&c->starving, 1, __ATOMIC_SEQ_CST);
    }
    uint32_t old = __atomic_load_n(&v->blockno, __ATOMIC_RELAXED);
    if (old == NONE && !v->busy) {           /* an empty buffer: the LRU lock is all it needs */
        v->busy = true;
        taken(v);
        v->holder = current_thread();
        list_remove(&v->lru);
        v->listed = false;
        spin_unlock_irq(&c->lru_lock);
        return v;
    }
    spin_unlock_irq(&c->lru_lock);
    if (old == NONE)
        return 0;                            /* an empty one someone is claiming: try again */
    struct bucket *ob = &c->bucket[hash(old)];
    spin_lock_irq(&ob->wq.lock);
    bool ours = v->blockno == old && !v->busy;
    if (ours) {
        v->busy = true;
        taken(v);
        v->holder = current_thread();
        spin_lock(&c->lru_lock);                 /* (idle and hashed: on the clock) */
        list_remove(&v->lru);
        v->listed = false;
        spin_unlock(&c->lru_lock);
        unhash(ob, v);
    }
    spin_unlock_irq(&ob->wq.lock);
    return ours ? v : 0;
}

/* After a buffer became idle: a victim search that found none counts
 * itself in `starving` before its last look and sleeps on `starved` (queued
 * before it lets the LRU lock go), so one look at the count is enough — and
 * spares every release a trip through the one lock all CPUs share. */
static void wake_starved(struct ncache *c)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);         /* busy = false before the look */
    if (__atomic_load_n(&c->starving, __ATOMIC_SEQ_CST)) {
        spin_lock_irq(&c->lru_lock);                 /* the sleeper queued itself under it */
        spin_unlock_irq(&c->lru_lock);
        waitq_wake_all(&c->starved);
    }
}

/* Make b idle in bucket bk (whose lock is held): referenced where it is on
 * the clock (a hit's buffer never left it: no LRU lock), or back on it,
 * at the hot end (recent) or the cold one. */
static void idle_locked(struct ncache *c, struct bucket *bk, struct ncbuf *b, bool recent)
{
    if (b->listed && recent) {
        b->referenced = true;
    } else {
        spin_lock(&c->lru_lock);
        if (b->listed)
            list_remove(&b->lru);
        if (recent)
            list_push_front(&c->lru, &b->lru);
        else
            list_push_back(&c->lru, &b->lru);
        b->listed = true;
        b->referenced = false;
        spin_unlock(&c->lru_lock);
    }
    __atomic_store_n(&b->busy, false, __ATOMIC_RELEASE);
    waitq_wake_all_locked(&bk->wq);
}

/* Has the buffer a waiter spins for stopped being busy?  Read without its
 * bucket's lock: only a hint, checked again under the lock. */
static bool idle_now(const void *arg)
{
    return !__atomic_load_n(&((const struct ncbuf *)arg)->busy, __ATOMIC_RELAXED);
}

/* Block blockno's buffer, busy; *hit if it was cached. */
static struct ncbuf *get(struct ncache *c, uint32_t blockno, bool *hit)
{
    struct bucket *bk = &c->bucket[hash(blockno)];
    for (;;) {
        spin_lock_irq(&bk->wq.lock);
        struct ncbuf *b;
        bool spun = false;
        while ((b = find(bk, blockno)) && b->busy) {
            if (native_holds_lock(c->g)) {           /* a wait: never with the guest kernel lock */
                spin_unlock_irq(&bk->wq.lock);
                native_may_wait(c->g);
                spin_lock_irq(&bk->wq.lock);
                continue;
            }
            waitq_sleep_adaptive(&bk->wq, &bk->wq.lock, &spun, idle_now, b, b->holder);
        }
        if (b) {
            b->busy = true;                          /* (it stays on the clock: no LRU lock) */
            taken(b);
            b->holder = current_thread();
            spin_unlock_irq(&bk->wq.lock);
            *hit = b->valid;
            return b;
        }
        spin_unlock_irq(&bk->wq.lock);
        struct ncbuf *v = victim(c);
        if (!v)
            continue;
        spin_lock_irq(&bk->wq.lock);
        bool raced = find(bk, blockno) != 0;   /* another thread brought it in meanwhile */
        if (raced) {
            spin_unlock_irq(&bk->wq.lock);
            v->blockno = NONE;                 /* back, empty, to the cold end */
            v->valid = false;
            spin_lock_irq(&c->lru_lock);
            list_push_back(&c->lru, &v->lru);
            v->listed = true;
            v->referenced = false;
            v->busy = false;
            spin_unlock_irq(&c->lru_lock);
            wake_starved(c);
            continue;
        }
        v->blockno = blockno;
        v->valid = false;
        v->hnext = bk->chain;
        bk->chain = v;
        spin_unlock_irq(&bk->wq.lock);
        *hit = false;
        return v;
    }
}

static void put(struct ncache *c, struct ncbuf *b)
{
    struct bucket *bk = &c->bucket[hash(b->blockno)];
    spin_lock_irq(&bk->wq.lock);
    idle_locked(c, bk, b, true);
    spin_unlock_irq(&bk->wq.lock);
    wake_starved(c);
}

static uint8_t *data(struct ncache *c, const struct ncbuf *b)
{
    return (uint8_t *)guest_ptr(c->g, b->gpa, L_buf_SIZE) + L_buf_data_OFF;
}

static bool on_disk(struct guest *g, uint32_t blockno)
{
    return g->disk && blockno < g->disk_size / SECTOR;
}

/* Classic's own idle copy of blockno is stale now: valid = 0.  (Setting
 * valid to 0 is always safe in a write-through cache: it costs a read.) */
static void forget_guest_copy(struct ncache *c, uint32_t blockno)
{
    uint32_t at = peel_kept_once(c->g, &c->kept[KEPT_cache_bufs], "cache_bufs");
    uint8_t *gb = at ? guest_ptr(c->g, at, L_cache_bufs_WIDTH) : 0;
    for (uint32_t i = 0; gb && i < L_cache_bufs_COUNT; i++, gb += L_buf_SIZE)
        if (L_U32(gb, L_buf_blockno) == blockno && (blockno != NONE || !L_U32(gb, L_buf_busy)))
            L_U32(gb, L_buf_valid) = 0;
}

static void disk_write(struct ncache *c, uint32_t blockno, const uint8_t *src)
{
    memcpy(c->g->disk + (uint64_t)blockno * SECTOR, src, SECTOR);
    BUMP(c, blk_writes);
    forget_guest_copy(c, blockno);
}

/* ---- the host-side API (cache.h) -------------------------------------- */

struct ncbuf *ncache_get(struct guest *g, uint32_t blockno)
{
    struct ncache *c = state(g);
    if (!c || !on_disk(g, blockno))
        return 0;
    bool hit;
    struct ncbuf *b = get(c, blockno, &hit);
    if (!hit) {
        memcpy(data(c, b), g->disk + (uint64_t)blockno * SECTOR, SECTOR);
        b->valid = true;
        BUMP(c, blk_reads);
        BUMP(c, cache_misses);
    } else {
        BUMP(c, cache_hits);
    }
    return b;
}

#define PEEK_STEPS 16                        /* a chain longer than this: take the buffer instead */

bool ncache_peek(struct guest *g, uint32_t blockno, uint32_t off, void *dst, uint32_t n)
{
    struct ncache *c = state(g);
    if (!c || !on_disk(g, blockno) || off > SECTOR || n > SECTOR - off)
        return false;
    const struct ncbuf *b = __atomic_load_n(&c->bucket[hash(blockno)].chain, __ATOMIC_ACQUIRE);
    for (unsigned steps = 0; b && steps < PEEK_STEPS; steps++, b = __atomic_load_n(&b->hnext, __ATOMIC_ACQUIRE)) {
        if (__atomic_load_n(&b->blockno, __ATOMIC_ACQUIRE) != blockno)
            continue;
        uint32_t seq = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
        if (__atomic_load_n(&b->busy, __ATOMIC_ACQUIRE) || !__atomic_load_n(&b->valid, __ATOMIC_ACQUIRE))
            return false;                            /* (its block is looked at again after the copy) */
        memcpy(dst, data(c, b) + off, n);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);     /* the copy before the second look */
        if (__atomic_load_n(&b->seq, __ATOMIC_ACQUIRE) != seq || __atomic_load_n(&b->busy, __ATOMIC_ACQUIRE) ||
            !__atomic_load_n(&b->valid, __ATOMIC_ACQUIRE) || __atomic_load_n(&b->blockno, __ATOMIC_ACQUIRE) != blockno)
            return false;
        BUMP(c, cache_hits);
        return true;
    }
    return false;
}

uint8_t *ncache_data(struct guest *g, struct ncbuf *b) { return data(state(g), b); }
void ncache_write(struct guest *g, struct ncbuf *b) { disk_write(state(g), b->blockno, data(state(g), b)); }
void ncache_put(struct guest *g, struct ncbuf *b) { put(state(g), b); }

void ncache_forget(struct guest *g)
{
    struct ncache *c = state(g);
    if (!c)
        return;
    for (unsigned i = 0; i < 1u << HASH_BITS; i++) {
        struct bucket *bk = &c->bucket[i];
        spin_lock_irq(&bk->wq.lock);
        for (struct ncbuf *b = bk->chain; b; b = b->hnext)
            if (!b->busy)
                b->valid = false;
        spin_unlock_irq(&bk->wq.lock);
    }
    uint32_t at = peel_kept_once(c->g, &c->kept[KEPT_cache_bufs], "cache_bufs");
    uint8_t *gb = at ? guest_ptr(g, at, L_cache_bufs_WIDTH) : 0;
    for (uint32_t i = 0; gb && i < L_cache_bufs_COUNT; i++, gb += L_buf_SIZE)
        if (!L_U32(gb, L_buf_busy))
            L_U32(gb, L_buf_valid) = 0;      /* idle: not valid */
}

/* ---- the guest's functions ------------------------------------------------------ */

/* A struct buf the native cache handed out, or NULL (the guest's own). */
static struct ncbuf *native_buf(struct ncache *c, uint32_t gpa)
{
    if (!c)
        return 0;
    uint32_t off = gpa - GUEST_POOL_CACHE_BASE(c->g);
    if (gpa < GUEST_POOL_CACHE_BASE(c->g) || off % SLOT || off / SLOT >= NBUF)
        return 0;
    return &c->buf[off / SLOT];
}

static void guest_view(struct ncache *c, struct ncbuf *b, bool busy)
{
    uint8_t *h = guest_ptr(c->g, b->gpa, L_buf_SIZE);
    L_U32(h, L_buf_blockno) = b->blockno;
    L_U32(h, L_buf_valid) = 1;
    L_U32(h, L_buf_busy) = busy;
    L_U32(h, L_buf_prev) = L_U32(h, L_buf_next) = 0;
}

/* struct buf *cache_read(uint32_t blockno).  A block beyond the disk falls
 * through: classic's own code says "cannot read block" and stops. */
static bool cache_read(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct ncbuf *b = ncache_get(g, a[0]);
    if (!b)
        return false;
    struct ncache *c = state(g);
    guest_view(c, b, true);
    __atomic_add_fetch(&c->guest_held, 1, __ATOMIC_RELAXED);
    *ret = b->gpa;
    return true;
}

/* Classic panics on a buffer it does not hold; so does this. */
static bool not_held(struct guest *g, struct ncbuf *b, const char *fn)
{
    if (b->busy)
        return false;
    char why[96];
    snprintf(why, sizeof why, "%s: native buffer 0x%x (block %u) not held", fn, b->gpa, b->blockno);
    guest_end(g, GUEST_DEAD, -1, why);
    return true;
}

/* int cache_write(struct buf *b) */
static bool cache_write(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct ncache *c = state(g);
    struct ncbuf *b = native_buf(c, a[0]);
    if (!b)
        return false;                        /* classic's own buffer: its cache_write */
    *ret = 0;
    if (!not_held(g, b, "cache_write"))
        disk_write(c, b->blockno, data(c, b));
    return true;
}

/* void cache_release(struct buf *b) */
static bool cache_release(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct ncache *c = state(g);
    struct ncbuf *b = native_buf(c, a[0]);
    if (!b)
        return false;
    *ret = 0;
    if (not_held(g, b, "cache_release"))
        return true;
    guest_view(c, b, false);
    put(c, b);
    __atomic_sub_fetch(&c->guest_held, 1, __ATOMIC_RELAXED);
    return true;
}

/* int blk_read(uint32_t lba, void *buf): a sector beyond the disk or a
 * buffer outside guest memory falls through to classic's driver. */
static bool blk_read(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    uint8_t *dst = guest_ptr(g, a[1], SECTOR);
    if (!dst || !on_disk(g, a[0]))
        return false;
    memcpy(dst, g->disk + (uint64_t)a[0] * SECTOR, SECTOR);
    add_one(g, L_KEPT_U32(g, blk_reads));           /* (a raw sector: no ncache at hand to remember it in) */
    *ret = 0;
    return true;
}

/* int blk_write(uint32_t lba, const void *buf): the native cache's copy
 * of that block, if idle, is forgotten. */
static bool blk_write(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    const uint8_t *src = guest_ptr(g, a[1], SECTOR);
    struct ncache *c = state(g);
    if (!src || !c || !on_disk(g, a[0]))
        return false;
    struct bucket *bk = &c->bucket[hash(a[0])];
    spin_lock_irq(&bk->wq.lock);
    struct ncbuf *b = find(bk, a[0]);
    if (b && !b->busy)
        b->valid = false;
    spin_unlock_irq(&bk->wq.lock);
    disk_write(c, a[0], src);
    *ret = 0;
    return true;
}

static uint64_t held(struct guest *g)
{
    struct ncache *c = native_state(g, &native_subsystem_cache);
    return c ? __atomic_load_n(&c->guest_held, __ATOMIC_RELAXED) : 0;
}

static void changed(struct guest *g, bool peeled)
{
    (void)peeled;
    ncache_forget(g);
}

static const struct native natives[] = {
    { "ncache_read", cache_read, NATIVE_QUICK },        /* a busy buffer: it lets the lock go to wait */
    { "ncache_write", cache_write, NATIVE_QUICK },      /* a sector's copy to the disk */
    { "ncache_release", cache_release, NATIVE_QUICK },  /* a wakeup at most */
    { "nblk_read", blk_read, NATIVE_QUICK },
    { "nblk_write", blk_write, NATIVE_QUICK },
    { 0, 0, 0 },
};

NATIVE_SUBSYSTEM(cache) = {
    .name = "cache",
    .natives = natives,
    .refuses = classic_layout_check,
    .may_leave_gkl = true,
    .owned = held,
    .changed = changed,
    .release = release,
};
