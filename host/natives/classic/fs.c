/*
 * The native file system of a hosted classic: its fs_lookup, fs_create,
 * fs_mkdir, fs_unlink, fs_rmdir, fs_read, fs_write, fs_append and fs_size
 * served by host/natives/classic/cfs.c, outside the guest kernel lock, on the native buffer
 * cache (host/natives/classic/cache.c).  The guest's one fs_mutex becomes a sleeping
 * reader/writer lock per inode, so workers in different directories and on
 * different files run in parallel (the lock order is in host/natives/classic/cfs.h).
 *
 * The file system is the one classic mounted: its fs_sb, read field by
 * field where classic's debug information says they are (layout.h), once
 * fs_mounted says so (before that, calls fall through to classic's own
 * code).  Calls cfs cannot serve (corrupt metadata, a buffer outside guest
 * memory) fall through too: classic's code then reports them as it would
 * unpeeled.  The free block and inode counts classic keeps are kept current.
 */
#include "host/natives/classic/cfs.h"
#include "host/natives/classic/cache.h"
#include "host/natives/classic/layout.h"
#include "host/peel/peel.h"
#include "host/peel/natives.h"
#include "host/vmm/guest.h"
#include "kernel/heap.h"
#include "kernel/string.h"
#include "sched/mutex.h"
#include "sched/thread.h"
#include "smp/percpu.h"
#include "sched/waitq.h"

/* A sleeping reader/writer lock; writers waiting keep new readers out.
 * Lines of its own: inodes made one after another (two workers' files)
 * would otherwise share one, and every fs call writes its inode's lock. */
struct ilock {
    struct waitq wq;                         /* its lock guards the counts */
    int readers;
    bool writer;
    unsigned writers_waiting;
    struct thread *holder;                   /* the writer, whom a waiter spins for */
} __attribute__((aligned(CACHELINE)));

struct nfs {
    struct guest *g;
    struct mutex setup;
    volatile bool ready;
    struct cfs fs;
    struct ilock *locks;                     /* one per inode */
    uint32_t nlocks;
    uint32_t free_blocks_at, free_inodes_at; /* the guest's free counts (peel_kept_once) */
};

NATIVE_SUBSYSTEM_DECLARE(fs);

static bool can_take(struct ilock *l, enum cfs_mode m)
{
    return m == CFS_EXCL ? !l->writer && !l->readers : !l->writer && !l->writers_waiting;
}

static void take(struct ilock *l, enum cfs_mode m)
{
    if (m == CFS_EXCL) {
        l->writer = true;
        l->holder = current_thread();
    } else
        l->readers++;
}

/* The same, read without the lock while spinning: only a hint. */
static bool free_for_writer(const void *arg)
{
    const struct ilock *l = arg;
    return !__atomic_load_n(&l->writer, __ATOMIC_RELAXED) && !__atomic_load_n(&l->readers, __ATOMIC_RELAXED);
}

static bool free_for_reader(const void *arg)
{
    const struct ilock *l = arg;
    return !__atomic_load_n(&l->writer, __ATOMIC_RELAXED) &&
           !__atomic_load_n(&l->writers_waiting, __ATOMIC_RELAXED);
}

/* Lock hooks for cfs.  An inode number past the table cannot come from
 * cfs (it checks first); it is ignored rather than trusted. */
static void ilock(void *dev, uint32_t inum, enum cfs_mode m)
{
    struct nfs *n = dev;
    if (inum >= n->nlocks)
        return;
    struct ilock *l = &n->locks[inum];
    spin_lock_irq(&l->wq.lock);
    l->writers_waiting += m == CFS_EXCL;
    /* an fs operation holds an inode briefly: spin first while the writer
     * runs (for readers, whoever they are, until the spin's time is up) */
    bool spun = false;
    while (!can_take(l, m))
        waitq_sleep_adaptive(&l->wq, &l->wq.lock, &spun, m == CFS_EXCL ? free_for_writer : free_for_reader, l,
                             l->writer ? l->holder : 0);
    l->writers_waiting -= m == CFS_EXCL;
    take(l, m);
    spin_unlock_irq(&l->wq.lock);
}

static bool itrylock(void *dev, uint32_t inum, enum cfs_mode m)
{
    struct nfs *n = dev;
    if (inum >= n->nlocks)
        return true;
    struct ilock *l = &n->locks[inum];
    spin_lock_irq(&l->wq.lock);
    bool ok = can_take(l, m);
    if (ok)
        take(l, m);
    spin_unlock_irq(&l->wq.lock);
    return ok;
}

static void iunlock(void *dev, uint32_t inum, enum cfs_mode m)
{
    struct nfs *n = dev;
    if (inum >= n->nlocks)
        return;
    struct ilock *l = &n->locks[inum];
    spin_lock_irq(&l->wq.lock);
    if (m == CFS_EXCL)
        l->writer = false;
    else
        l->readers--;
    if (!l->readers)
        waitq_wake_all_locked(&l->wq);
    spin_unlock_irq(&l->wq.lock);
}

static uint8_t *bget(void *dev, uint32_t blk, void **hold)
{
    struct nfs *n = dev;
    struct ncbuf *b = ncache_get(n->g, blk);
    *hold = b;
    return b ? ncache_data(n->g, b) : 0;
}

static bool bpeek(void *dev, uint32_t blk, uint32_t off, void *dst, uint32_t n)
{
    return ncache_peek(((struct nfs *)dev)->g, blk, off, dst, n);
}

static void bwrite(void *dev, void *hold) { ncache_write(((struct nfs *)dev)->g, hold); }
static void bput(void *dev, void *hold) { ncache_put(((struct nfs *)dev)->g, hold); }

/* Add delta to the guest's counter at `at` (L_KEPT_U32), if it has one. */
static void add(struct guest *g, uint32_t at, int delta)
{
    uint32_t *v = at ? guest_ptr(g, at, 4) : 0;
    if (v && delta)
        __atomic_add_fetch(v, (uint32_t)delta, __ATOMIC_RELAXED);
}

static void count(void *dev, int blocks, int inodes)
{
    _Static_assert(L_fs_free_blocks_WIDTH == 4 && L_fs_free_inodes_WIDTH == 4, "the natives count in the free counts as 4 bytes");
    struct nfs *n = dev;
    if (blocks)
        add(n->g, peel_kept_once(n->g, &n->free_blocks_at, "fs_free_blocks"), blocks);
    if (inodes)
        add(n->g, peel_kept_once(n->g, &n->free_inodes_at, "fs_free_inodes"), inodes);
}

static void *mem(void *dev, uint32_t addr, uint32_t len)
{
    return guest_ptr(((struct nfs *)dev)->g, addr, len);
}

static const struct cfs_ops ops = { bget, bwrite, bput, ilock, itrylock, iunlock, count, mem, bpeek };

static struct nfs *state(struct guest *g)
{
    struct nfs *n = native_state(g, &native_subsystem_fs), *won;
    if (n)
        return n;
    struct nfs *fresh = kzalloc(sizeof *fresh);
    if (!fresh)
        return 0;
    fresh->g = g;
    mutex_init(&fresh->setup, "native fs setup");
    if ((won = native_state_install(g, &native_subsystem_fs, fresh)) != fresh)
        kfree(fresh);
    return won;
}

/* The guest has ended and none of its threads runs: free its state. */
static void release(struct guest *g, void *state)
{
    struct nfs *n = state;
    (void)g;
    kfree(n->locks);
    kfree(n);
}

_Static_assert(L_fs_sb_WIDTH == L_fs_super_SIZE, "fs_sb is a struct fs_super");

/* classic's superblock at host pointer p, field by field. */
static struct cfs_super guest_super(const void *p)
{
    return (struct cfs_super){
        .magic = L_U32(p, L_fs_super_magic), .version = L_U32(p, L_fs_super_version),
        .block_size = L_U32(p, L_fs_super_block_size), .nblocks = L_U32(p, L_fs_super_nblocks),
        .ninodes = L_U32(p, L_fs_super_ninodes), .inode_start = L_U32(p, L_fs_super_inode_start),
        .bmap_start = L_U32(p, L_fs_super_bmap_start), .data_start = L_U32(p, L_fs_super_data_start),
    };
}

/* The file system classic mounted, or NULL while there is none. */
static struct cfs *mounted(struct guest *g)
{
    struct nfs *n = state(g);
    if (!n)
        return 0;
    if (__atomic_load_n(&n->ready, __ATOMIC_ACQUIRE))
        return &n->fs;
    mutex_lock(&n->setup);
    uint32_t at = L_KEPT_U32(g, fs_mounted), sb_at = peel_kept(g, "fs_sb");
    const uint32_t *flag = at ? guest_ptr(g, at, 4) : 0;
    const void *gsb = sb_at ? guest_ptr(g, sb_at, L_fs_super_SIZE) : 0;
    struct cfs_super sb;
    if (!n->ready && flag && *flag && gsb && g->disk) {
        sb = guest_super(gsb);
        struct ilock *locks = cfs_super_problem(&sb, (uint32_t)(g->disk_size / CFS_BSIZE)) ? 0
                            : kzalloc(sb.ninodes * sizeof *locks);
        for (uint32_t i = 0; locks && i < sb.ninodes; i++)
            waitq_init(&locks[i].wq, "native fs inode");
        if (locks) {
            n->locks = locks;
            n->nlocks = sb.ninodes;
            cfs_init(&n->fs, &ops, n, &sb);
            __atomic_store_n(&n->ready, true, __ATOMIC_RELEASE);
        }
    }
    mutex_unlock(&n->setup);
    return n->ready ? &n->fs : 0;
}

/* The path at guest address addr, as far as it is in guest memory and at
 * most CFS_PATH_MAX bytes (cfs declines what runs past that); 0 if none. */
static size_t copy_path(struct guest *g, uint32_t addr, char *path)
{
    size_t len = 0;
    for (const char *p; len < CFS_PATH_MAX && (p = guest_ptr(g, addr + (uint64_t)len, 1)); len++)
        if (!(path[len] = *p)) {
            len++;
            break;
        }
    return len;
}

static bool result(int r, uint32_t *ret)
{
    *ret = (uint32_t)r;
    return r != CFS_DECLINE;
}

enum path_op { LOOKUP, CREATE, MKDIR, UNLINK, RMDIR };

static bool by_path(struct guest *g, uint32_t addr, enum path_op op, uint32_t *ret)
{
    struct cfs *fs = mounted(g);
    char path[CFS_PATH_MAX];
    size_t len = fs ? copy_path(g, addr, path) : 0;
    if (!len)
        return false;
    switch (op) {
    case LOOKUP: return result(cfs_lookup(fs, path, len), ret);
    case CREATE: return result(cfs_create(fs, path, len, CFS_FILE), ret);
    case MKDIR: return result(cfs_create(fs, path, len, CFS_DIR), ret);
    case UNLINK: return result(cfs_remove(fs, path, len, CFS_FILE), ret);
    case RMDIR: return result(cfs_remove(fs, path, len, CFS_DIR), ret);
    }
    return false;
}

static bool lookup(struct guest *g, const uint32_t *a, uint32_t *ret) { return by_path(g, a[0], LOOKUP, ret); }
static bool create(struct guest *g, const uint32_t *a, uint32_t *ret) { return by_path(g, a[0], CREATE, ret); }
static bool mkdir(struct guest *g, const uint32_t *a, uint32_t *ret) { return by_path(g, a[0], MKDIR, ret); }
static bool unlink(struct guest *g, const uint32_t *a, uint32_t *ret) { return by_path(g, a[0], UNLINK, ret); }
static bool rmdir(struct guest *g, const uint32_t *a, uint32_t *ret) { return by_path(g, a[0], RMDIR, ret); }

/* int fs_read(int inum, uint32_t off, void *buf, uint32_t n) */
static bool read(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct cfs *fs = mounted(g);
    return fs && result(cfs_read(fs, (int32_t)a[0], a[1], a[2], a[3]), ret);
}

static bool write(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct cfs *fs = mounted(g);
    return fs && result(cfs_write(fs, (int32_t)a[0], a[1], a[2], a[3]), ret);
}

/* int fs_append(int inum, const void *buf, uint32_t n) */
static bool append(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct cfs *fs = mounted(g);
    return fs && result(cfs_append(fs, (int32_t)a[0], a[1], a[2]), ret);
}

static bool size(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct cfs *fs = mounted(g);
    return fs && result(cfs_size(fs, (int32_t)a[0]), ret);
}

/* Classic's cache may hold copies older than what cfs wrote, and cfs's
 * cache copies older than what classic's fs code wrote. */
static void changed(struct guest *g, bool peeled)
{
    (void)peeled;
    ncache_forget(g);
}

static const struct native natives[] = {
    { "nfs_lookup", lookup, 0 },
    { "nfs_create", create, 0 },
    { "nfs_mkdir", mkdir, 0 },
    { "nfs_unlink", unlink, 0 },
    { "nfs_rmdir", rmdir, 0 },
    { "nfs_read", read, 0 },
    { "nfs_write", write, 0 },
    { "nfs_append", append, 0 },
    { "nfs_size", size, 0 },
    { 0, 0, 0 },
};

NATIVE_SUBSYSTEM(fs) = {
    .name = "fs",
    .natives = natives,
    .refuses = classic_layout_check,
    .may_leave_gkl = true,
    .changed = changed,
    .release = release,
};
