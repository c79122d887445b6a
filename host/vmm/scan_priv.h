/*
 * The scanner's insides, shared by its two halves: scan.c follows the
 * guest's control flow and patches traps; scan_blocks.c plans, places and
 * withdraws patch blocks (host/vmm/blocks.h) on the paths it follows.
 * Nothing outside those two files includes this.
 */
#pragma once
#include "host/vmm/codepage.h"
#include "host/vmm/sites.h"
#include "host/decode/decode.h"

struct guest;
struct codepage_space;

/* A place to scan from, the page whose code led there (1 + its number;
 * 0 for a root: an entry point, a symbol, a faulting fetch), and whether
 * the path there has switched stacks (stack_switch). */
struct work {
    uint32_t lin, from;
    bool switched;
    bool again;                      /* a dropped page's old instruction, not a branch target */
    uint8_t bits;                    /* 32, or 16: how the code there decodes (a far target's CS) */
};

/* One scan's work list and the patches it made, which go into the side
 * table together when it ends; what it has seen stays with each page
 * (host/vmm/codepage.h). */
struct scan {
    struct guest *g;
    const struct codepage_space *sp;
    struct work *work;
    size_t nwork, capwork;
    struct site *made;
    size_t nmade, capmade;
    uint32_t last_lin, last_gpa;     /* 1 + the last page sp translated, and where to: a path stays in a page */
    /* patch blocks placed by this scan (host/vmm/blocks.h): their jmps are
     * written when it ends; their heads' and stubs' entries are in made */
    struct planned { uint32_t head, head_lin, at; uint8_t len; bool dead; } *planned;
    size_t nplanned, capplanned;
    size_t blocks_before;            /* g->blocks.n when the scan began */
    bool blocks;                     /* may place them (scan_blocks_fit; in 32-bit code only) */
    uint8_t bits;                    /* the work being followed: 32, or 16 (struct work) */
};

#define DEAD_KIND SITE_KINDS         /* a made entry withdrawn before the scan ended */

/* Recent instructions of the path being followed, back to back in one page,
 * each one a block could copy: a block may start there when the
 * instructions after its sensitive one are too few (an iret's epilogue). */
#define RUN_MAX 4
struct run {
    uint32_t gpa[RUN_MAX], target[RUN_MAX];
    uint8_t len[RUN_MAX], kind[RUN_MAX];     /* UNIT_COPY, or UNIT_JCC (re-aimed at target) */
    unsigned n;
};

/* One path being followed (scan.c's follow), as far as a block planned on
 * it must know. */
struct path {
    bool switched;                   /* it loaded ESP with another stack (stack_switch) */
    bool set;                        /* the instruction before wrote [esp] (return_set) */
    uint32_t block_end;              /* a block placed on this path covers up to here */
    struct run run;
};

/* The page's three maps (codepage_seen): instruction starts, bytes of
 * decoded instructions, bytes a patch block displaced (not its first). */
static inline bool seen(const uint8_t *map, uint32_t gpa) { return map[(gpa & 4095) / 8] >> (gpa % 8) & 1; }
static inline void mark(uint8_t *map, uint32_t gpa) { map[(gpa & 4095) / 8] |= 1 << (gpa % 8); }
static inline bool covered_at(const uint8_t *map, uint32_t gpa)
{
    return map[CODEPAGE_MAP + (gpa & 4095) / 8] >> (gpa % 8) & 1;
}
/* The bytes of a decoded instruction, in the page's second map (after the
 * instruction starts): a write elsewhere in the page leaves its scan good. */
static inline void cover(uint8_t *map, uint32_t gpa, uint32_t len)
{
    for (uint32_t a = gpa & 4095; a < (gpa & 4095) + len; a++)
        map[CODEPAGE_MAP + a / 8] |= 1 << (a % 8);
}
static inline bool inside(const uint8_t *map, uint32_t gpa)
{
    return map[2 * CODEPAGE_MAP + (gpa & 4095) / 8] >> (gpa % 8) & 1;
}
static inline void set_inside(uint8_t *map, uint32_t gpa, bool on)
{
    uint8_t *b = &map[2 * CODEPAGE_MAP + (gpa & 4095) / 8];
    *b = on ? *b | (uint8_t)(1 << (gpa % 8)) : *b & (uint8_t)~(1 << (gpa % 8));
}

/* scan.c */
bool scan_room(struct scan *s, size_t n);
bool scan_stack_switch(const struct insn *in);
bool scan_return_set(const struct insn *in);

/* scan_blocks.c */
bool scan_blocks_fit(struct guest *g, const struct codepage_space *sp);
/* in was just decoded at gpa (linear lin) on path p, not inside a block
 * placed on it; patched: the scanner would patch it with hlt, entries: a
 * switch's table it ends.  Place a block for it if one fits (then
 * p->block_end is set).  False: none, it traps as without blocks. */
bool scan_block(struct scan *s, struct path *p, const struct insn *in, uint32_t gpa, uint32_t lin, bool patched,
                uint32_t entries);
/* Keep in in p's run, or end the run (broken: in a block, or split by a page end). */
void scan_run_note(struct path *p, const struct insn *in, uint32_t gpa, uint32_t lin, bool broken);
/* A path reached gpa, a byte a block displaced: withdraw the block. */
bool scan_unblock(struct scan *s, uint32_t gpa);
