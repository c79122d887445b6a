/*
 * host/natives/classic/cfs.c against classic's own file system code (classic_fs_ref.c):
 * every call gives the same result, and single-threaded runs leave the two
 * disks byte for byte equal; classic's own fsck checks what cfs wrote.
 * Threaded cases run cfs from several threads with real locks and check
 * the outcome; the same run with the inode locks turned off must be caught.
 * Disks come from classic's own mkfs (CLASSIC_MKFS).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host/natives/classic/cfs.h"
#include "tests/unit/classic_fs_ref.h"

#ifndef CLASSIC_MKFS
#define CLASSIC_MKFS "build/guest/classic-mkfs"
#endif
#define MEM (256u << 10)                     /* the fake guest memory */

/* ---- the native side's device: an in-memory disk behind a tiny cache ------- */

struct dev {
    uint8_t *disk;
    uint32_t nblocks;
    pthread_mutex_t *busy;                   /* one per block: the buffer's busy flag */
    pthread_rwlock_t ilock[CFS_MAXINODES];
    bool broken;                             /* inode locks do nothing */
    long free_blocks, free_inodes;           /* deltas */
    uint8_t *mem;                            /* guest memory */
};

struct hold { uint32_t blk; uint8_t data[CFS_BSIZE]; };
static __thread int holds, locks;            /* per thread, must be 0 between calls */

static uint8_t *dget(void *d, uint32_t blk, void **h)
{
    struct dev *v = d;
    if (blk >= v->nblocks)
        return NULL;
    assert_int_equal(holds, 0);              /* cfs holds one block at a time */
    pthread_mutex_lock(&v->busy[blk]);
    struct hold *o = malloc(sizeof *o);
    o->blk = blk;
    memcpy(o->data, v->disk + (size_t)blk * CFS_BSIZE, CFS_BSIZE);
    holds++;
    *h = o;
    return o->data;
}

static void dwrite(void *d, void *h)
{
    struct dev *v = d;
    struct hold *o = h;
    memcpy(v->disk + (size_t)o->blk * CFS_BSIZE, o->data, CFS_BSIZE);
}

static void dput(void *d, void *h)
{
    struct dev *v = d;
    struct hold *o = h;
    holds--;
    pthread_mutex_unlock(&v->busy[o->blk]);
    free(o);
}

static void dlock(void *d, uint32_t inum, enum cfs_mode m)
{
    struct dev *v = d;
    assert_true(inum > 0 && inum < 1024);    /* classic's mkfs makes 1024 inodes */
    locks++;
    if (!v->broken)
        (m == CFS_EXCL ? pthread_rwlock_wrlock : pthread_rwlock_rdlock)(&v->ilock[inum]);
}

static bool dtrylock(void *d, uint32_t inum, enum cfs_mode m)
{
    struct dev *v = d;
    assert_true(inum > 0 && inum < 1024);
    if (!v->broken && (m == CFS_EXCL ? pthread_rwlock_trywrlock : pthread_rwlock_tryrdlock)(&v->ilock[inum]))
        return false;
    locks++;
    return true;
}

static void dunlock(void *d, uint32_t inum, enum cfs_mode m)
{
    struct dev *v = d;
    (void)m;
    locks--;
    if (!v->broken)
        pthread_rwlock_unlock(&v->ilock[inum]);
}

static void dcount(void *d, int blocks, int inodes)
{
    struct dev *v = d;
    __atomic_add_fetch(&v->free_blocks, blocks, __ATOMIC_RELAXED);
    __atomic_add_fetch(&v->free_inodes, inodes, __ATOMIC_RELAXED);
}

static void *dmem(void *d, uint32_t addr, uint32_t len)
{
    struct dev *v = d;
    return addr < MEM && len <= MEM - addr ? v->mem + addr : NULL;
}

/* A copy without holding the block, as the native cache's peek: only when
 * nobody holds it, and every other time not at all, so that both of
 * cfs_bcopy_out's ways are taken by every test. */
static long peeks, peeks_declined;
static bool dpeek(void *d, uint32_t blk, uint32_t off, void *dst, uint32_t n)
{
    struct dev *v = d;
    assert_true(off <= CFS_BSIZE && n <= CFS_BSIZE - off);
    if (blk >= v->nblocks || __atomic_add_fetch(&peeks, 1, __ATOMIC_RELAXED) % 2 ||
        pthread_mutex_trylock(&v->busy[blk])) {
        __atomic_add_fetch(&peeks_declined, 1, __ATOMIC_RELAXED);
        return false;
    }
    memcpy(dst, v->disk + (size_t)blk * CFS_BSIZE + off, n);
    pthread_mutex_unlock(&v->busy[blk]);
    return true;
}

static const struct cfs_ops ops = { dget, dwrite, dput, dlock, dtrylock, dunlock, dcount, dmem, dpeek };

static uint8_t *mkfs(uint32_t nblocks)
{
    char cmd[256], path[] = "/tmp/cfs-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    snprintf(cmd, sizeof cmd, "%s %s %u > /dev/null", CLASSIC_MKFS, path, nblocks);
    assert_int_equal(system(cmd), 0);
    uint8_t *img = malloc((size_t)nblocks * CFS_BSIZE);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(img, CFS_BSIZE, nblocks, f), nblocks);
    fclose(f);
    unlink(path);
    return img;
}

/* ---- twins: the same calls on classic's code and on cfs ---------------------- */

struct twin {
    uint8_t *ref, *nat, *refmem, *natmem;
    uint32_t nblocks;
    bool compare_disks;                      /* after every call */
    struct dev dev;
    struct cfs fs;
};

static struct twin *twin_new(uint32_t nblocks)
{
    struct twin *t = calloc(1, sizeof *t);
    t->nblocks = nblocks;
    t->ref = mkfs(nblocks);
    t->nat = malloc((size_t)nblocks * CFS_BSIZE);
    memcpy(t->nat, t->ref, (size_t)nblocks * CFS_BSIZE);
    t->refmem = calloc(1, MEM);
    t->natmem = calloc(1, MEM);
    t->compare_disks = true;
    t->dev.disk = t->nat;
    t->dev.nblocks = nblocks;
    t->dev.mem = t->natmem;
    t->dev.busy = calloc(nblocks, sizeof *t->dev.busy);
    for (uint32_t i = 0; i < nblocks; i++)
        pthread_mutex_init(&t->dev.busy[i], NULL);
    for (uint32_t i = 0; i < CFS_MAXINODES; i++)
        pthread_rwlock_init(&t->dev.ilock[i], NULL);
    assert_int_equal(ref_mount(t->ref, nblocks), 0);
    struct cfs_super sb;
    memcpy(&sb, t->nat + CFS_SUPER * CFS_BSIZE, sizeof sb);
    assert_null(cfs_super_problem(&sb, nblocks));
    cfs_init(&t->fs, &ops, &t->dev, &sb);
    return t;
}

static void twin_free(struct twin *t)
{
    for (uint32_t i = 0; i < t->nblocks; i++)
        pthread_mutex_destroy(&t->dev.busy[i]);
    free(t->dev.busy);
    free(t->ref);
    free(t->nat);
    free(t->refmem);
    free(t->natmem);
    free(t);
}

static int native(struct cfs *fs, enum ref_op op, const char *path, int inum, uint32_t off, uint32_t addr,
                  uint32_t n)
{
    size_t len = path ? strlen(path) + 1 : 0;
    switch (op) {
    case REF_LOOKUP: return cfs_lookup(fs, path, len);
    case REF_CREATE: return cfs_create(fs, path, len, CFS_FILE);
    case REF_MKDIR: return cfs_create(fs, path, len, CFS_DIR);
    case REF_UNLINK: return cfs_remove(fs, path, len, CFS_FILE);
    case REF_RMDIR: return cfs_remove(fs, path, len, CFS_DIR);
    case REF_READ: return cfs_read(fs, inum, off, addr, n);
    case REF_WRITE: return cfs_write(fs, inum, off, addr, n);
    case REF_APPEND: return cfs_append(fs, inum, addr, n);
    case REF_SIZE: return cfs_size(fs, inum);
    default: fail(); return 0;
    }
}

/* One call on both sides; guest memory at addr (within MEM) is the buffer. */
static int both(struct twin *t, enum ref_op op, const char *path, int inum, uint32_t off, uint32_t addr,
                uint32_t n)
{
    int r = ref_call(op, path, inum, off, t->refmem + addr, n);
    int c = native(&t->fs, op, path, inum, off, addr, n);
    assert_int_equal(holds, 0);
    assert_int_equal(locks, 0);
    if (r != c)
        fail_msg("op %d path %s inum %d off %u n %u: classic %d, cfs %d", op, path ? path : "-", inum, off,
                 n, r, c);
    if (getenv("CFS_TRACE"))
        printf("op %d %s inum %d off %u n %u -> %d\n", op, path ? path : "-", inum, off, n, r);
    if (r == REF_CORRUPT)
        return r;
    assert_memory_equal(t->refmem, t->natmem, MEM);
    if (t->compare_disks)
        assert_memory_equal(t->ref, t->nat, (size_t)t->nblocks * CFS_BSIZE);
    return r;
}

static void fill(struct twin *t, uint32_t addr, uint32_t n, uint32_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        t->refmem[addr + i] = t->natmem[addr + i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* classic's fsck on the native disk: 0 errors */
static void fsck_native(struct twin *t)
{
    assert_int_equal(ref_mount(t->nat, t->nblocks), 0);
    assert_int_equal(ref_call(REF_FSCK, 0, 0, 0, 0, 0), 0);
}

/* ---- cases ------------------------------------------------------------------- */

static void errors_match(void **s)
{
    (void)s;
    struct twin *t = twin_new(8192);
    static const struct { enum ref_op op; const char *path; } calls[] = {
        { REF_LOOKUP, "" }, { REF_LOOKUP, "data" }, { REF_LOOKUP, "/" }, { REF_LOOKUP, "//" },
        { REF_LOOKUP, "/data/" }, { REF_LOOKUP, "/data//f00" }, { REF_LOOKUP, "//data/f01" },
        { REF_LOOKUP, "/nope/f00" }, { REF_LOOKUP, "/data/nope" }, { REF_LOOKUP, "/etc/motd/x" },
        { REF_LOOKUP, "/data/." }, { REF_LOOKUP, "/data/.." }, { REF_LOOKUP, "/.." }, { REF_LOOKUP, "/../data/f02" },
        { REF_LOOKUP, "/data/../etc/./motd" }, { REF_LOOKUP, "/./././etc" },
        { REF_CREATE, "/abcdefghijklmnopqrstuvwxyz01" }, { REF_CREATE, "/abcdefghijklmnopqrstuvwxyz012" },
        { REF_LOOKUP, "/abcdefghijklmnopqrstuvwxyz01" }, { REF_LOOKUP, "/abcdefghijklmnopqrstuvwxyz01/x" },
        { REF_LOOKUP, "/abcdefghijklmnopqrstuvwxyz012/x" }, { REF_LOOKUP, "/nope/abcdefghijklmnopqrstuvwxyz012" },
        { REF_CREATE, "/data/f00" }, { REF_CREATE, "/data" }, { REF_CREATE, "/work/." }, { REF_CREATE, "/work/.." },
        { REF_MKDIR, "/work/w0" }, { REF_MKDIR, "/work/w0" }, { REF_CREATE, "/work/w0/./a" },
        { REF_CREATE, "/work/w0/../w0/b" }, { REF_MKDIR, "/work/w0/../w1" }, { REF_MKDIR, "/../work/w2" },
        { REF_CREATE, "/work/w0/a/x" }, { REF_UNLINK, "/work/w0" }, { REF_RMDIR, "/work/w0/a" },
        { REF_RMDIR, "/work/w0" }, { REF_UNLINK, "/work/w0/." }, { REF_RMDIR, "/work/w0/.." },
        { REF_RMDIR, "/work/w0/nope" }, { REF_UNLINK, "/" }, { REF_RMDIR, "/" }, { REF_MKDIR, "/" },
        { REF_UNLINK, "/work/w0/a" }, { REF_UNLINK, "/work/w0/b" }, { REF_RMDIR, "/work/w0" },
        { REF_RMDIR, "/work/w1" }, { REF_RMDIR, "/work/w2" }, { REF_LOOKUP, "/work/w0/a" },
        { REF_MKDIR, "/work/w0" }, { REF_MKDIR, "/work/w0/d" }, { REF_CREATE, "/work/w0/d/x" },
        { REF_RMDIR, "/work/w0/d" }, { REF_UNLINK, "/work/w0/d/x" }, { REF_RMDIR, "/work/w0/d" },
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        both(t, calls[i].op, calls[i].path, 0, 0, 0, 0);
    /* files by number */
    int motd = both(t, REF_LOOKUP, "/etc/motd", 0, 0, 0, 0), data = both(t, REF_LOOKUP, "/data", 0, 0, 0, 0);
    int f = both(t, REF_CREATE, "/work/w0/f", 0, 0, 0, 0);
    static const int bad[] = { 0, -1, -100, 1024, 1 << 20, 1000 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        both(t, REF_SIZE, 0, bad[i], 0, 0, 0);
        both(t, REF_READ, 0, bad[i], 0, 0, 10);
        both(t, REF_WRITE, 0, bad[i], 0, 0, 10);
        both(t, REF_APPEND, 0, bad[i], 0, 0, 10);
    }
    both(t, REF_READ, 0, data, 0, 0, 10);               /* a directory */
    both(t, REF_WRITE, 0, CFS_ROOT, 0, 0, 10);
    both(t, REF_READ, 0, motd, 0, 0, 1000);
    both(t, REF_READ, 0, motd, 10, 100, 5);
    both(t, REF_READ, 0, motd, 5000, 100, 5);
    fill(t, 0, 8192, 1);
    both(t, REF_WRITE, 0, f, CFS_MAXFILE - 10, 0, 11);  /* too big */
    both(t, REF_WRITE, 0, f, CFS_MAXFILE + 1, 0, 0);
    both(t, REF_WRITE, 0, f, 0xffffffffu, 0, 2);
    both(t, REF_WRITE, 0, f, 3000, 0, 0);               /* size grows, no blocks */
    both(t, REF_SIZE, 0, f, 0, 0, 0);
    both(t, REF_READ, 0, f, 0, 4096, 4000);              /* a hole reads as zeros */
    both(t, REF_WRITE, 0, f, 7000, 0, 100);             /* the direct blocks, with holes */
    both(t, REF_WRITE, 0, f, CFS_MAXFILE - 600, 0, 600); /* the indirect block */
    both(t, REF_READ, 0, f, CFS_MAXFILE - 1000, 8192, 2000);
    both(t, REF_APPEND, 0, f, 0, 0, 1);                 /* at the largest size */
    both(t, REF_UNLINK, "/work/w0/f", 0, 0, 0, 0);
    both(t, REF_SIZE, 0, f, 0, 0, 0);                   /* freed: ENOENT */
    fsck_native(t);
    twin_free(t);
}

static int path_of(char *p, size_t n, const char *fmt, uint32_t a, uint32_t b)
{
    return snprintf(p, n, fmt, a, b);
}

/* The svc workload's pattern (README "The workload"), requests of W workers
 * interleaved round robin on one thread. */
static void workload_match(void **s)
{
    (void)s;
    struct twin *t = twin_new(8192);
    enum { W = 4, R = 40 };
    char p[64];
    long blocks_start = ref_free_blocks(), inodes_start = ref_free_inodes();   /* twin_new's mount */
    long peeked = peeks - peeks_declined, declined = peeks_declined;
    t->compare_disks = false;                /* compared after each request instead */
    for (uint32_t w = 0; w < W; w++)
        path_of(p, sizeof p, "/work/w%u", w, 0), both(t, REF_MKDIR, p, 0, 0, 0, 0);
    for (uint32_t r = 0; r < R; r++)
        for (uint32_t w = 0; w < W; w++) {
            uint32_t key = (w * 2654435761u) ^ (r * 40503u), k = key % 16, chunk = 64 + (key >> 4) % 448;
            path_of(p, sizeof p, "/data/f%02u", k, 0);
            int d = both(t, REF_LOOKUP, p, 0, 0, 0, 0), size = both(t, REF_SIZE, 0, d, 0, 0, 0);
            for (int off = 0; off < size; off += chunk)
                both(t, REF_READ, 0, d, off, off, chunk);
            uint32_t n1 = 200 + (key >> 8) % 3000, n2 = 50 + (key >> 16) % 500;
            fill(t, 0, n1 + n2, key);
            path_of(p, sizeof p, "/work/w%u/r%u", w, r);
            int f = both(t, REF_CREATE, p, 0, 0, 0, 0);
            both(t, REF_WRITE, 0, f, 0, 0, n1 / 2);
            both(t, REF_WRITE, 0, f, n1 / 2, n1 / 2, n1 - n1 / 2);
            both(t, REF_APPEND, 0, f, 0, n1, n2);
            for (uint32_t off = 0; off < n1 + n2; off += 512)
                both(t, REF_READ, 0, f, off, 16384 + off, 512);
            assert_memory_equal(t->natmem, t->natmem + 16384, n1 + n2);
            if (r >= 2)
                path_of(p, sizeof p, "/work/w%u/r%u", w, r - 2), both(t, REF_UNLINK, p, 0, 0, 0, 0);
            if (r % 4 == 1) {
                path_of(p, sizeof p, "/shared/s%u.%u", w, r);
                int e = both(t, REF_CREATE, p, 0, 0, 0, 0);
                both(t, REF_WRITE, 0, e, 0, 0, 64);
                if (r >= 5)
                    path_of(p, sizeof p, "/shared/s%u.%u", w, r - 4), both(t, REF_UNLINK, p, 0, 0, 0, 0);
            }
            if (r % 8 == 7) {
                path_of(p, sizeof p, "/shared/log%u", w % 4, 0);
                both(t, REF_APPEND, 0, both(t, REF_LOOKUP, p, 0, 0, 0, 0), 0, 0, 8 + key % 8);
            }
            if (r % 16 == 0) {
                path_of(p, sizeof p, "/work/w%u/d%u", w, r);
                both(t, REF_MKDIR, p, 0, 0, 0, 0);
                path_of(p, sizeof p, "/work/w%u/d%u/x", w, r);
                both(t, REF_WRITE, 0, both(t, REF_CREATE, p, 0, 0, 0, 0), 0, 0, 32);
                if (r >= 32) {
                    path_of(p, sizeof p, "/work/w%u/d%u/x", w, r - 32);
                    both(t, REF_UNLINK, p, 0, 0, 0, 0);
                    path_of(p, sizeof p, "/work/w%u/d%u", w, r - 32);
                    both(t, REF_RMDIR, p, 0, 0, 0, 0);
                }
            }
            assert_memory_equal(t->ref, t->nat, (size_t)t->nblocks * CFS_BSIZE);
        }
    /* both ways of reading a block served this workload */
    assert_true(peeks - peeks_declined > peeked + 1000 && peeks_declined > declined + 1000);
    /* classic's running free counts are the ones a fresh mount counts */
    uint32_t blocks0 = ref_free_blocks(), inodes0 = ref_free_inodes();
    assert_int_equal(ref_mount(t->ref, t->nblocks), 0);   /* recount */
    assert_int_equal(ref_free_blocks(), blocks0);
    assert_int_equal(ref_free_inodes(), inodes0);
    /* and so are the changes cfs reported (dcount), counted from the start:
     * fsck_native mounts the native disk, a recount of what cfs wrote */
    fsck_native(t);
    assert_int_equal(ref_free_blocks(), blocks_start + t->dev.free_blocks);
    assert_int_equal(ref_free_inodes(), inodes_start + t->dev.free_inodes);
    assert_true(t->dev.free_blocks != 0);    /* the workload did change them */
    twin_free(t);
}

/* Random calls over a small tree, big writes to reach the indirect block
 * and the end of a small disk (ENOSPC mid-write, left as classic leaves it). */
static void random_match(void **s)
{
    (void)s;
    static const char *names[] = { "/a", "/a/b", "/a/c", "/a/b/d", "/e", "/e/f", "/a/b/../g", "/e/./h" };
    struct twin *t = twin_new(600);
    uint64_t x = 0x243f6a8885a308d3ull;
    int inums[8] = { 1, 2, 3 };
    fill(t, 0, 80000, 9);
    for (int i = 0; i < 3000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        const char *path = names[x % 8];
        int inum = inums[(x >> 8) % 8];
        uint32_t off = (x >> 16) % 3 == 0 ? 0 : (uint32_t)(x >> 20) % CFS_MAXFILE;
        uint32_t n = (x >> 40) % 4 == 0 ? (uint32_t)(x >> 44) % 70000 : (uint32_t)(x >> 44) % 700;
        enum ref_op op = (enum ref_op)(REF_LOOKUP + (x >> 56) % 9);
        int r = both(t, op, path, inum, off, 0, n);
        if (r == CFS_ENOSPC || r == REF_CORRUPT)
            continue;
        if (r > 0 && (op == REF_CREATE || op == REF_MKDIR || op == REF_LOOKUP))
            inums[(x >> 30) % 8] = r;
    }
    twin_free(t);
}

static void inodes_run_out(void **s)
{
    (void)s;
    struct twin *t = twin_new(8192);
    char p[32];
    t->compare_disks = false;
    int r = 0;
    for (uint32_t i = 0; r != CFS_ENOSPC; i++)
        path_of(p, sizeof p, "/work/n%u", i, 0), r = both(t, i % 5 ? REF_CREATE : REF_MKDIR, p, 0, 0, 0, 0);
    assert_memory_equal(t->ref, t->nat, (size_t)t->nblocks * CFS_BSIZE);
    fsck_native(t);
    twin_free(t);
}

/* Where classic stops ("fs: corrupt file system"), cfs declines the call. */
static void corrupt_declined(void **s)
{
    (void)s;
    struct twin *t = twin_new(8192);
    int motd = both(t, REF_LOOKUP, "/etc/motd", 0, 0, 0, 0);
    struct cfs_super sb;
    memcpy(&sb, t->nat + CFS_BSIZE, sizeof sb);
    size_t at = (size_t)(sb.inode_start + motd / CFS_IPB) * CFS_BSIZE + motd % CFS_IPB * 64;
    struct cfs_inode ip;
    memcpy(&ip, t->nat + at, sizeof ip);
    ip.direct[0] = 3;                         /* the inode table */
    memcpy(t->nat + at, &ip, sizeof ip);
    memcpy(t->ref + at, &ip, sizeof ip);
    assert_int_equal(both(t, REF_READ, 0, motd, 0, 0, 10), REF_CORRUPT);
    ip.direct[0] = 0;
    ip.size = CFS_MAXFILE + 1;
    memcpy(t->nat + at, &ip, sizeof ip);
    memcpy(t->ref + at, &ip, sizeof ip);
    assert_int_equal(both(t, REF_SIZE, 0, motd, 0, 0, 10), REF_CORRUPT);
    assert_int_equal(both(t, REF_LOOKUP, "/etc/motd", 0, 0, 0, 0), motd);   /* the entry is fine */
    /* an entry naming an inode past the table: walked through, removed */
    int data = both(t, REF_LOOKUP, "/data", 0, 0, 0, 0);
    memcpy(&ip, t->nat + (size_t)(sb.inode_start + data / CFS_IPB) * CFS_BSIZE + data % CFS_IPB * 64, sizeof ip);
    size_t ent = (size_t)ip.direct[0] * CFS_BSIZE + 2 * 32;                  /* f00 */
    uint32_t far = 5000;
    memcpy(t->nat + ent, &far, 4);
    memcpy(t->ref + ent, &far, 4);
    assert_int_equal(both(t, REF_LOOKUP, "/data/f00", 0, 0, 0, 0), 5000);
    assert_int_equal(both(t, REF_LOOKUP, "/data/f00/x", 0, 0, 0, 0), REF_CORRUPT);
    assert_int_equal(both(t, REF_UNLINK, "/data/f00", 0, 0, 0, 0), REF_CORRUPT);
    assert_int_equal(both(t, REF_RMDIR, "/data/f00", 0, 0, 0, 0), REF_CORRUPT);
    twin_free(t);
    /* a guest buffer outside guest memory: declined, nothing written */
    t = twin_new(8192);
    int f = cfs_create(&t->fs, "/work/x", 8, CFS_FILE);
    assert_true(f > 0);
    assert_int_equal(cfs_write(&t->fs, f, 0, MEM - 10, 11), CFS_DECLINE);
    assert_int_equal(cfs_size(&t->fs, f), 0);
    assert_int_equal(cfs_write(&t->fs, f, 0, MEM - 10, 10), 10);
    assert_int_equal(cfs_read(&t->fs, f, 0, MEM - 5, 10), CFS_DECLINE);
    assert_int_equal(cfs_read(&t->fs, f, 5, MEM - 5, 10), 5);
    /* a path not terminated within what the glue copied */
    assert_int_equal(cfs_lookup(&t->fs, "/work/x", 7), CFS_DECLINE);
    assert_int_equal(cfs_lookup(&t->fs, "/nope/x", 7), CFS_ENOENT);   /* classic stops before */
    twin_free(t);
}

/* ---- threads ------------------------------------------------------------------ */

struct worker { struct twin *t; uint32_t w, rounds; int failed; };

static void *work(void *arg)
{
    struct worker *k = arg;
    struct cfs *fs = &k->t->fs;
    char p[64], q[64];
    uint32_t buf = k->w * 8192, n;
    snprintf(p, sizeof p, "/work/w%u", k->w);
    if (cfs_create(fs, p, strlen(p) + 1, CFS_DIR) <= 0)
        k->failed++;
    for (uint32_t r = 0; r < k->rounds; r++) {
        n = 100 + (k->w * 977 + r * 131) % 3000;
        for (uint32_t i = 0; i < n; i++)
            k->t->natmem[buf + i] = (uint8_t)(k->w + r + i);
        snprintf(p, sizeof p, r % 3 ? "/work/w%u/r%u" : "/shared/w%u.r%u", k->w, r);
        int f = cfs_create(fs, p, strlen(p) + 1, CFS_FILE);
        if (f <= 0 || cfs_write(fs, f, 0, buf, n) != (int)n || cfs_size(fs, f) != (int)n
            || cfs_read(fs, f, 0, buf + 4096, n) != (int)n || memcmp(k->t->natmem + buf, k->t->natmem + buf + 4096, n))
            k->failed++;
        snprintf(q, sizeof q, "/shared/log%u", r % 4);
        int log = cfs_lookup(fs, q, strlen(q) + 1);
        if (log <= 0 || cfs_append(fs, log, buf, 10) != 10)
            k->failed++;
        if (r >= 2) {
            snprintf(p, sizeof p, (r - 2) % 3 ? "/work/w%u/r%u" : "/shared/w%u.r%u", k->w, r - 2);
            if (cfs_remove(fs, p, strlen(p) + 1, CFS_FILE))
                k->failed++;
        }
        snprintf(p, sizeof p, "/work/w%u/../w%u/d", k->w, (k->w + 1) % 8);
        int d = cfs_create(fs, p, strlen(p) + 1, CFS_DIR);   /* in a neighbour's directory, via ".." */
        if (d > 0 && cfs_remove(fs, p, strlen(p) + 1, CFS_DIR))
            k->failed++;
        if (holds || locks)
            k->failed++;
    }
    return NULL;
}

/* 8 threads; returns the number of problems seen (results, fsck, log sizes) */
static int threaded(bool broken)
{
    struct twin *t = twin_new(8192);
    struct worker k[8];
    pthread_t th[8];
    enum { ROUNDS = 60 };
    t->dev.broken = broken;
    for (uint32_t w = 0; w < 8; w++) {
        k[w] = (struct worker){ t, w, ROUNDS, 0 };
        pthread_create(&th[w], NULL, work, &k[w]);
    }
    int problems = 0;
    for (uint32_t w = 0; w < 8; w++) {
        pthread_join(th[w], NULL);
        problems += k[w].failed;
    }
    for (uint32_t j = 0; j < 4; j++) {
        char q[32];
        snprintf(q, sizeof q, "/shared/log%u", j);
        problems += cfs_size(&t->fs, cfs_lookup(&t->fs, q, strlen(q) + 1)) != 8 * ROUNDS / 4 * 10;
    }
    uint32_t blocks0 = ref_free_blocks(), inodes0 = ref_free_inodes();
    if (ref_mount(t->nat, t->nblocks) == 0) {
        problems += ref_call(REF_FSCK, 0, 0, 0, 0, 0) != 0;
        problems += (long)ref_free_blocks() != (long)blocks0 + t->dev.free_blocks;
        problems += (long)ref_free_inodes() != (long)inodes0 + t->dev.free_inodes;
    } else {
        problems++;
    }
    twin_free(t);
    return problems;
}

static void threads_agree(void **s)
{
    (void)s;
    for (int i = 0; i < 3; i++)
        assert_int_equal(threaded(false), 0);
}

/* The control: without inode locks the same run must go wrong. */
static void threads_without_locks_caught(void **s)
{
    (void)s;
    int caught = 0;
    for (int i = 0; i < 20 && !caught; i++)
        caught = threaded(true) > 0;
    assert_true(caught);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errors_match),
        cmocka_unit_test(workload_match),
        cmocka_unit_test(random_match),
        cmocka_unit_test(inodes_run_out),
        cmocka_unit_test(corrupt_declined),
        cmocka_unit_test(threads_agree),
        cmocka_unit_test(threads_without_locks_caught),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
