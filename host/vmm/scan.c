#include "host/vmm/scan.h"
#include "host/vmm/scan_priv.h"
#include "host/vmm/guest.h"
#include "host/vmm/segment.h"
#include "host/vmm/blocks.h"
#include "host/vmm/vcpu.h"
#include "kernel/heap.h"
#include "kernel/string.h"
#include "kernel/cpufeat.h"

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

/* Work at lin, code of `bits` (the path that found it's, s->bits, but for
 * a far jump's target). */
static bool push_work(struct scan *s, uint32_t lin, uint32_t from, bool switched, unsigned bits)
{
    if (!kgrow((void **)&s->work, &s->capwork, s->nwork, s->nwork + 1, sizeof *s->work, 1024))
        return false;
    s->work[s->nwork++] = (struct work){ lin, from, switched, false, (uint8_t)bits };
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
    return push_work(pe->s, pe->lin_page + offset, 0, false, pe->s->bits);
}

static bool begin_page(struct scan *s, uint32_t pfn, uint32_t lin)
{
    struct page_entries pe = { s, lin & ~4095u };
    struct codepage_ghost *gh = codepage_take_ghost(s->g, pfn);
    bool ok = codepage_begin(s->g, pfn) && codepage_each_entry(s->g, pfn, push_entry, &pe);
    for (uint32_t off = 4096; gh && ok && off-- > 0;)   /* (pushed last first: followed in address order) */
        if (gh->seen[off / 8] >> (off % 8) & 1) {
            ok = push_work(s, pe.lin_page + off, 0, false, s->bits);
            s->work[s->nwork - 1].again = ok;
        }
    kfree(gh);
    return ok;
}

/* Room for n more patches, before their bytes are written. */
bool scan_room(struct scan *s, size_t n)
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

/* A far jmp, call or retf where the host's syscall entry is open for this
 * guest's peel sites (guest.h syscall_entry): syscall keeps no CS, so the
 * entry takes the one the host last returned to the guest with, and a far
 * transfer the host does not see would leave it stale (a peel call would
 * come back to the old CS) or, a retf from the guest kernel to its ring 3,
 * leave the entry open there.  And where the guest has patch blocks: a far
 * transfer to code that is not flat must withdraw the blocks it reaches
 * (blocks_cs_landed) before it runs.  Patched, each is made by the host
 * (branch.c), which then returns with the CS it loaded. */
static bool far_seen(const struct scan *s, const struct insn *in)
{
    return (s->g->syscall_entry || s->g->blocks.on) &&
           (in->cls == INSN_JMP_FAR || in->cls == INSN_CALL_FAR || in->cls == INSN_RET_FAR);
}

/* A ret is a jump to an address from data (a context switch to a new
 * thread's first frame, a retpoline, push x; ret), which may be code no
 * scan has reached, when the path to it loaded ESP with another stack
 * (stack_switch; mov esp, ebp is a frame's epilogue, not a switch) or the
 * instruction just before it wrote the return address (return_set): that
 * ret is patched too, and its target scanned when it is new.  (A callee
 * returns to its caller whatever its caller's stack: a call does not pass
 * the switch on.) */
bool scan_stack_switch(const struct insn *in)
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

bool scan_return_set(const struct insn *in)
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
 * loaded a GDT (the warm start at load), or while its GDT has no code
 * segment there yet (one it will make before it jumps: the jump is scanned
 * long before it runs), the target waits for an lgdt that makes it code
 * (codepage_far_pending, scanned by codepage_gdt_loaded): scanned no
 * other way, the code there would run unpatched. */
static bool far_target(struct scan *s, uint16_t sel, uint32_t offset, uint32_t pfn)
{
    struct guest *g = s->g;
    if (!g->vcpu.entered || !g->vcpu.gdt_limit)
        return codepage_far_pending(g, sel, offset);
    uint64_t d = vcpu_descriptor(&g->vcpu, sel);
    if (!(d & DESC_PRESENT) || !(d & DESC_S) || !(d & DESC_CODE))
        return codepage_far_pending(g, sel, offset);   /* (a jump there now faults) */
    return push_work(s, (uint32_t)(desc_base(d) + offset), pfn + 1, false, desc_code_bits(d));
}


/* A hlt over the len-byte instruction at gpa (bytes buf), the instruction
 * kept in the side table: #GP(0) in ring 1, and the emulator carries it out
 * (entries: a jump table's, scan.c jump_table).  False if out of memory. */
static bool patch(struct scan *s, uint32_t gpa, const uint8_t *buf, unsigned len, uint32_t entries)
{
    if (!scan_room(s, 1))
        return false;
    struct site *p = &s->made[s->nmade++];
    *p = (struct site){ .addr = gpa, .kind = SITE_PATCH, .len = (uint8_t)len, .table = (uint16_t)entries };
    memcpy(p->orig, buf, len);
    s->g->ram[gpa] = 0xf4;
    return true;
}

/* The bytes of an instruction of len bytes at gpa (linear lin) in the
 * page's map, and where it runs on into the next page (physical next),
 * that page's: the two pages are one unit, rescanned together.  False if
 * out of memory. */
static bool cover_insn(struct scan *s, uint8_t *map, uint32_t lin, uint32_t gpa, uint32_t next, unsigned len)
{
    struct guest *g = s->g;
    uint32_t here = 4096 - (gpa & 4095) < len ? 4096 - (gpa & 4095) : len;
    cover(map, gpa, here);
    if (here == len)
        return true;
    if (!codepage_seen(&g->codepages, next) && !begin_page(s, next >> 12, lin + here))
        return false;
    codepage_link(g, gpa >> 12, next >> 12);
    cover(codepage_seen(&g->codepages, next), next, len - here);
    return true;
}

/* The guest's own syscall (0f 05: Intel's and our decoder's #UD in 32-bit
 * code, AMD's entry from compatibility mode) where the host's entry is open
 * for this guest's peel sites (guest.h syscall_entry): run, it would reach
 * the host with ECX overwritten and its CS unknown, so it is patched, and
 * the emulator raises the #UD a CPU without SCE gives (emulate.c) — across
 * a page boundary too (the hlt on the 0f; restoring it writes that byte
 * alone).  False if out of memory. */
static bool own_syscall(struct scan *s, uint8_t *map, uint32_t lin, uint32_t gpa, uint32_t next,
                        const uint8_t *buf, unsigned got)
{
    if (!s->g->syscall_entry || !decode_is_syscall(buf, got))
        return true;
    mark(map, gpa);
    return cover_insn(s, map, lin, gpa, next, 2) && patch(s, gpa, buf, 2, 0);
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
    struct table table = { 0 };
    struct path p = { .switched = switched };
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
        if (gpa >= p.block_end && inside(map, gpa) && !scan_unblock(s, gpa))
            return false;                         /* a branch into the bytes a block displaced */
        if (seen(map, gpa))
            return true;
        uint8_t buf[15];
        struct insn in;
        unsigned got = code_bytes(s, lin, gpa, buf, &next);
        if (decode(buf, got, s->bits, &in) != DECODE_OK) {
            g->patches.undecodable++;
            if (gpa >= p.block_end && !own_syscall(s, map, lin, gpa, next, buf, got))
                return false;
            return true;
        }
        zeros = buf[0] == 0 && buf[1] == 0 && in.length == 2 ? zeros + 1 : 0;
        if (zeros == 2)
            return true;
        mark(map, gpa);
        g->patches.insns_seen++;
        if (!cover_insn(s, map, lin, gpa, next, in.length))
            return false;
        bool ret_jumps = in.cls == INSN_RET && (p.switched || p.set);
        uint32_t entries = jump_table(&table, &in);
        bool in_block = gpa < p.block_end;
        bool may_block = s->blocks && s->bits == 32;
        if (!in_block && may_block && scan_block(s, &p, &in, gpa, lin, sensitive(&in) || ret_jumps, entries))
            in_block = true;                      /* (else a trap, as without blocks) */
        scan_run_note(&p, &in, gpa, lin, in_block || (gpa & 4095) + in.length > 4096);
        p.switched = p.switched || scan_stack_switch(&in);
        p.set = scan_return_set(&in);
        if (!in_block && (sensitive(&in) || ret_jumps || far_seen(s, &in)) && !patch(s, gpa, buf, in.length, entries))
            return false;
        struct flow f;
        insn_flow(&in, lin, &f);
        if (f.has_target && !push_work(s, f.target, pfn + 1, p.switched && f.kind != FLOW_CALL, s->bits))
            return false;
        if (f.has_far_target && !far_target(s, f.far_sel, f.target, pfn))
            return false;
        if (!f.falls_through)
            return true;
        lin += in.length;
    }
}

bool scan_run(struct guest *g, const uint32_t *roots, size_t nroots, const struct codepage_space *sp,
              unsigned bits)
{
    struct scan s = { .g = g, .sp = sp, .blocks = scan_blocks_fit(g, sp), .bits = (uint8_t)bits,
                      .blocks_before = g->blocks.n };
    bool ok = true;
    if (guest_hooks->code_changing)
        guest_hooks->code_changing(g, false);     /* the code as the scanner must see it */
    for (size_t i = 0; ok && i < nroots; i++)
        ok = push_work(&s, roots[i], 0, false, bits);
    while (ok && s.nwork) {
        struct work w = s.work[--s.nwork];
        s.bits = w.bits;
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
