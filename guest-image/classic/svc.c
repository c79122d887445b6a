/* svc: the workload.  Each request reads a prepopulated data file, writes
 * and appends a file of its own, reads it back and checks it, runs the
 * compute-heavy hash rounds, deletes older files, and now and then touches
 * the shared directory, a shared append-only log and a subdirectory.
 * Every fs operation is checked: a failure ends the run with
 * EXIT_WORKLOAD and says which worker, request, operation and path. */
#include "svc.h"
#include "boot.h"
#include "console.h"
#include "exit.h"
#include "fs.h"
#include "klib.h"
#include "mm.h"
#include "sched.h"
#include "timer.h"
#include "x86.h"

#define FNV_BASIS 0x811c9dc5u
#define FNV_PRIME 0x01000193u
#define MAX_FILE  (200 + 2999 + 50 + 499)   /* len1 + len2 at their largest */
#define MAX_DATA  (512 + 777 * (SVC_NDATA - 1))

uint64_t svc_digest;
uint64_t svc_worker_digest[SVC_MAX_WORKERS];
uint32_t svc_requests_done;
uint32_t svc_workers, svc_requests;
uint32_t svc_start_tick, svc_end_tick;

/* splitmix64's finaliser: a bijection, well mixed, cheap enough on i486. */
API uint64_t svc_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* FNV-1a, 32 bits. */
API uint32_t svc_checksum(const uint8_t *p, uint32_t n)
{
    uint32_t h = FNV_BASIS;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

/* The compute-heavy step: `rounds` further FNV passes over the content,
 * each pass salted with its round number. */
API uint32_t svc_hash_rounds(uint32_t h, const uint8_t *p, uint32_t n, uint32_t rounds)
{
    for (uint32_t t = 0; t < rounds; t++)
        for (uint32_t i = 0; i < n; i++)
            h = (h ^ p[i] ^ t) * FNV_PRIME;
    return h;
}

/* Per-request scratch, one set per worker thread. */
struct scratch {
    uint8_t data[MAX_DATA];     /* the data file read */
    uint8_t want[MAX_FILE];     /* what the request wrote */
    uint8_t got[MAX_FILE];      /* what it read back */
};

struct req {
    uint32_t w, r, key;
    struct scratch *s;
};

static NORETURN void fail(const struct req *q, const char *op, const char *path, const char *why)
{
    classic_fail(EXIT_WORKLOAD, "svc: worker %u request %u: %s %s: %s\n", q->w, q->r, op, path,
                 why);
}

static int must(const struct req *q, int r, const char *op, const char *path)
{
    if (r < 0)
        fail(q, op, path, fs_strerror(r));
    return r;
}

/* Read a whole file in chunks of `chunk` bytes; returns its size. */
static uint32_t read_all(const struct req *q, const char *path, uint8_t *buf, uint32_t max,
                         uint32_t chunk)
{
    int inum = must(q, fs_lookup(path), "lookup", path);
    uint32_t size = (uint32_t)must(q, fs_size(inum), "stat", path);
    if (size > max)
        fail(q, "read", path, "larger than any file the workload knows");
    for (uint32_t off = 0; off < size; off += chunk) {
        uint32_t n = size - off < chunk ? size - off : chunk;
        if (must(q, fs_read(inum, off, buf + off, n), "read", path) != (int)n)
            fail(q, "read", path, "short read");
    }
    return size;
}

/* Create path holding p[0..n), written in two pieces. */
static int write_new(const struct req *q, const char *path, const uint8_t *p, uint32_t n)
{
    int inum = must(q, fs_create(path), "create", path);
    must(q, fs_write(inum, 0, p, n / 2), "write", path);
    must(q, fs_write(inum, n / 2, p + n / 2, n - n / 2), "write", path);
    return inum;
}

/* Every 4th request: a small file in the shared directory; returns the
 * checksum of what was read back. */
static uint32_t shared_file(const struct req *q)
{
    char path[48];
    uint8_t e[64], back[64];
    for (uint32_t j = 0; j < 64; j++)
        e[j] = (uint8_t)((q->key >> (j % 4 * 8)) ^ j);
    ksnprintf(path, sizeof path, "/shared/s%u.%u", q->w, q->r);
    write_new(q, path, e, sizeof e);
    if (read_all(q, path, back, sizeof back, 64) != 64 || memcmp(e, back, 64))
        fail(q, "verify", path, "read back data differs from what was written");
    if (q->r >= 5) {
        ksnprintf(path, sizeof path, "/shared/s%u.%u", q->w, q->r - 4);
        must(q, fs_unlink(path), "unlink", path);
    }
    return svc_checksum(back, 64);
}

/* Every 8th request: append a record to the log shared by workers w%4. */
static void shared_log(const struct req *q)
{
    char path[32];
    uint8_t f[16];
    uint32_t n = 8 + q->key % 8;
    for (uint32_t j = 0; j < n; j++)
        f[j] = (uint8_t)(q->w + j);
    ksnprintf(path, sizeof path, "/shared/log%u", q->w % SVC_NLOGS);
    int inum = must(q, fs_lookup(path), "lookup", path);
    must(q, fs_append(inum, f, n), "append", path);
}

/* Every 16th request: a subdirectory with one file; the one made 32
 * requests earlier is emptied and removed. */
static void subdir(const struct req *q)
{
    char path[48];
    uint8_t g[32];
    for (uint32_t j = 0; j < 32; j++)
        g[j] = (uint8_t)(q->key + j);
    ksnprintf(path, sizeof path, "/work/w%u/d%u", q->w, q->r);
    must(q, fs_mkdir(path), "mkdir", path);
    ksnprintf(path, sizeof path, "/work/w%u/d%u/x", q->w, q->r);
    write_new(q, path, g, sizeof g);
    if (q->r >= 32) {
        ksnprintf(path, sizeof path, "/work/w%u/d%u/x", q->w, q->r - 32);
        must(q, fs_unlink(path), "unlink", path);
        ksnprintf(path, sizeof path, "/work/w%u/d%u", q->w, q->r - 32);
        must(q, fs_rmdir(path), "rmdir", path);
    }
}

void *svc_scratch[SVC_MAX_WORKERS];

/* One request; README.md "Digest" is the specification of every step. */
API uint64_t svc_request(uint32_t w, uint32_t r)
{
    struct req q = { w, r, (uint32_t)svc_mix64((uint64_t)w << 32 | r), svc_scratch[w] };
    struct scratch *s = q.s;
    char path[48];

    /* 1. a prepopulated data file, read in odd-sized chunks */
    uint32_t k = q.key % SVC_NDATA;
    ksnprintf(path, sizeof path, "/data/f%02u", k);
    uint32_t dsize = read_all(&q, path, s->data, sizeof s->data, 64 + (q.key >> 4) % 448);
    uint32_t c1 = svc_checksum(s->data, dsize);

    /* 2-3. a new file derived from it, then an append */
    uint32_t len1 = 200 + (q.key >> 8) % 3000, len2 = 50 + (q.key >> 16) % 500;
    for (uint32_t i = 0; i < len1; i++)
        s->want[i] = s->data[(i + q.key) % dsize] ^ (uint8_t)(w * 31 + r * 17 + i);
    for (uint32_t j = 0; j < len2; j++)
        s->want[len1 + j] = (uint8_t)(j * 3 + r + w);
    ksnprintf(path, sizeof path, "/work/w%u/r%u", w, r);
    int inum = write_new(&q, path, s->want, len1);
    must(&q, fs_append(inum, s->want + len1, len2), "append", path);

    /* 4. read it back and check it */
    uint32_t len = read_all(&q, path, s->got, sizeof s->got, 512);
    if (len != len1 + len2 || memcmp(s->got, s->want, len))
        fail(&q, "verify", path, "read back data differs from what was written");
    uint32_t c2 = svc_checksum(s->got, len);

    /* 5. compute */
    uint32_t h = svc_hash_rounds(c2, s->got, len, 128 + (q.key >> 24) % 128);

    /* 6. keep only the last two request files */
    if (r >= 2) {
        ksnprintf(path, sizeof path, "/work/w%u/r%u", w, r - 2);
        must(&q, fs_unlink(path), "unlink", path);
    }

    /* 7-9. shared directory, shared log, subdirectories */
    uint32_t c3 = r % 4 == 1 ? shared_file(&q) : 0;
    if (r % 8 == 7)
        shared_log(&q);
    if (r % 16 == 0)
        subdir(&q);

    return svc_mix64((uint64_t)c1 << 32 | c2) ^ svc_mix64((uint64_t)h << 32 | (len ^ c3));
}

API void svc_worker(void *arg)
{
    uint32_t w = (uint32_t)arg;
    char path[32];
    struct req q = { w, 0, 0, NULL };
    ksnprintf(path, sizeof path, "/work/w%u", w);
    must(&q, fs_mkdir(path), "mkdir", path);
    uint64_t d = svc_mix64(w + 1);
    for (uint32_t r = 0; r < svc_requests; r++) {
        d = svc_mix64(d ^ svc_request(w, r));
        uint32_t f = irq_save();    /* shared counter: the legacy lock */
        svc_requests_done++;
        irq_restore(f);
    }
    svc_worker_digest[w] = d;
}

static int log_size(uint32_t j)
{
    char path[32];
    ksnprintf(path, sizeof path, "/shared/log%u", j);
    int inum = fs_lookup(path);
    return inum < 0 ? inum : fs_size(inum);
}

static void report(void)
{
    uint32_t ticks = svc_end_tick - svc_start_tick;
    if (ticks == 0)
        ticks = 1;
    uint32_t rate10 = svc_requests_done * timer_hz * 10 / ticks;
    for (uint32_t w = 0; w < svc_workers; w++)
        console_printf("svc: worker %u digest %016llx\n", w, svc_worker_digest[w]);
    console_printf("DIGEST %016llx\n", svc_digest);
    console_printf("REQUESTS %u\n", svc_requests_done);
    console_printf("THROUGHPUT %u.%u requests/s (%u requests in %u ticks at %u Hz)\n",
                   rate10 / 10, rate10 % 10, svc_requests_done, ticks, timer_hz);
}

/* Start the workers, wait for them in order, fold the digest. */
API int svc_run(const struct classic_config *cfg)
{
    struct thread *t[SVC_MAX_WORKERS];
    svc_workers = cfg->workers;
    svc_requests = cfg->requests;
    for (uint32_t w = 0; w < svc_workers; w++)
        if (!(svc_scratch[w] = kmalloc(sizeof(struct scratch))))
            panic("svc: no memory for worker %u", w);
    svc_start_tick = timer_now();
    for (uint32_t w = 0; w < svc_workers; w++) {
        char name[16];
        ksnprintf(name, sizeof name, "worker%u", w);
        t[w] = sched_spawn(name, svc_worker, (void *)w);
    }
    for (uint32_t w = 0; w < svc_workers; w++)
        sched_join(t[w]);
    svc_end_tick = timer_now();
    uint64_t d = 0;
    for (uint32_t w = 0; w < svc_workers; w++)
        d = svc_mix64(d ^ svc_worker_digest[w]);
    for (uint32_t j = 0; j < SVC_NLOGS; j++) {
        int n = log_size(j);
        if (n < 0)
            classic_fail(EXIT_WORKLOAD, "svc: /shared/log%u: %s\n", j, fs_strerror(n));
        d = svc_mix64(d ^ (uint32_t)n);
    }
    svc_digest = d;
    for (uint32_t w = 0; w < svc_workers; w++)
        kfree(svc_scratch[w]);
    report();
    return 0;
}
