/*
 * Natives for the peel framework's own test guests (tests/guests/calls.asm,
 * callbench.asm, entries.asm): a replacement that serves every call, and
 * one that always falls through to the guest's own code.
 */
#include "host/peel/natives.h"

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
    { "test_twice", twice, 0 },
    { "test_decline", decline, 0 },
    { 0, 0, 0 },
};

NATIVE_SUBSYSTEM(test) = {
    .name = "test",
    .natives = natives,
    .may_leave_gkl = true,
};
