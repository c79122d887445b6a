/*
 * Patch blocks on the scanner's paths (host/vmm/blocks.h says what a block
 * is).  As scan.c follows a path it asks here, at each instruction a block
 * could start at, whether one fits: plan takes the instruction and what
 * follows it (or the short run before it), place emits its code into the
 * arena and records its entries with the scan's patches, and the head's
 * jmp is written when the scan commits.  A later path that reaches a byte
 * a block displaced withdraws it (scan_unblock), and the host gives one
 * back the same way (scan_withdraw): its bytes back, its pushf, popf, iret
 * and checked branch patched with hlt, as a scan without blocks leaves them.
 */
#include "host/vmm/scan.h"
#include "host/vmm/scan_priv.h"
#include "host/vmm/guest.h"
#include "host/vmm/segment.h"
#include "host/vmm/blocks.h"
#include "host/vmm/vcpu.h"
#include "kernel/heap.h"
#include "kernel/string.h"

/* Blocks need CS and SS flat (their jumps are linear addresses, the flags
 * words reached through SS): as the trap that scans finds them, or
 * Multiboot's before the guest runs.  With paging on, a window for the
 * arena in the guest's linear space, and a scan from its kernel
 * (host/vmm/blocks.c). */
bool scan_blocks_fit(struct guest *g, const struct codepage_space *sp)
{
    if (!g->blocks.on)
        return false;
    struct vcpu *v = vcpu_current();
    if (!v || v->guest != g || !v->entered || !v->tf)
        return !sp && g->blocks.lin == g->blocks.base;
    if (sp ? !blocks_paged_fit(v) : g->blocks.lin != g->blocks.base)
        return false;
    return blocks_flat(vcpu_descriptor(v, (uint16_t)v->tf->cs)) && blocks_flat(vcpu_descriptor(v, (uint16_t)v->tf->ss));
}

/* An instruction a block may copy as it is: no control flow, nothing the
 * host must see (privileged, sensitive, a segment load), nothing that
 * leaves the guest on purpose. */
static bool copyable(const struct insn *in)
{
    switch (in->cls) {
    case INSN_OTHER: case INSN_MOV: case INSN_PUSH: case INSN_POP:
    case INSN_MOVS: case INSN_STOS: case INSN_LODS: case INSN_CMPS: case INSN_SCAS:
        break;
    default:
        return false;
    }
    struct flow f;
    insn_flow(in, 0, &f);
    if (!f.falls_through || f.has_target || f.has_far_target || f.indirect || in->map >= MAP_VEX1)
        return false;
    uint8_t op = in->opcode;
    if (in->map == MAP_ONE)                  /* pop es/ss/ds; les, lds (VEX is another map) */
        return op != 0x07 && op != 0x17 && op != 0x1f && op != 0xc4 && op != 0xc5;
    if (in->map == MAP_0F)                   /* pop fs/gs; lss, lfs, lgs; syscall & co.; sysenter & co. */
        return op != 0xa1 && op != 0xa9 && op != 0xb2 && op != 0xb4 && op != 0xb5 &&
               op != 0x05 && op != 0x07 && op != 0x34 && op != 0x35 && op != 0x00 && op != 0x01;
    return true;
}

/* A unit for in, or -1: none fits (the plan ends before it). */
static int unit_kind(const struct insn *in, bool ret_jumps)
{
    bool one = in->map == MAP_ONE, bare = in->length == 1;
    switch (in->cls) {
    case INSN_CLI:   return bare ? UNIT_CLI : -1;
    case INSN_STI:   return bare ? UNIT_STI : -1;
    case INSN_PUSHF: return bare ? UNIT_PUSHF : -1;
    case INSN_POPF:  return bare ? UNIT_POPF : -1;
    case INSN_IRET:  return bare ? UNIT_IRET : -1;
    case INSN_OUT:   return bare && in->opcode == 0xee ? UNIT_OUT_DX :
                            one && in->length == 2 && in->opcode == 0xe6 && in->imm == 0x20 ? UNIT_EOI :
                            one && in->length == 2 && in->opcode == 0xe6 && in->imm == 0xa0 ? UNIT_EOI_SLAVE : -1;
    case INSN_IN:    return bare && in->opcode == 0xec ? UNIT_IN_DX : -1;
    case INSN_JCC:   return in->op_size == 32 && ((one && in->opcode >= 0x70 && in->opcode <= 0x7f) ||
                            (in->map == MAP_0F && in->opcode >= 0x80 && in->opcode <= 0x8f)) ? UNIT_JCC : -1;
    case INSN_JMP:   return one && in->op_size == 32 && (in->opcode == 0xe9 || in->opcode == 0xeb) ? UNIT_JMP : -1;
    case INSN_CALL:  return one && in->op_size == 32 && in->opcode == 0xe8 ? UNIT_CALL : -1;
    case INSN_RET:   return one && !ret_jumps && (in->opcode == 0xc3 || in->opcode == 0xc2) ? UNIT_RET : -1;
    default:         return copyable(in) ? UNIT_COPY : -1;
    }
}

static bool emulated(int kind) { return kind >= UNIT_CLI; }

/* A branch the scanner would patch for its unknown target (sensitive, or
 * a ret that jumps), of a form a block can check: its unit, or -1. */
static int branch_kind(const struct insn *in, bool ret_jumps, uint32_t entries)
{
    if (ret_jumps)
        return in->map == MAP_ONE && in->op_size == 32 && (in->opcode == 0xc3 || in->opcode == 0xc2) ? UNIT_RET_SEEN : -1;
    bool reg_form = in->map == MAP_ONE && in->opcode == 0xff && in->mod == 3 && in->length == 2 && !entries &&
                    in->rm != REG_SP;
    /* or through [disp32], no prefix (a table of operations: Linux's paravirt calls before it patches them) */
    bool mem_form = in->map == MAP_ONE && in->opcode == 0xff && in->mod == 0 && in->rm == 5 && in->length == 6 &&
                    in->addr_size == 32 && in->op_size == 32;
    if ((reg_form || mem_form) && in->cls == INSN_CALL)
        return UNIT_CALL_SEEN;
    return (reg_form || mem_form) && in->cls == INSN_JMP ? UNIT_JMP_SEEN : -1;
}

static void run_push(struct run *r, uint32_t gpa, uint8_t len, uint8_t kind, uint32_t target)
{
    if (r->n && r->gpa[r->n - 1] + r->len[r->n - 1] != gpa)
        r->n = 0;
    if (r->n == RUN_MAX) {
        memmove(r->gpa, r->gpa + 1, (RUN_MAX - 1) * sizeof r->gpa[0]);
        memmove(r->target, r->target + 1, (RUN_MAX - 1) * sizeof r->target[0]);
        memmove(r->len, r->len + 1, RUN_MAX - 1);
        memmove(r->kind, r->kind + 1, RUN_MAX - 1);
        r->n--;
    }
    r->gpa[r->n] = gpa;
    r->target[r->n] = target;
    r->kind[r->n] = kind;
    r->len[r->n++] = len;
}

static bool head_candidate(const struct insn *in)
{
    if (in->map == MAP_ONE && in->length == 2 && in->opcode == 0xe6 && (in->imm == 0x20 || in->imm == 0xa0))
        return true;                                      /* out 0x20 or 0xa0, al: an EOI */
    return in->length == 1 && (in->cls == INSN_CLI || in->cls == INSN_STI || in->cls == INSN_PUSHF ||
                               in->cls == INSN_POPF || in->cls == INSN_IRET ||
                               (in->cls == INSN_OUT && in->opcode == 0xee) ||
                               (in->cls == INSN_IN && in->opcode == 0xec));
}

/* A branch target this scan has found and not yet followed (at linear
 * address lin): a block must not displace it, or following it would
 * withdraw the block at once. */
static bool queued(const struct scan *s, uint32_t lin)
{
    for (size_t i = 0; i < s->nwork; i++)
        if (s->work[i].lin == lin && !s->work[i].again)
            return true;
    return false;
}

/* Plan a block for the sensitive instruction just decoded at gpa (linear
 * gpa + delta): it and what follows it (each not yet decoded by any path,
 * in the same page), and if that is under 5 bytes, the run before it.
 * False if no block fits, or the page has blocks made for another linear
 * page (an alias). */
static bool plan(struct scan *s, uint32_t gpa, uint32_t delta, const struct run *run, bool switched, bool set,
                 int first, struct block_plan *p)
{
    struct guest *g = s->g;
    const uint8_t *map = codepage_seen(&g->codepages, gpa);
    uint32_t block_lin = g->codepages.page[gpa >> 12].block_lin;
    if (s->sp && block_lin && block_lin != ((gpa + delta) >> 12) + 1)
        return false;
    uint32_t at = gpa, end_page = (gpa | 4095) + 1;
    unsigned n = 0;
    int kinds[BLOCK_UNITS];
    uint32_t where[BLOCK_UNITS];
    struct insn ins[BLOCK_UNITS];
    while (n < BLOCK_UNITS && at - gpa < BLOCK_MIN) {
        struct insn *in = &ins[n];
        if (n && (seen(map, at) || covered_at(map, at) || queued(s, at + delta)))
            break;                                        /* another path's: not ours to move */
        if (decode(g->ram + at, end_page - at < 15 ? end_page - at : 15, 32, in) != DECODE_OK)
            break;
        for (uint32_t a = at + 1; n && a < at + in->length; a++)
            if (covered_at(map, a) || seen(map, a))
                return false;
        int kind = n || first < 0 ? unit_kind(in, switched || set) : first;
        if (kind < 0 && n)                                /* a checked branch may end it too */
            kind = branch_kind(in, in->cls == INSN_RET && (switched || set), 0);
        if (kind < 0 || (n && kind == UNIT_CALL && at + in->length - gpa < BLOCK_MIN))
            break;                                        /* a call must end the patch */
        if (!n && !emulated(kind))
            return false;
        kinds[n] = kind;
        where[n++] = at;
        switched = switched || scan_stack_switch(in);
        set = scan_return_set(in);
        at += in->length;
        if (unit_ends(kind))
            break;
    }
    uint32_t head = gpa, total = at - gpa;
    unsigned back = 0;
    for (unsigned r = run->n; total < BLOCK_MIN && r-- > 0 && n + back < BLOCK_UNITS;) {
        if (run->gpa[r] + run->len[r] != head || run->gpa[r] >> 12 != gpa >> 12 || queued(s, head + delta))
            break;
        head = run->gpa[r];
        total += run->len[r];
        back++;
    }
    if (total < BLOCK_MIN || total > SITE_ORIG_MAX)
        return false;
    *p = (struct block_plan){ .head = head, .head_lin = head + delta, .len = (uint8_t)total, .nunits = (uint8_t)(back + n) };
    memcpy(p->orig, g->ram + head, total);
    for (unsigned k = 0; k < back; k++) {
        unsigned r = run->n - back + k;
        p->unit[k] = (typeof(p->unit[k])){ run->kind[r], (uint8_t)(run->gpa[r] - head), run->len[r], run->target[r] };
    }
    for (unsigned k = 0; k < n; k++) {
        struct flow f;
        insn_flow(&ins[k], where[k] + delta, &f);
        p->unit[back + k] = (typeof(p->unit[0])){ (uint8_t)kinds[k], (uint8_t)(where[k] - head), ins[k].length,
                                                  f.target };
    }
    return true;
}

/* The block for p: its code in the arena, its entries in made, its bytes
 * marked inside (the jmp itself is written when the scan ends). */
static bool place(struct scan *s, const struct block_plan *p)
{
    struct guest *g = s->g;
    if (!scan_room(s, BLOCK_UNITS + 1) ||
        !kgrow((void **)&s->planned, &s->capplanned, s->nplanned, s->nplanned + 1, sizeof *s->planned, 64))
        return false;
    size_t nstubs;
    uint32_t at = blocks_emit(g, p, &s->made[s->nmade], &nstubs);
    if (!at)
        return false;                             /* the arena is full: traps, as before */
    s->nmade += nstubs;
    struct site *h = &s->made[s->nmade++];
    *h = (struct site){ .addr = p->head, .kind = SITE_PATCH, .len = p->len };
    memcpy(h->orig, p->orig, p->len);
    h->block = true;
    s->planned[s->nplanned++] = (struct planned){ p->head, p->head_lin, at, p->len, false };
    g->blocks.trampolines += p->unit[0].kind == UNIT_CALL_INLINE;
    struct codepage *cp = &g->codepages.page[p->head >> 12];
    if (s->sp && !cp->block_lin)                  /* its jumps are for this linear page (blocks_exec_alias): */
        g->codepages.shrunk = true;               /* a shadow leaf made before for another one goes */
    if (s->sp)
        cp->block_lin = (p->head_lin >> 12) + 1;
    uint8_t *map = codepage_seen(&g->codepages, p->head);
    for (uint32_t a = p->head + 1; a < p->head + p->len; a++)
        set_inside(map, a, true);
    return true;
}

/* The patches that take a withdrawn block's place (its bytes back): its
 * pushf, popf and iret, and the branch it checked, patched with hlt as
 * without blocks (cli and sti trap by themselves).  Written into `into`
 * (room for e->len); how many. */
static size_t hlt_patches(struct guest *g, const struct site *e, struct site *into)
{
    bool branch = false;                          /* it ends in a branch the scanner patches, among its bytes */
    for (size_t i = g->blocks.n; i-- > 0;)
        if (g->blocks.b[i].head == e->addr) {
            const struct block_plan *p = &g->blocks.b[i].plan;
            branch = g->blocks.b[i].branch && p->unit[p->nunits - 1].off < e->len;
            break;                                /* (a return trampoline's ret is the callee's own) */
        }
    size_t n = 0;
    for (uint32_t off = 0; off < e->len;) {
        struct insn in;
        if (decode(e->orig + off, e->len - off, 32, &in) != DECODE_OK)
            break;
        bool last = off + in.length == e->len;
        if (in.cls == INSN_PUSHF || in.cls == INSN_POPF || in.cls == INSN_IRET ||
            (branch && last && (in.cls == INSN_RET || in.cls == INSN_CALL || in.cls == INSN_JMP))) {
            into[n] = (struct site){ .addr = e->addr + off, .kind = SITE_PATCH, .len = in.length };
            memcpy(into[n++].orig, e->orig + off, in.length);
            g->ram[e->addr + off] = 0xf4;
        }
        off += in.length;
    }
    return n;
}

/* A committed block's bytes back and its entry out (the caller patches). */
static void take_back(struct guest *g, const struct site *e)
{
    uint8_t *map = codepage_seen(&g->codepages, e->addr);
    memcpy(g->ram + e->addr, e->orig, e->len);
    for (uint32_t a = e->addr + 1; map && a < e->addr + e->len; a++)
        set_inside(map, a, false);
    sites_remove(&g->sites, e->addr, SITE_PATCH);
    g->patches.n--;
}

/* A path reached gpa, a byte a block displaced: the block is withdrawn
 * (hlt_patches).  Its code stays in the arena, for a vCPU that may be in
 * the middle of it. */
bool scan_unblock(struct scan *s, uint32_t gpa)
{
    struct guest *g = s->g;
    uint8_t *map = codepage_seen(&g->codepages, gpa);
    uint32_t head = gpa - 1;
    while (inside(map, head))
        head--;
    struct site e = { 0 };
    for (size_t i = s->nplanned; i-- > 0;)
        if (s->planned[i].head == head && !s->planned[i].dead) {
            s->planned[i].dead = true;
            for (size_t j = s->nmade; j-- > 0;)
                if (s->made[j].addr == head && s->made[j].block && s->made[j].kind == SITE_PATCH) {
                    e = s->made[j];
                    s->made[j].kind = DEAD_KIND;
                    break;
                }
            break;
        }
    if (e.block) {                                /* planned by this scan: nothing written yet */
        for (uint32_t a = head + 1; a < head + e.len; a++)
            set_inside(map, a, false);
    } else {
        const struct site *t = sites_find(&g->sites, head, SITE_PATCH);
        if (!t || !t->block)
            return true;                          /* (no block there: nothing to undo) */
        e = *t;
        take_back(g, &e);
    }
    g->blocks.broken++;
    if (!scan_room(s, e.len))
        return false;
    s->nmade += hlt_patches(g, &e, &s->made[s->nmade]);
    return true;
}

bool scan_withdraw(struct guest *g, uint32_t head)
{
    const struct site *t = sites_find(&g->sites, head, SITE_PATCH);
    if (!t || !t->block)
        return true;
    struct site e = *t, made[SITE_ORIG_MAX];
    if (guest_hooks->code_changing)
        guest_hooks->code_changing(g, false);     /* the layer above's trap bytes out while ours change */
    take_back(g, &e);
    size_t n = hlt_patches(g, &e, made);
    bool ok = sites_add_many(&g->sites, made, n);
    if (ok)
        g->patches.n += n;
    else
        for (size_t i = 0; i < n; i++) g->ram[made[i].addr] = made[i].orig[0];
    if (guest_hooks->code_changing)
        guest_hooks->code_changing(g, true);
    return ok;
}

/* The byte at gpa as the guest wrote it: under a hlt the scanner put
 * there (this scan's or an earlier one's), the original. */
static uint8_t guest_byte(const struct scan *s, uint32_t gpa)
{
    uint8_t b = s->g->ram[gpa];
    if (b != 0xf4)
        return b;
    for (size_t i = s->nmade; i-- > 0;)
        if (s->made[i].addr == gpa && s->made[i].kind == SITE_PATCH && !s->made[i].block)
            return s->made[i].orig[0];
    const struct site *e = sites_find(&s->g->sites, gpa, SITE_PATCH);
    return e && !e->block ? e->orig[0] : b;
}

/* A call rel32 (in, at gpa) to a return trampoline: a callee a little
 * further on in the same page that is one plain instruction writing the
 * return address and a ret (a retpoline: mov [esp], reg; ret).  Its plan:
 * the call's push, a copy of the instruction, the ret checked against the
 * targets page.  False if in is not such a call. */
static bool trampoline(struct scan *s, const struct insn *in, uint32_t gpa, uint32_t lin, struct block_plan *p)
{
    if (in->map != MAP_ONE || in->opcode != 0xe8 || in->op_size != 32 || in->length != BLOCK_MIN)
        return false;
    struct flow f;
    insn_flow(in, lin, &f);
    uint32_t callee = gpa + (f.target - lin), end_page = (gpa | 4095) + 1;
    if (f.target <= lin + BLOCK_MIN || callee >= end_page || callee - gpa > sizeof p->orig - 2)
        return false;
    uint8_t code[sizeof p->orig];
    uint32_t n = end_page - gpa < sizeof code ? end_page - gpa : sizeof code;
    for (uint32_t i = 0; i < n; i++)
        code[i] = guest_byte(s, gpa + i);
    struct insn mov;
    uint32_t at = callee - gpa;
    if (decode(code + at, n - at, 32, &mov) != DECODE_OK || unit_kind(&mov, false) != UNIT_COPY ||
        !scan_return_set(&mov) || at + mov.length >= n || code[at + mov.length] != 0xc3)
        return false;
    uint8_t *map = codepage_seen(&s->g->codepages, gpa);
    for (uint32_t a = callee; a <= callee + mov.length; a++)
        if (inside(map, a))
            return false;                         /* (another block's bytes) */
    *p = (struct block_plan){ .head = gpa, .head_lin = lin, .len = BLOCK_MIN, .nunits = 3 };
    memcpy(p->orig, code, at + mov.length + 1);
    p->unit[0] = (typeof(p->unit[0])){ UNIT_CALL_INLINE, 0, BLOCK_MIN, 0 };
    p->unit[1] = (typeof(p->unit[0])){ UNIT_COPY, (uint8_t)at, mov.length, 0 };
    p->unit[2] = (typeof(p->unit[0])){ UNIT_RET_SEEN, (uint8_t)(at + mov.length), 1, 0 };
    cover(map, callee, mov.length + 1);           /* a write there drops the page, and the block */
    return true;
}

bool scan_block(struct scan *s, struct path *p, const struct insn *in, uint32_t gpa, uint32_t lin, bool patched,
                uint32_t entries)
{
    bool ret_jumps = in->cls == INSN_RET && (p->switched || p->set);
    int branch = patched ? branch_kind(in, ret_jumps, entries) : -1;
    struct block_plan bp;
    bool planned = (head_candidate(in) || branch >= 0) ? plan(s, gpa, lin - gpa, &p->run, p->switched, p->set, branch, &bp)
                                                        : trampoline(s, in, gpa, lin, &bp);
    if (!planned || !place(s, &bp))
        return false;
    p->block_end = bp.head + bp.len;
    return true;
}

void scan_run_note(struct path *p, const struct insn *in, uint32_t gpa, uint32_t lin, bool broken)
{
    int kind = unit_kind(in, in->cls == INSN_RET && (p->switched || p->set));
    if (broken || (kind != UNIT_COPY && kind != UNIT_JCC)) {
        p->run.n = 0;
        return;
    }
    struct flow f;
    insn_flow(in, lin, &f);
    run_push(&p->run, gpa, in->length, (uint8_t)kind, f.target);
}
