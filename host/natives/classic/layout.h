/*
 * classic's memory as its natives read it, by name.  Every offset, width
 * and size comes from classic's debug information at build time, never from
 * a hand: layout.sh reads what layout.want lists (pahole, pglobal, nm) into
 * $(BUILD)/gen/classic_layout.h, with the build ID of the image it
 * describes (docs/peel.md, "Layouts").
 *
 *     void *b = guest_ptr(g, gpa, L_buf_SIZE);
 *     L_U32(b, L_buf_blockno) = blockno;      // compiles only if 4 bytes wide
 *
 * A native that reads any of it names classic_layout_check as its
 * `refuses` hook, so it is never applied to another build of classic.
 */
#pragma once
#include <stdint.h>
#include "classic_layout.h"
#include "host/peel/peel.h"

struct guest;

/* Field F (a generated name: L_buf_blockno) of the guest structure at host
 * pointer p, as a 32-bit lvalue; a layout where F is not 4 bytes wide does
 * not compile. */
#define L_U32(p, F) (*({ \
    _Static_assert(F##_WIDTH == 4, "the natives read " #F " as 4 bytes: not its width in this guest"); \
    (volatile uint32_t *)((uint8_t *)(p) + F##_OFF); }))

/* The guest address of variable V, a 32-bit word the manifest `keeps`
 * (peel_kept), or 0; a layout where V is not 4 bytes wide does not compile. */
#define L_KEPT_U32(g, V) ({ \
    _Static_assert(L_##V##_WIDTH == 4, "the natives read " #V " as 4 bytes: not its width in this guest"); \
    peel_kept((g), #V); })

/* NULL if the natives' layouts were generated from g's image (the same GNU
 * build ID, which a stripped copy keeps), else why not: the end of the
 * sentence "peel X refused: ...". */
const char *classic_layout_check(struct guest *g);
