/*
 * A stopped thread's call chain from its stack (callchain.h says how).
 */
#include "host/peel/callchain.h"

bool callchain_framed(const uint8_t *b)
{
    return b && b[0] == 0x55 && ((b[1] == 0x89 && b[2] == 0xe5) || (b[1] == 0x8b && b[2] == 0xec));
}

static void sift(struct callchain_fn *f, size_t root, size_t n)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && f[child].lo < f[child + 1].lo) child++;
        if (f[root].lo >= f[child].lo) return;
        struct callchain_fn t = f[root]; f[root] = f[child]; f[child] = t;
    }
}

void callchain_sort(struct callchain_fn *f, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift(f, i, n);
    for (size_t end = n; end-- > 1;) {
        struct callchain_fn t = f[0]; f[0] = f[end]; f[end] = t;
        sift(f, 0, end);
    }
}

const struct callchain_fn *callchain_find(const struct callchain_fn *f, size_t n, uint32_t a)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f[mid].lo <= a) lo = mid + 1; else hi = mid;
    }
    return lo && a < f[lo - 1].hi ? &f[lo - 1] : 0;
}

bool callchain_keeps_frames(const struct callchain_fn *f, size_t n)
{
    size_t framed = 0;
    for (size_t i = 0; i < n; i++)
        framed += f[i].framed;
    return n && framed * 2 >= n;
}

static const struct callchain_fn *fn_at(const struct callchain *c, uint32_t a)
{
    return callchain_find(c->fns, c->nfns, a);
}

/* Every word of [lo, hi), the blind way. */
static bool blind(const struct callchain *c, uint32_t lo, uint32_t hi)
{
    uint32_t x;
    for (uint64_t a = lo & ~3u; a < hi && a + 4 <= c->top && c->word(c->ctx, (uint32_t)a, &x); a += 4)
        if (c->visit(c->ctx, x))
            return true;
    return false;
}

/* From the frame at ebp up; below lo everything is accounted for. */
static bool chain(const struct callchain *c, uint32_t lo, uint32_t ebp)
{
    for (;;) {
        uint32_t up, ret;
        if ((ebp & 3u) || ebp < lo || (uint64_t)ebp + 8 > c->top || !c->word(c->ctx, ebp, &up) ||
            !c->word(c->ctx, ebp + 4, &ret))
            return blind(c, lo, c->top);             /* not a frame: the rest the blind way */
        if (c->visit(c->ctx, ret))
            return true;
        const struct callchain_fn *caller = fn_at(c, ret);
        if (!caller || up <= ebp)
            return blind(c, ebp + 8, c->top);        /* the chain ends (or is not one) */
        if (!caller->framed && blind(c, ebp + 8, up))
            return true;                             /* a frameless caller: what it left below the next frame */
        lo = ebp + 8;
        ebp = up;
    }
}

/* An instruction after which the frame may already be gone: a return, or a
 * jump (after `leave`, a tail call; else a jump within the body, for which
 * reading the top word too only costs a look). */
static bool leaving(const uint8_t *at)
{
    return at && (at[0] == 0xc3 || at[0] == 0xc2 || at[0] == 0xe9 || at[0] == 0xeb ||
                  (at[0] == 0xff && ((at[1] >> 3) & 7) >= 4 && ((at[1] >> 3) & 7) <= 5));
}

bool callchain_walk(const struct callchain *c, uint32_t pc, uint32_t esp, uint32_t ebp)
{
    if (!c->frame_pointers)
        return blind(c, esp, c->top);
    const struct callchain_fn *f = fn_at(c, pc);
    if (f && (pc == f->lo || leaving(c->code(c->ctx, pc, 2)))) {
        /* the return address on top, EBP the caller's frame */
        uint32_t ret;
        if (!c->word(c->ctx, esp, &ret))
            return blind(c, esp, c->top);
        if (c->visit(c->ctx, ret))
            return true;
        const struct callchain_fn *caller = fn_at(c, ret);
        if (!(caller && caller->framed) && ebp > esp && blind(c, esp + 4, ebp))
            return true;                             /* a frameless caller's words below the frame */
        return chain(c, esp + 4, ebp);
    }
    if (f && f->framed && pc - f->lo >= 3)
        return chain(c, esp, ebp);                   /* in its body: its own frame is EBP */
    /* a prologue half done, a frameless function, no function at all */
    if (ebp > esp && blind(c, esp, ebp))
        return true;
    return chain(c, ebp > esp ? ebp : esp, ebp);
}
