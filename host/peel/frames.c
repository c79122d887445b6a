/*
 * A guest thread's call chain, read from its stack while it is stopped in
 * the host: which code is active on it.  quiesce.c asks whether a thread is
 * inside a subsystem, gate.c whether a caller at a gate already is.
 *
 * Reading every stack word that looks like a code address is safe but
 * blind: a frame's locals keep stale return addresses for as long as the
 * frame lives, and a worker's loop can keep one of a subsystem's for ever,
 * so the thread looks inside it for ever.  Kernels built with frame
 * pointers (classic; Debian's i386 Linux) link each frame to its caller's
 * through EBP, with the return address beside the link; following that
 * chain reads only the words that are return addresses.  Where the chain
 * cannot account for a stretch of stack, its words are read the blind way:
 *
 *   - below the first frame, unless the thread stands on a function's
 *     first instruction or a `ret` (return address on top) or inside a
 *     function with a frame (nothing of interest below its frame);
 *   - between two frames when the function the lower one returns to has no
 *     frame of its own (assembly: an interrupt entry, whose interrupted EIP
 *     lies there, or a frameless helper, whose return address does);
 *   - everything above a link that does not point up the stack, or a return
 *     address outside every function; and the whole stack of an image
 *     where fewer than half the functions set up a frame (built without
 *     frame pointers: EBP is just a register there).
 *
 * A function "has a frame" if its first bytes in the image file are `push
 * %ebp; mov %esp,%ebp`.  What this cannot see: a function that begins that
 * way but uses EBP for something else, in an image that mostly keeps frame
 * pointers.
 */
#include "host/peel/peel_priv.h"
#include "host/vmm/guest.h"
#include "host/peel/natives.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/gmem.h"
#include "loader/elf32.h"
#include "kernel/heap.h"

#define BOOT_STACK_SCAN 16384u       /* a stack whose top nobody knows: this much of it */

struct frame_fn { uint32_t lo, hi; bool framed; };

/* The image's bytes at a (what the loaded copy had before any patch), or
 * the loaded copy's outside the executable segment. */
static const uint8_t *original(struct guest *g, uint32_t a, uint32_t n)
{
    if (a >= g->code_lo && a + (uint64_t)n <= g->code_hi && g->code_file + (uint64_t)(a - g->code_lo) + n <= g->image_size)
        return g->image + g->code_file + (a - g->code_lo);
    return guest_ptr(g, a, n);
}

static bool framed(struct guest *g, uint32_t a)
{
    const uint8_t *b = original(g, a, 3);
    return b && b[0] == 0x55 && ((b[1] == 0x89 && b[2] == 0xe5) || (b[1] == 0x8b && b[2] == 0xec));
}

static void sift(struct frame_fn *f, size_t root, size_t n)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && f[child].lo < f[child + 1].lo) child++;
        if (f[root].lo >= f[child].lo) return;
        struct frame_fn t = f[root]; f[root] = f[child]; f[child] = t;
    }
}

/* The functions with a size, sorted (heapsort: Linux has tens of thousands). */
void frames_init(struct guest *g)
{
    struct peels *p = g->peels;
    size_t n = guest_symbol_count(g), k = 0, with_frames = 0;
    p->fns = kzalloc((n ? n : 1) * sizeof *p->fns);
    if (!p->fns)
        return;                                      /* then every stack is read the blind way */
    for (size_t i = 0; i < n; i++) {
        struct elf32_symbol s;
        if (guest_symbol_at(g, i, &s) && s.type == ELF32_STT_FUNC && s.size) {
            p->fns[k] = (struct frame_fn){ s.value, s.value + s.size, framed(g, s.value) };
            with_frames += p->fns[k++].framed;
        }
    }
    for (size_t i = k / 2; i-- > 0;)
        sift(p->fns, i, k);
    for (size_t end = k; end-- > 1;) {
        struct frame_fn t = p->fns[0]; p->fns[0] = p->fns[end]; p->fns[end] = t;
        sift(p->fns, 0, end);
    }
    p->nfns = k;
    p->frame_pointers = k && with_frames * 2 >= k;
}

static const struct frame_fn *fn_at(const struct peels *p, uint32_t a)
{
    size_t lo = 0, hi = p->nfns;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->fns[mid].lo <= a) lo = mid + 1; else hi = mid;
    }
    return lo && a < p->fns[lo - 1].hi ? &p->fns[lo - 1] : 0;
}

struct walk {
    struct guest *g;
    struct vcpu *v;
    uint64_t ss;
    uint32_t top;
    frame_visit visit;
    void *arg;
};

/* A stack word through SS and the guest's paging, setting nothing. */
static bool word(const struct walk *w, uint32_t a, uint32_t *out)
{
    uint32_t lin;
    struct gfault f;
    return a + 4 <= w->top && gmem_linear_desc(w->ss, true, a, 4, GMEM_READ, &lin, &f) &&
           gmem_peek_lin(w->v, lin, out, 4);
}

/* Every word of [lo, hi) that the visitor wants. */
static bool blind(const struct walk *w, uint32_t lo, uint32_t hi)
{
    for (uint32_t a = lo & ~3u, x; a >= lo - (lo & 3u) && a < hi && word(w, a, &x); a += 4)
        if (w->visit(w->g, x, false, w->arg))
            return true;
    return false;
}

/* From the frame at ebp up; below lo everything is accounted for. */
static bool chain(const struct walk *w, uint32_t lo, uint32_t ebp)
{
    struct peels *p = w->g->peels;
    for (;;) {
        uint32_t up, ret;
        if ((ebp & 3u) || ebp < lo || !word(w, ebp, &up) || !word(w, ebp + 4, &ret))
            return blind(w, lo, w->top);             /* not a frame: the rest the blind way */
        if (w->visit(w->g, ret, false, w->arg))
            return true;
        const struct frame_fn *caller = fn_at(p, ret);
        if (!caller || up <= ebp)
            return blind(w, ebp + 8, w->top);        /* the chain ends (or is not one) */
        if (!caller->framed && blind(w, ebp + 8, up))
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

bool frames_visit(struct guest *g, struct vcpu *v, bool at_eip, frame_visit visit, void *arg)
{
    struct peels *p = g->peels;
    const struct trapframe *tf = v->tf ? v->tf : &v->boot;
    uint32_t esp = (uint32_t)tf->rsp, ebp = (uint32_t)tf->rbp, pc = (uint32_t)tf->rip;
    uint32_t in_block = blocks_original(g, pc);
    struct walk w = { g, v, vcpu_descriptor(v, (uint16_t)tf->ss), natives_stack_top(g, v), visit, arg };
    if (!w.top)
        w.top = esp + BOOT_STACK_SCAN < esp ? 0xfffffffcu : esp + BOOT_STACK_SCAN;
    if (in_block)
        pc = in_block;                               /* the guest's instruction a patch block stands for */
    if (at_eip && visit(g, pc, true, arg))
        return true;
    const struct frame_fn *f = p->frame_pointers ? fn_at(p, pc) : 0;
    uint32_t ret;
    if (f && (pc == f->lo || leaving(original(g, pc, 2)))) {
        /* on its first instruction or on its way out: the return address on top, EBP the caller's */
        if (!word(&w, esp, &ret))
            return false;
        if (visit(g, ret, false, arg))
            return true;
        const struct frame_fn *caller = fn_at(p, ret);
        if (caller && caller->framed)
            return chain(&w, esp + 4, ebp);
        return blind(&w, esp + 4, ebp > esp ? ebp : esp + 4) || chain(&w, esp + 4, ebp);
    }
    if (f && f->framed && pc - f->lo >= 3)
        return chain(&w, esp, ebp);                  /* in its body: its own frame is EBP */
    /* a prologue half done, a frameless function, no function at all */
    return blind(&w, esp, ebp > esp && p->frame_pointers ? ebp : w.top) || (p->frame_pointers && chain(&w, esp, ebp));
}
