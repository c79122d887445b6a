/*
 * Native replacements for guest functions, found by the names manifests use.
 * Each reads its arguments as the guest passed them and touches guest memory
 * only through guest_ptr, so a hostile argument cannot reach past the guest.
 */
#include "host/peel/peel.h"
#include "host/vmm/guest.h"
#include "kernel/string.h"

/* 32-bit FNV-1a, the checksum of the classic workload's request data. */
#define FNV_BASIS 0x811c9dc5u
#define FNV_PRIME 0x01000193u

/* Bytes one call may hash (length times passes): twice classic's largest
 * call (3700 bytes, 255 rounds), a few milliseconds under TCG.  A native
 * runs inside the guest's trap, perhaps under its kernel lock; past this it
 * declines, and the guest's own code does the work, preemptible as any
 * guest code — the same answer, as the fall-through always is. */
#define HASH_WORK_MAX (2u << 20)

static bool fnv1a(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    const uint8_t *p = guest_ptr(g, a[0], a[1]);
    if ((!p && a[1]) || a[1] > HASH_WORK_MAX)
        return false;
    uint32_t h = FNV_BASIS;
    for (uint32_t i = 0; i < a[1]; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    *ret = h;
    return true;
}

/* (h, p, n, rounds): `rounds` further passes, each salted with its number */
static bool fnv1a_rounds(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    const uint8_t *p = guest_ptr(g, a[1], a[2]);
    if ((!p && a[2]) || (uint64_t)a[2] * a[3] > HASH_WORK_MAX)
        return false;
    uint32_t h = a[0];
    for (uint32_t t = 0; t < a[3]; t++)
        for (uint32_t i = 0; i < a[2]; i++)
            h = (h ^ p[i] ^ t) * FNV_PRIME;
    *ret = h;
    return true;
}

/* For the framework's own tests (tests/guests/calls.asm): a replacement
 * that serves every call, and one that always falls through. */
static bool twice(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    (void)g;
    *ret = a[0] * 2;
    return true;
}

static bool decline(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    (void)g; (void)a; (void)ret;
    return false;
}

static const struct native natives[] = {
    { "fnv1a", fnv1a, 0, 0, 0 },             /* read no guest layout: any image */
    { "fnv1a_rounds", fnv1a_rounds, 0, 0, 0 },
    { "test_twice", twice, 0, 0, 0 },
    { "test_decline", decline, 0, 0, 0 },
};

extern const struct native native_mm_alloc, native_mm_free;   /* host/natives/classic/mm.c */
extern const struct native native_cache_read, native_cache_write, native_cache_release,   /* host/natives/classic/cache.c */
    native_blk_read, native_blk_write, native_fs_lookup, native_fs_create, native_fs_mkdir,   /* host/natives/classic/fs.c */
    native_fs_unlink, native_fs_rmdir, native_fs_read, native_fs_write, native_fs_append, native_fs_size;
extern const struct native native_sched_natives[];             /* host/natives/classic/sched.c, ends with a null name */

const struct native *native_find(const char *name)
{
    static const struct native *const more[] = { &native_mm_alloc, &native_mm_free,
        &native_cache_read, &native_cache_write, &native_cache_release, &native_blk_read, &native_blk_write,
        &native_fs_lookup, &native_fs_create, &native_fs_mkdir, &native_fs_unlink, &native_fs_rmdir,
        &native_fs_read, &native_fs_write, &native_fs_append, &native_fs_size };
    static const struct native *const tables[] = { native_sched_natives };
    for (unsigned i = 0; i < sizeof natives / sizeof natives[0]; i++)
        if (!strcmp(natives[i].name, name)) return &natives[i];
    for (unsigned i = 0; i < sizeof more / sizeof more[0]; i++)
        if (!strcmp(more[i]->name, name)) return more[i];
    for (unsigned t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const struct native *n = tables[t]; n->name; n++)
            if (!strcmp(n->name, name)) return n;
    return 0;
}
