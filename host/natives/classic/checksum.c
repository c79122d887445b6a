/*
 * The checksum peel: classic's request checksums (svc_checksum,
 * svc_hash_rounds), pure functions over guest memory.  Like every native,
 * each reads its arguments as the guest passed them and touches guest
 * memory only through guest_ptr, so a hostile argument cannot reach past
 * the guest.
 */
#include "host/peel/natives.h"
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

static const struct native natives[] = {
    { "fnv1a", fnv1a, 0 },
    { "fnv1a_rounds", fnv1a_rounds, 0 },
    { 0, 0, 0 },
};

NATIVE_SUBSYSTEM(checksum) = {
    .name = "checksum",
    .natives = natives,
    .may_leave_gkl = true,
};
