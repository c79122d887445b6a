/*
 * Reading a stopped thread's call chain from its stack: which code is
 * active on it.  Pure logic over callbacks (the stack's words, the image's
 * functions, its bytes), unit-tested on the host (tests/unit/test_callchain.c);
 * host/peel/frames.c gives it a guest vCPU.
 *
 * Reading every stack word that looks like a code address is safe but
 * blind: a frame's locals keep stale return addresses for as long as the
 * frame lives.  Code built with frame pointers links each frame to its
 * caller's through EBP, with the return address beside the link; following
 * that chain reads only the words that are return addresses.  Where the
 * chain cannot account for a stretch of stack, its words are read the blind
 * way:
 *
 *   - below the first frame, unless the thread stands on a function's first
 *     instruction or on its way out (a `ret`, a jump: the return address is
 *     on top) or in the body of a function with a frame (nothing of interest
 *     lies below its frame);
 *   - between two frames when the function the lower one returns to has no
 *     frame of its own (assembly: an interrupt entry, whose interrupted EIP
 *     lies there, or a frameless helper, whose return address does);
 *   - everything above a link that does not point up the stack, or a return
 *     address outside every function; and the whole stack when the image
 *     does not keep frame pointers.
 *
 * A function "has a frame" if it begins `push %ebp; mov %esp,%ebp`.  What
 * this cannot see: a function that begins that way but then uses EBP for
 * something else.  Every other error is towards reading more words.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct callchain_fn {
    uint32_t lo, hi;                 /* [lo, hi): its bytes */
    bool framed;                     /* begins push %ebp; mov %esp,%ebp */
};

struct callchain {
    /* The stack word at a (below top), or false. */
    bool (*word)(void *ctx, uint32_t a, uint32_t *out);
    /* n bytes of the image's code at a, as built (before any patch), or NULL. */
    const uint8_t *(*code)(void *ctx, uint32_t a, uint32_t n);
    /* A return address, or a word read the blind way: true stops the walk. */
    bool (*visit)(void *ctx, uint32_t addr);
    void *ctx;
    const struct callchain_fn *fns;  /* sorted by lo (callchain_sort) */
    size_t nfns;
    uint32_t top;                    /* the stack's top: no word at or above it */
    bool frame_pointers;             /* the image keeps them (callchain_keeps_frames) */
};

/* Visit what is active on a stack with the thread stopped at pc: true as
 * soon as visit says so.  (pc itself is the caller's to look at.) */
bool callchain_walk(const struct callchain *c, uint32_t pc, uint32_t esp, uint32_t ebp);

/* Does code begin a frame (push %ebp; mov %esp,%ebp, either encoding)? */
bool callchain_framed(const uint8_t *code);
/* Sort the table by lo, in place (heapsort: tens of thousands of functions). */
void callchain_sort(struct callchain_fn *fns, size_t n);
/* The function holding a, or NULL. */
const struct callchain_fn *callchain_find(const struct callchain_fn *fns, size_t n, uint32_t a);
/* Does an image with this table keep frame pointers: at least half its
 * functions begin a frame?  (Built without them, EBP is just a register.) */
bool callchain_keeps_frames(const struct callchain_fn *fns, size_t n);
