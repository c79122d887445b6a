/*
 * A guest vCPU's call chain, for quiesce.c (is a thread inside a subsystem?)
 * and gate.c (is a caller at a gate inside already?): host/peel/callchain.h
 * reads it, given the vCPU's stack through its SS and paging, and the
 * image's functions from its symbols, each marked by whether its first bytes
 * in the image file set up a frame.
 */
#include "host/peel/peel_priv.h"
#include "host/vmm/guest.h"
#include "host/peel/natives.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/gmem.h"
#include "loader/elf32.h"
#include "kernel/heap.h"
#include "host/peel/callchain.h"

#define BOOT_STACK_SCAN 16384u       /* a stack whose top nobody knows: this much of it */

/* The image's bytes at a (what the loaded copy had before any patch), or
 * the loaded copy's outside the executable segment. */
static const uint8_t *original(struct guest *g, uint32_t a, uint32_t n)
{
    if (a >= g->code_lo && a + (uint64_t)n <= g->code_hi && g->code_file + (uint64_t)(a - g->code_lo) + n <= g->image_size)
        return g->image + g->code_file + (a - g->code_lo);
    return guest_ptr(g, a, n);
}

/* The functions with a size, sorted, at the guest's start. */
void frames_init(struct guest *g)
{
    struct peels *p = g->peels;
    size_t n = guest_symbol_count(g), k = 0;
    p->fns = kzalloc((n ? n : 1) * sizeof *p->fns);
    if (!p->fns)
        return;                                      /* then every stack is read the blind way */
    for (size_t i = 0; i < n; i++) {
        struct elf32_symbol s;
        if (guest_symbol_at(g, i, &s) && s.type == ELF32_STT_FUNC && s.size)
            p->fns[k++] = (struct callchain_fn){ s.value, s.value + s.size, callchain_framed(original(g, s.value, 3)) };
    }
    callchain_sort(p->fns, k);
    p->nfns = k;
    p->frame_pointers = callchain_keeps_frames(p->fns, k);
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
static bool word(void *ctx, uint32_t a, uint32_t *out)
{
    const struct walk *w = ctx;
    uint32_t lin;
    struct gfault f;
    return (uint64_t)a + 4 <= w->top && gmem_linear_desc(w->ss, true, a, 4, GMEM_READ, &lin, &f) &&
           gmem_peek_lin(w->v, lin, out, 4);
}

static const uint8_t *code(void *ctx, uint32_t a, uint32_t n)
{
    return original(((struct walk *)ctx)->g, a, n);
}

static bool visit(void *ctx, uint32_t a)
{
    const struct walk *w = ctx;
    return w->visit(w->g, a, false, w->arg);
}

bool frames_visit(struct guest *g, struct vcpu *v, bool at_eip, frame_visit look, void *arg)
{
    struct peels *p = g->peels;
    const struct trapframe *tf = v->tf ? v->tf : &v->boot;
    uint32_t esp = (uint32_t)tf->rsp, ebp = (uint32_t)tf->rbp, pc = (uint32_t)tf->rip;
    uint32_t in_block = blocks_original(g, pc), top = natives_stack_top(g, v);
    if (!top)
        top = esp + BOOT_STACK_SCAN < esp ? 0xfffffffcu : esp + BOOT_STACK_SCAN;
    struct walk w = { g, v, vcpu_descriptor(v, (uint16_t)tf->ss), top, look, arg };
    if (in_block)
        pc = in_block;                               /* the guest's instruction a patch block stands for */
    if (at_eip && look(g, pc, true, arg))
        return true;
    struct callchain c = { word, code, visit, &w, p->fns, p->nfns, top, p->frame_pointers };
    return callchain_walk(&c, pc, esp, ebp);
}
