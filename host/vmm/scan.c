#include "host/vmm/scan.h"
#include "host/vmm/codepage.h"
#include "host/vmm/sites.h"
#include "host/vmm/guest.h"
#include "host/vmm/segment.h"
#include "host/vmm/blocks.h"
#include "host/vmm/vcpu.h"
#include "host/decode/decode.h"
#include "kernel/heap.h"
#include "kernel/string.h"
#include "kernel/cpufeat.h"

/* A place to scan from, the page whose code led there (1 + its number;
 * 0 for a root: an entry point, a symbol, a faulting fetch), and whether
 * the path there has switched stacks (stack_switch). */
struct work {
    uint32_t lin, from;
    bool switched;
    bool again;                      /* a dropped page's old instruction, not a branch target */
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
    bool blocks;                     /* may place them (blocks_fit) */
};

#define DEAD_KIND SITE_KINDS         /* a made entry withdrawn before the scan ended */

static bool seen(const uint8_t *map, uint32_t gpa) { return map[(gpa & 4095) / 8] >> (gpa % 8) & 1; }
static void mark(uint8_t *map, uint32_t gpa) { map[(gpa & 4095) / 8] |= 1 << (gpa % 8); }
static bool covered_at(const uint8_t *map, uint32_t gpa)
{
    return map[CODEPAGE_MAP + (gpa & 4095) / 8] >> (gpa % 8) & 1;
}
/* The third map: a patch block displaced this byte (and it is not the first). */
static bool inside(const uint8_t *map, uint32_t gpa)
{
    return map[2 * CODEPAGE_MAP + (gpa & 4095) / 8] >> (gpa % 8) & 1;
}
static void set_inside(uint8_t *map, uint32_t gpa, bool on)
{
    uint8_t *b = &map[2 * CODEPAGE_MAP + (gpa & 4095) / 8];
    *b = on ? *b | (uint8_t)(1 << (gpa % 8)) : *b & (uint8_t)~(1 << (gpa % 8));
}

/* The bytes of a decoded instruction, in the page's second map (after the
 * instruction starts): a write elsewhere in the page leaves its scan good. */
static void cover(uint8_t *map, uint32_t gpa, uint32_t len)
{
    for (uint32_t a = gpa & 4095; a < (gpa & 4095) + len; a++)
        map[CODEPAGE_MAP + a / 8] |= 1 << (a % 8);
}

/* Guest-linear to guest-physical: identity with paging off.  (The
 * guest's tables do not change while a scan runs: it holds the guest
 * kernel lock, and no guest code runs.) */
static bool phys(struct scan *s, uint32_t lin, uint32_t *gpa)
{
    if (!s->sp) {
        *gpa = lin;
        return lin < s->g->ram_size;
    }
    if (s->last_lin == (lin >> 12) + 1) {
        *gpa = s->last_gpa | (lin & 4095);
        return true;
    }
    if (!s->sp->phys(s->sp->ctx, lin, gpa) || *gpa >= s->g->ram_size)
        return false;
    s->last_lin = (lin >> 12) + 1;
    s->last_gpa = *gpa & ~4095u;
    return true;
}

static bool push_work(struct scan *s, uint32_t lin, uint32_t from, bool switched)
{
    if (!kgrow((void **)&s->work, &s->capwork, s->nwork, s->nwork + 1, sizeof *s->work, 1024))
        return false;
    s->work[s->nwork++] = (struct work){ lin, from, switched, false };
    return true;
}

/* A page begun by a path from elsewhere is executable from then on: the
 * entries other pages still make into it (recorded before it was last
 * dropped) are scanned with it, or code they reach would run unpatched,
 * no fetch fault being left to find it. */
struct page_entries { struct scan *s; uint32_t lin_page; };

static bool push_entry(void *ctx, uint16_t offset)
{
    struct page_entries *pe = ctx;
    return push_work(pe->s, pe->lin_page + offset, 0, false);
}

static bool begin_page(struct scan *s, uint32_t pfn, uint32_t lin)
{
    struct page_entries pe = { s, lin & ~4095u };
    struct codepage_ghost *gh = codepage_take_ghost(s->g, pfn);
    bool ok = codepage_begin(s->g, pfn) && codepage_each_entry(s->g, pfn, push_entry, &pe);
    for (uint32_t off = 4096; gh && ok && off-- > 0;)   /* (pushed last first: followed in address order) */
        if (gh->seen[off / 8] >> (off % 8) & 1) {
            ok = push_work(s, pe.lin_page + off, 0, false);
            s->work[s->nwork - 1].again = ok;
        }
    kfree(gh);
    return ok;
}

/* Room for n more patches, before their bytes are written. */
static bool room_for_patches(struct scan *s, size_t n)
{
    return kgrow((void **)&s->made, &s->capmade, s->nmade, s->nmade + n, sizeof *s->made, 64);
}

/* Instructions that misbehave in ring 1 without faulting, and near
 * branches through a register or memory: their targets are unknown here,
 * and one may land, unscanned, in a page whose other code was scanned (no
 * fetch fault then), so the emulator scans each new one. */
static bool sensitive(const struct insn *in)
{
    switch (in->cls) {
    case INSN_PUSHF: case INSN_POPF: case INSN_IRET:
    case INSN_CPUID:                        /* the host's CPU otherwise: no CPUID faulting under TCG */
        return true;
    case INSN_CALL: case INSN_JMP:
        return in->map == MAP_ONE && in->opcode == 0xff;
    case INSN_SGDT: case INSN_SIDT: case INSN_SLDT: case INSN_STR: case INSN_SMSW:
        return !cpu_has_umip;               /* with UMIP they fault by themselves */
    default:
        return false;
    }
}

/* A ret is a jump to an address from data (a context switch to a new
 * thread's first frame, a retpoline, push x; ret), which may be code no
 * scan has reached, when the path to it loaded ESP with another stack
 * (stack_switch; mov esp, ebp is a frame's epilogue, not a switch) or the
 * instruction just before it wrote the return address (return_set): that
 * ret is patched too, and its target scanned when it is new.  (A callee
 * returns to its caller whatever its caller's stack: a call does not pass
 * the switch on.) */
static bool stack_switch(const struct insn *in)
{
    bool to_esp = in->mod == 3 && in->rm == REG_SP;
    if (in->map == MAP_0F)
        return in->opcode == 0xb2 && in->reg == REG_SP;                   /* lss esp */
    if (in->map != MAP_ONE)
        return false;
    switch (in->opcode) {
    case 0x89: return to_esp && in->reg != REG_BP;                        /* mov esp, r */
    case 0x8b: return in->reg == REG_SP && !(in->mod == 3 && in->rm == REG_BP);
    case 0x87: return in->reg == REG_SP || to_esp;                        /* xchg with esp */
    case 0x8f: return to_esp;                                             /* pop esp */
    case 0x94: case 0x5c: case 0xbc: return true;                         /* xchg eax, esp; pop esp; mov esp, imm */
    default:   return false;
    }
}

static bool return_set(const struct insn *in)
{
    bool at_esp = in->has_mem && in->mem.base == REG_SP && in->mem.index == REG_NONE && in->mem.disp == 0;
    return in->cls == INSN_PUSH || (in->cls == INSN_MOV && at_esp && in->map == MAP_ONE &&
                                    (in->opcode == 0x89 || in->opcode == 0xc7));
}

/* A switch's jump table, as compilers emit it: the index bounded by an
 * unsigned compare, then jmp [table + index*4]:
 *     cmp r32, N; ja default; jmp [T + r32*4]            (N + 1 entries)
 *     cmp r8, N; ja default; movzx r32, r8 / and r32, 0xff; jmp [...]
 * (jae: N entries).  Such a jmp still traps once: the emulator, which has
 * the guest's segments, then scans every entry and puts the jmp back
 * (host/vmm/branch.c), so a switch costs nothing after its first run.
 * table tracks the pattern along one path. */
struct table {
    uint8_t stage;                  /* 0 none, 1 after the cmp, 2 after the ja */
    uint8_t reg;                    /* the index register */
    bool narrow;                    /* an 8-bit compare: the index needs zero extension */
    uint32_t entries;
};

enum { TABLE_MAX = 1024 };          /* a bigger "switch" is not believed */

/* The jmp's entries if in completes the pattern, else 0; t follows it. */
static uint32_t jump_table(struct table *t, const struct insn *in)
{
    bool one = in->map == MAP_ONE, reg_form = in->mod == 3;
    uint8_t op = in->opcode;
    if (one && (op == 0x83 || op == 0x81 || (op == 0x80 && in->rm < 4)) && in->reg == 7 && reg_form) {
        *t = (struct table){ 1, in->rm, op == 0x80, in->imm };   /* (al..bl: the low byte of the register) */
        return 0;
    }
    if (one && (op == 0x3d || op == 0x3c)) {              /* cmp eax/al, imm */
        *t = (struct table){ 1, REG_AX, op == 0x3c, in->imm };
        return 0;
    }
    uint32_t n = 0;
    if (t->stage == 1 && in->cls == INSN_JCC && (op == 0x77 || op == 0x73 || op == 0x87 || op == 0x83)) {
        t->stage = 2;                                     /* ja: 0..N; jae: 0..N-1 */
        t->entries += op == 0x77 || op == 0x87;
        return 0;
    }
    if (t->stage == 2 && t->narrow && reg_form &&
        ((in->map == MAP_0F && op == 0xb6 && in->reg == t->reg && in->rm == t->reg) ||   /* movzx r32, r8 */
         (one && op == 0x81 && in->reg == 4 && in->rm == t->reg && in->imm == 0xff) ||
         (one && op == 0x25 && t->reg == REG_AX && in->imm == 0xff))) {
        t->narrow = false;
        return 0;
    }
    if (t->stage == 2 && !t->narrow && in->cls == INSN_JMP && one && op == 0xff && in->has_mem &&
        in->mem.base == REG_NONE && in->mem.index == t->reg && in->mem.scale == 4 && in->op_size == 32 &&
        in->addr_size == 32 && t->entries && t->entries <= TABLE_MAX)
        n = t->entries;
    t->stage = 0;
    return n;
}

/* Up to 15 bytes of code at lin (physical gpa), across into the next
 * page if it is mapped; *next_gpa is that page's physical address. */
static uint32_t code_bytes(struct scan *s, uint32_t lin, uint32_t gpa, uint8_t *buf, uint32_t *next_gpa)
{
    uint32_t here = 4096 - (gpa & 4095), n = here < 15 ? here : 15;
    memcpy(buf, s->g->ram + gpa, n);
    *next_gpa = ~0u;
    if (n == 15 || !phys(s, lin + n, next_gpa))
        return n;
    memcpy(buf + n, s->g->ram + *next_gpa, 15 - n);
    return 15;
}

/* A direct far jump or call (the one after a kernel's first lgdt, say):
 * its target's linear address needs the segment's base, from the guest's
 * GDT as this CPU mirrors it while the guest traps.  Before the guest has
 * loaded a GDT (the warm start at load), the target waits for its lgdt
 * (codepage_far_pending, scanned by codepage_gdt_loaded). */
static bool far_target(struct scan *s, uint16_t sel, uint32_t offset, uint32_t pfn)
{
    struct guest *g = s->g;
    if (!g->vcpu.entered || !g->vcpu.gdt_limit)
        return codepage_far_pending(g, sel, offset);
    uint64_t d = vcpu_descriptor(&g->vcpu, sel);
    if (!(d & DESC_PRESENT) || !(d & DESC_S) || !(d & DESC_CODE))
        return true;                          /* it faults: nothing to scan there */
    return push_work(s, (uint32_t)(desc_base(d) + offset), pfn + 1, false);
}

/* ---- patch blocks (host/vmm/blocks.h) ------------------------------------ */

static bool flat(uint64_t d)
{
    return d && desc_base(d) == 0 && desc_limit(d) == 0xffffffffu && (d & DESC_DB);
}

/* Blocks need CS and SS flat (their jumps are linear addresses, the flags
 * words reached through SS): as the trap that scans finds them, or
 * Multiboot's before the guest runs.  With paging on, a window for the
 * arena in the guest's linear space, and a scan from its kernel
 * (host/vmm/blocks.c). */
static bool blocks_fit(struct guest *g, const struct codepage_space *sp)
{
    if (!g->blocks.on)
        return false;
    struct vcpu *v = vcpu_current();
    if (!v || v->guest != g || !v->entered || !v->tf)
        return !sp && g->blocks.lin == g->blocks.base;
    if (sp ? !blocks_paged_fit(v) : g->blocks.lin != g->blocks.base)
        return false;
    return flat(vcpu_descriptor(v, (uint16_t)v->tf->cs)) && flat(vcpu_descriptor(v, (uint16_t)v->tf->ss));
}

/* Recent instructions of the path being followed, back to back in one page,
 * each one a block could copy: a block may start there when the
 * instructions after its sensitive one are too few (an iret's epilogue). */
#define RUN_MAX 4
struct run {
    uint32_t gpa[RUN_MAX], target[RUN_MAX];
    uint8_t len[RUN_MAX], kind[RUN_MAX];     /* UNIT_COPY, or UNIT_JCC (re-aimed at target) */
    unsigned n;
};

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
    bool reg_form = in->map == MAP_ONE && in->opcode == 0xff && in->mod == 3 && in->length == 2 && !entries;
    if (reg_form && in->cls == INSN_CALL)
        return UNIT_CALL_SEEN;
    return reg_form && in->cls == INSN_JMP ? UNIT_JMP_SEEN : -1;
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
        switched = switched || stack_switch(in);
        set = return_set(in);
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
    if (!room_for_patches(s, BLOCK_UNITS + 1) ||
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
    if (s->sp)                                    /* its jumps are for this linear page (blocks_exec_alias) */
        g->codepages.page[p->head >> 12].block_lin = (p->head_lin >> 12) + 1;
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
    bool branch = false;                          /* it ends in a branch the scanner patches */
    for (size_t i = g->blocks.n; i-- > 0;)
        if (g->blocks.b[i].head == e->addr) {
            branch = g->blocks.b[i].targets != 0;
            break;
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
static bool unblock(struct scan *s, uint32_t gpa)
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
    if (!room_for_patches(s, e.len))
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

/* Follow one path until it ends (ret, jmp, undecodable, not mapped, seen
 * before, an address the host claims for a trap of its own, or memory that
 * is zeros: two `add [eax], al` in a row, which no compiler emits, are where
 * a path has run off the code), marking every page it decodes an
 * instruction on. */
static bool follow(struct scan *s, uint32_t lin, uint32_t from, bool switched, bool again)
{
    struct guest *g = s->g;
    unsigned zeros = 0;
    bool set = false;                             /* the instruction before wrote [esp] */
    struct table table = { 0 };
    uint32_t block_end = 0;                       /* a block placed on this path covers up to here */
    struct run run = { .n = 0 };
    for (;;) {
        uint32_t gpa, next;
        if (!phys(s, lin, &gpa))
            return true;
        uint32_t pfn = gpa >> 12;
        if (from && from - 1 != pfn && !codepage_entry(g, from - 1, gpa))
            return false;                         /* remembered for a rescan of this page */
        from = pfn + 1;
        if (sites_find(&g->sites, gpa, SITE_CLAIM) || blocks_owns(&g->blocks, gpa))
            return true;                          /* (the arena is the host's code, never scanned) */
        if (!codepage_seen(&g->codepages, gpa) && !begin_page(s, pfn, lin))
            return false;
        uint8_t *map = codepage_seen(&g->codepages, gpa);
        if (again && (inside(map, gpa) || seen(map, gpa)))
            return true;                          /* (not a branch target: a block's bytes are no one's) */
        again = false;
        if (gpa >= block_end && inside(map, gpa) && !unblock(s, gpa))
            return false;                         /* a branch into the bytes a block displaced */
        if (seen(map, gpa))
            return true;
        uint8_t buf[15];
        struct insn in;
        if (decode(buf, code_bytes(s, lin, gpa, buf, &next), 32, &in) != DECODE_OK) {
            g->patches.undecodable++;
            return true;
        }
        zeros = buf[0] == 0 && buf[1] == 0 && in.length == 2 ? zeros + 1 : 0;
        if (zeros == 2)
            return true;
        mark(map, gpa);
        g->patches.insns_seen++;
        uint32_t here = 4096 - (gpa & 4095) < in.length ? 4096 - (gpa & 4095) : in.length;
        cover(map, gpa, here);
        if (here < in.length) {                   /* it runs on into the next page: one unit */
            if (!codepage_seen(&g->codepages, next) && !begin_page(s, next >> 12, lin + here))
                return false;
            codepage_link(g, pfn, next >> 12);
            cover(codepage_seen(&g->codepages, next), next, in.length - here);
        }
        bool ret_jumps = in.cls == INSN_RET && (switched || set);
        uint32_t entries = jump_table(&table, &in);
        bool in_block = gpa < block_end;
        struct block_plan bp;
        int branch = s->blocks && (sensitive(&in) || ret_jumps) ? branch_kind(&in, ret_jumps, entries) : -1;
        if (!in_block && s->blocks && (head_candidate(&in) || branch >= 0) &&
            plan(s, gpa, lin - gpa, &run, switched, set, branch, &bp) && place(s, &bp)) {   /* (else a trap, as without blocks) */
            in_block = true;
            block_end = bp.head + bp.len;
        }
        int kind = unit_kind(&in, ret_jumps);
        if (in_block || (kind != UNIT_COPY && kind != UNIT_JCC) || here < in.length) {
            run.n = 0;
        } else {
            struct flow jf;
            insn_flow(&in, lin, &jf);
            run_push(&run, gpa, in.length, (uint8_t)kind, jf.target);
        }
        switched = switched || stack_switch(&in);
        set = return_set(&in);
        if (!in_block && (sensitive(&in) || ret_jumps)) {
            if (!room_for_patches(s, 1))
                return false;
            struct site *p = &s->made[s->nmade++];
            *p = (struct site){ .addr = gpa, .kind = SITE_PATCH, .len = in.length, .table = (uint16_t)entries };
            memcpy(p->orig, buf, in.length);
            g->ram[gpa] = 0xf4;                  /* hlt: #GP(0) in ring 1; the side table tells */
        }
        struct flow f;
        insn_flow(&in, lin, &f);
        if (f.has_target && !push_work(s, f.target, pfn + 1, switched && f.kind != FLOW_CALL))
            return false;
        if (f.has_far_target && !far_target(s, f.far_sel, f.target, pfn))
            return false;
        if (!f.falls_through)
            return true;
        lin += in.length;
    }
}

bool scan_run(struct guest *g, const uint32_t *roots, size_t nroots, const struct codepage_space *sp)
{
    struct scan s = { .g = g, .sp = sp, .blocks = blocks_fit(g, sp), .blocks_before = g->blocks.n };
    bool ok = true;
    if (guest_hooks->code_changing)
        guest_hooks->code_changing(g, false);     /* the code as the scanner must see it */
    for (size_t i = 0; ok && i < nroots; i++)
        ok = push_work(&s, roots[i], 0, false);
    while (ok && s.nwork) {
        struct work w = s.work[--s.nwork];
        ok = follow(&s, w.lin, w.from, w.switched, w.again);
    }
    size_t live = 0;
    for (size_t i = 0; i < s.nmade; i++)     /* blocks withdrawn by a later path of this scan go */
        if (s.made[i].kind != DEAD_KIND) s.made[live++] = s.made[i];
    s.nmade = live;
    ok = ok && sites_add_many(&g->sites, s.made, s.nmade);
    if (ok) {
        for (size_t i = 0; i < s.nplanned; i++)
            if (!s.planned[i].dead)
                blocks_jump(g->ram + s.planned[i].head, s.planned[i].head_lin, s.planned[i].len, s.planned[i].at);
        for (size_t i = 0; i < s.nmade; i++)
            g->patches.n += !blocks_owns(&g->blocks, s.made[i].addr);   /* (a stub is not a patch of the guest's) */
    } else {                                 /* no hlt without its entry: the originals back */
        for (size_t i = 0; i < s.nmade; i++)
            if (!s.made[i].block && !blocks_owns(&g->blocks, s.made[i].addr))
                g->ram[s.made[i].addr] = s.made[i].orig[0];
        blocks_truncate(g, s.blocks_before);
    }
    if (guest_hooks->code_changing)
        guest_hooks->code_changing(g, true);
    codepage_publish(g);                     /* pages it made read-only: no shadow writes them any more */
    kfree(s.work);
    kfree(s.made);
    kfree(s.planned);
    return ok;
}

bool scan_seen(struct guest *g, uint32_t gpa)
{
    const uint8_t *map = codepage_seen(&g->codepages, gpa);
    return map && seen(map, gpa) && !inside(map, gpa);   /* (a block's displaced bytes: scan again, to withdraw it) */
}

void scan_unsee(struct guest *g, uint32_t gpa)
{
    uint8_t *map = codepage_seen(&g->codepages, gpa);
    if (map)
        map[(gpa & 4095) / 8] &= (uint8_t)~(1 << (gpa % 8));
}
