/*
 * Trap-and-emulate.  A guest kernel in ring 1 with IOPL 0 faults (#GP) on
 * cli, sti, hlt, in/out, lgdt/lidt/ltr, mov to/from CRn and DRn, clts,
 * lmsw, rdmsr/wrmsr, loads of SS with its ring-0 selectors, and (with
 * UMIP) sgdt/sidt/sldt/str/smsw.  pushf, popf, iret and cpuid do not
 * fault, nor do the near branches whose targets the scanner cannot know:
 * it replaced them in the loaded copy (host/vmm/scan.c) by hlt, which
 * faults with #GP(0) in ring 1; the side table of trap sites
 * (host/vmm/sites.h) tells a patch from a real hlt, and from a peel site or
 * a claimed address.  int n reaches a DPL-0 host gate and faults with
 * #GP(IDT); it is reflected through the guest's own IDT.  Each trap is
 * classified once (classify) and served by its class (the switch in
 * emulate_trap); the system state instructions (lgdt, mov CRn, ltr, SS
 * loads...) are host/vmm/emulate_sys.c's, port accesses go through
 * host/vmm/emulate_io.c to host/vmm/vdevs.c, control transfers
 * (iret, retf, call gates, patched branches) to host/vmm/branch.c.
 */
#include "host/vmm/emulate.h"
#include "host/vmm/emulate_ops.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/guest.h"
#include "host/decode/decode.h"
#include "host/vmm/segment.h"
#include "host/vmm/shadow.h"
#include "host/vmm/gmem.h"
#include "host/vmm/gpt.h"
#include "host/vmm/codepage.h"
#include "host/vmm/vcpu_model.h"
#include "host/vmm/dreg.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "smp/percpu.h"

void emulate_fail(struct vcpu *v, struct trapframe *tf, const char *what)
{
    char why[120];
    snprintf(why, sizeof why, "%s at eip 0x%lx", what, tf->rip);
    guest_end(v->guest, GUEST_DEAD, -1, why);
}

/* A memory operand's offset in its segment (in->mem.seg): what gmem
 * takes to linear, limit checked. */
static uint32_t effective_address(const struct insn *in, struct trapframe *tf)
{
    uint32_t a = in->mem.disp;
    if (in->mem.base != REG_NONE) a += (uint32_t)*vcpu_gpr(tf, in->mem.base);
    if (in->mem.index != REG_NONE) a += (uint32_t)*vcpu_gpr(tf, in->mem.index) * in->mem.scale;
    if (in->addr_size == 16) a &= 0xffff;
    return a;
}

/* The operand of in, read or written through its segment; false if that
 * faulted (reflected to the guest, or the guest stopped). */
bool emulate_operand_read(struct vcpu *v, const struct insn *in, struct trapframe *tf, void *buf, uint32_t len)
{
    struct gfault f;
    if (gmem_read(v, in->mem.seg, effective_address(in, tf), buf, len, GMEM_READ, &f))
        return true;
    gmem_reflect(v, tf, &f);
    return false;
}

bool emulate_operand_write(struct vcpu *v, const struct insn *in, struct trapframe *tf, const void *buf, uint32_t len)
{
    struct gfault f;
    if (gmem_write(v, in->mem.seg, effective_address(in, tf), buf, len, &f))
        return true;
    gmem_reflect(v, tf, &f);
    return false;
}

void emulate_set_reg(struct trapframe *tf, unsigned reg, unsigned size, uint32_t val)
{
    uint64_t *r = vcpu_gpr(tf, reg);
    if (size == 4) *r = val;
    else if (size == 2) *r = (*r & ~0xfffful) | (val & 0xffff);
    else *r = (*r & ~0xfful) | (val & 0xff);
}

void emulate_set_flags(struct vcpu *v, struct trapframe *tf, uint32_t eflags, uint32_t mask)
{
    tf->rflags = (tf->rflags & ~(uint64_t)mask) | (eflags & mask) | EFLAGS_IF;
    v->vif = eflags & EFLAGS_IF;
    v->vif_writes++;
}

uint32_t emulate_user_if(const struct vcpu *v, const struct trapframe *tf, uint32_t eflags)
{
    if ((tf->cs & 3) != 3)
        return eflags;
    return (eflags & ~EFLAGS_IF) | (v->vif ? EFLAGS_IF : 0);
}

/* May guest ring 3 run it?  A far call or jmp (through a call gate), and
 * what the guest's CPU (no UMIP: vcpu_model.c) lets any ring run, that
 * traps here only because the host patched it or has UMIP itself: cpuid,
 * sgdt, sidt, sldt, str, smsw. */
static bool user_allowed(const struct insn *in)
{
    switch (in->cls) {
    case INSN_CALL_FAR: case INSN_JMP_FAR: case INSN_CPUID:
    case INSN_SGDT: case INSN_SIDT: case INSN_SLDT: case INSN_STR: case INSN_SMSW:
        return true;
    default:
        return false;
    }
}

static inline uint32_t code_phys(struct vcpu *v, const struct trapframe *tf, uint64_t cs, int32_t delta);

/* Is the instruction after this one a hlt of the guest's own (not a patch's
 * trap byte)? */
static bool hlt_follows(struct vcpu *v, const struct insn *in, const struct trapframe *tf)
{
    uint64_t cs = vcpu_seg_cache(v, SEG_CS);
    uint8_t buf[1];
    unsigned got;
    struct gfault f;
    const uint8_t *op = gmem_fetch(v, cs, (uint32_t)tf->rip + in->length, buf, 1, &got, &f);
    return got == 1 && op[0] == 0xf4 &&
           !sites_find(&v->guest->sites, code_phys(v, tf, cs, (int32_t)in->length), SITE_PATCH);
}

/* sti, and true if it carried out a hlt after it too.  An sti that sets
 * IF holds interrupts back for one more instruction (the interrupt
 * shadow), so an idle loop's `sti; hlt` (Linux's native_safe_halt)
 * sleeps only if no interrupt came before the hlt.  The
 * host delivers what is pending as it returns, which would be before the
 * hlt, and the hlt would then sleep past the wakeup that interrupt was:
 * so the two are carried out together, and a pending interrupt is
 * delivered after the hlt, as the CPU does. */
static bool sti_and_hlt(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    bool was = v->vif;
    v->vif = true;
    v->vif_writes++;
    if (was || (tf->rflags & EFLAGS_TF) || !hlt_follows(v, in, tf))
        return false;                             /* the sti alone: its caller steps over it */
    tf->rip += in->length + 1;
    vcpu_halt(v);
    return true;
}

/* One privileged instruction.  From guest ring 3 only those above, and
 * port accesses its TSS's I/O bitmap allows (IOPL is 0): for the others
 * the CPU's #GP stands. */
static enum emulated emulate(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    if ((tf->cs & 3) == 3 && !user_allowed(in) && !emulate_io_permitted(v, in, tf))
        return NOT_OURS;
    bool io = in->cls == INSN_IN || in->cls == INSN_OUT || in->cls == INSN_INS || in->cls == INSN_OUTS;
    if (io && vcpu_deliver_due(v, tf))
        return INTERRUPTED;
    switch (in->cls) {
    case INSN_CLI: v->vif = false; v->vif_writes++; break;
    case INSN_STI:
        if (sti_and_hlt(v, in, tf))
            return EMULATED;
        break;
    case INSN_HLT: tf->rip += in->length; vcpu_halt(v); return EMULATED;
    case INSN_IN: case INSN_OUT: emulate_io(v, in, tf); break;
    case INSN_INS: case INSN_OUTS:
        switch (emulate_string_io(v, in, tf)) {
        case STRING_MORE: return EMULATED;     /* more iterations left: it runs again */
        case STRING_FAULTED: return FAULTED;
        case STRING_DONE: break;
        }
        break;
    case INSN_LGDT: case INSN_LIDT: case INSN_SGDT: case INSN_SIDT:
        if (!emulate_descriptor_table(v, in, tf)) return FAULTED;
        break;
    case INSN_LTR: case INSN_LLDT:
        if (!emulate_load_system(v, in, tf)) return FAULTED;
        break;
    case INSN_CALL_FAR: case INSN_JMP_FAR:
        return branch_call_gate(v, in, tf);
    case INSN_STR: case INSN_SLDT: case INSN_SMSW:
        if (!emulate_store_system(v, in, tf)) return FAULTED;
        break;
    case INSN_MOV_TO_CR: case INSN_MOV_FROM_CR:
        if (!emulate_control_register(v, in, tf))
            return FAULTED;
        break;
    case INSN_CLTS: model_clts(v); break;
    case INSN_LMSW:
        if (!emulate_lmsw(v, in, tf))
            return FAULTED;
        break;
    case INSN_MOV_TO_DR: case INSN_MOV_FROM_DR:
        if (!dreg_mov(v, in, tf))
            return FAULTED;
        break;
    case INSN_RDMSR: case INSN_WRMSR:
        if (!model_msr(v, in, tf))
            return FAULTED;
        break;
    case INSN_CPUID: model_cpuid(v, tf); break;     /* patched: it does not fault */
    case INSN_WBINVD: case INSN_INVD: break;
    case INSN_INVLPG:
        if (in->has_mem)
            shadow_invlpg(v, effective_address(in, tf));
        break;
    case INSN_MOV_TO_SREG: case INSN_POP:
        if (in->cls == INSN_MOV_TO_SREG ? in->reg != SEG_SS : in->opcode != 0x17) return NOT_OURS;
        if (!emulate_load_ss(v, in, tf)) return FAULTED;       /* the guest's handler runs */
        break;
    case INSN_RET_FAR: return branch_far_return(v, in, tf, false);
    case INSN_OTHER:
        if (in->map != MAP_0F || in->opcode != 0xb2 || !in->has_mem) return NOT_OURS;
        if (!emulate_load_ss(v, in, tf)) return FAULTED;       /* lss: its selector's RPL 0 traps too */
        break;
    default: return NOT_OURS;
    }
    tf->rip += in->length;
    return EMULATED;
}

/* The bytes of patched instruction p as code of another mode than its
 * scan's fetches them (code run both as 16-bit and 32-bit code: the scan
 * decoded it one way, and the other may read on past what it kept: 66 ea
 * ptr16:32 is 8 bytes as 16-bit code, 6 as 32-bit code): its kept bytes,
 * then what a fetch reaches after them, the hlts of other patches there
 * undone. */
static unsigned patch_bytes_on(struct vcpu *v, const struct trapframe *tf, const struct site *p, uint64_t cs,
                               uint8_t *buf)
{
    uint8_t raw[DECODE_MAX_LENGTH];
    struct gfault f;
    unsigned got;
    const uint8_t *code = gmem_fetch(v, cs, (uint32_t)tf->rip, raw, sizeof raw, &got, &f);
    memcpy(buf, p->orig, p->len);
    for (unsigned i = p->len; i < got; i++) {
        uint32_t gpa;
        const struct site *e = code[i] == 0xf4 && gmem_phys_peek(v, desc_base(cs) + (uint32_t)tf->rip + i, &gpa)
                               ? sites_find(&v->guest->sites, gpa, SITE_PATCH) : 0;
        buf[i] = e && !e->block ? e->orig[0] : code[i];
    }
    return got > p->len ? got : p->len;
}

/* A patched instruction: the original bytes are in the side table. */
static enum emulated emulate_patch(struct vcpu *v, struct trapframe *tf, const struct site *p, uint64_t cs)
{
    struct insn in;
    /* in the mode CS gives it now: the same bytes run as 16-bit code push
     * and pop 2 bytes, whatever mode the scan that patched them saw */
    unsigned mode = desc_code_bits(cs);
    if (p->len == 2 && decode_is_syscall(p->orig, p->len)) {
        vcpu_reflect(v, tf, VEC_UD, false, 0);   /* the guest's own syscall (scan.c own_syscall): #UD, as with SCE off */
        return FAULTED;
    }
    uint8_t code[DECODE_MAX_LENGTH];
    int status = decode(p->orig, p->len, mode, &in);
    if (status == DECODE_TRUNCATED)
        status = decode(code, patch_bytes_on(v, tf, p, cs, code), mode, &in);
    if (status != DECODE_OK)
        return NOT_OURS;
    uint32_t val, size = in.op_size / 8;
    struct gfault f;
    v->insn_count[in.cls & 63]++;
    switch (in.cls) {
    case INSN_PUSHF: {
        if (!vcpu_push(v, tf, vcpu_guest_eflags(v, tf), size, &f)) { gmem_reflect(v, tf, &f); return FAULTED; }
        tf->rip += in.length;
        return EMULATED;
    }
    case INSN_POPF:
        if (!vcpu_pop(v, tf, &val, size, &f)) { gmem_reflect(v, tf, &f); return FAULTED; }
        emulate_set_flags(v, tf, emulate_user_if(v, tf, val), size == 4 ? EFLAGS_GUEST_MASK : EFLAGS_GUEST_MASK & 0xffff);
        tf->rip += in.length;
        return EMULATED;
    case INSN_IRET:
        return branch_iret(v, &in, tf);
    case INSN_CALL: case INSN_JMP: {
        struct site s = *p;                    /* (the scans where it lands may move the table) */
        enum emulated done = branch_indirect(v, &in, tf);
        if (done == EMULATED && s.table)
            branch_table_done(v, &in, &s);
        return done;
    }
    case INSN_RET:
        return branch_near_return(v, &in, tf);
    case INSN_JMP_FAR: case INSN_CALL_FAR:
        return branch_far(v, &in, tf);
    case INSN_RET_FAR:
        return branch_far_return(v, &in, tf, true);
    default:
        return emulate(v, &in, tf);        /* sgdt & co., patched where UMIP is missing */
    }
}

/* The guest single-steps: its TF was set as the trapping instruction began
 * (a popf or iret that sets TF traps only after the next one: SDM vol. 3,
 * "Single-Step Exception Condition").  While the host steps a fall-through's
 * displaced bytes the TF is the host's (g->host_stepping_guest_tf keeps the guest's). */
static bool guest_stepping(struct vcpu *v, const struct trapframe *tf)
{
    return (tf->rflags & EFLAGS_TF) && !v->guest->host_stepping;
}

/* After an instruction the host carried out for the guest: the debug trap
 * the CPU would have raised after it — to the host's own stepping, which an
 * emulated instruction advances as a #DB would, or to the guest. */
static void single_step(struct vcpu *v, struct trapframe *tf, bool guest_tf)
{
    struct guest *g = v->guest;
    if (g->state != GUEST_RUNNING)
        return;
    if (g->host_stepping ? !guest_hooks->step_done(g, tf) : guest_tf) {
        dreg_note_step(&v->dr[6]);
        vcpu_reflect(v, tf, 1, false, 0);
    }
}

/* A peeled function, served natively (tf at its first byte): the call is
 * one step for a guest that single-steps; a fall-through steps itself. */
static void peel_call_stepped(struct vcpu *v, struct trapframe *tf, void *s, bool step)
{
    uint64_t site = tf->rip;
    guest_hooks->site_trap(v->guest, tf, s);
    if (step && !v->guest->host_stepping && tf->rip != site)
        single_step(v, tf, step);                    /* (not stepping: nothing to raise) */
}

/* A privileged instruction at EIP, decoded in the mode of the guest's CS:
 * false if it is not one the host emulates (the CPU's own fault stands). */
static bool privileged(struct vcpu *v, struct trapframe *tf, bool step, uint64_t cs)
{
    uint8_t buf[DECODE_MAX_LENGTH];
    struct gfault f;
    struct insn in;
    enum emulated done;
    unsigned mode = desc_code_bits(cs), got;
    const uint8_t *code = gmem_fetch(v, cs, (uint32_t)tf->rip, buf, sizeof buf, &got, &f);
    int status = got ? decode(code, got, mode, &in) : DECODE_TRUNCATED;
    if (status == DECODE_TRUNCATED && got < sizeof buf) {
        gmem_reflect(v, tf, &f);                    /* the fetch's own fault, as the CPU raises it */
        if (f.vector == GFAULT_STOPPED && v->guest->state == GUEST_RUNNING)
            emulate_fail(v, tf, "instruction runs past the end of guest memory");
        return true;
    }
    if (status != DECODE_OK || !(done = emulate(v, &in, tf)))
        return false;
    if (done == INTERRUPTED)
        return true;                               /* (counted when it runs) */
    v->exits[VEXIT_PRIV]++;
    v->insn_count[in.cls & 63]++;
    bool loads_ss = in.cls == INSN_MOV_TO_SREG || in.cls == INSN_POP;
    if (done == EMULATED)                          /* a load of SS holds the trap back one instruction */
        single_step(v, tf, step && !loads_ss);
    return true;
}

/* #GP(selector) for a selector of the host's shadow slots in the guest's
 * GDT range: refused with a sentence (true), not reflected. */
static bool shadow_selector(struct vcpu *v, struct trapframe *tf)
{
    if (!(tf->error & 0xfffc) || (tf->error & 6) || (tf->error >> 3) < VCPU_SHADOW_IDX || (tf->error | 7) > v->gdt_limit)
        return false;
    char why[112];
    snprintf(why, sizeof why, "selector 0x%lx names a GDT entry the host keeps for itself (%u and up): not supported",
             tf->error & 0xfffc, VCPU_SHADOW_IDX);
    emulate_fail(v, tf, why);
    return true;
}

/* ---- one trap path ----------------------------------------------------------
 * What a trap from the guest kernel is, decided once, from its vector, its
 * error code and the side table of trap sites at its address (sites.h). */
enum trap_class {
    TRAP_HOST_STEP,       /* #DB while the host single-steps a fall-through's displaced bytes */
    TRAP_CLAIM,           /* #GP(0), or a fetch #PF, at an address a subsystem claimed (site_claim) */
    TRAP_PEEL,            /* a peel site: int 15 or syscall (EIP past it), or hlt */
    TRAP_PATCH,           /* a scanner's hlt in place of pushf, popf, iret, sgdt & co. */
    TRAP_GUEST_INT15,     /* the guest's own int 15, through the peel entry's DPL-1 gate */
    TRAP_GUEST_SYSCALL,   /* the guest's own syscall (where it enters the host): #UD */
    TRAP_SOFT_INT,        /* int n, int3, into through a DPL-0 host gate: #GP(IDT) */
    TRAP_PRIV,            /* #GP(0), or #GP(selector) from a load of SS: decode and emulate */
    TRAP_PAGE_FAULT,      /* #PF: the guest touched memory it does not have */
    TRAP_NO_FPU,          /* #NM: its x87 state is not loaded, or its own CR0.TS/EM (fpu.c) */
    TRAP_FPU_ERROR,       /* #MF: an x87 error, delivered as its CR0.NE says */
    TRAP_EXCEPTION,       /* anything else: the guest's own, reflected through its IDT */
};

struct trap {
    /* the descriptor of the guest's CS as the trap found it, looked up once
     * (EIP's linear address, the decoding mode and the fetch all need it) */
    uint64_t cs;
    /* TRAP_CLAIM, TRAP_PEEL, TRAP_PATCH: the side table's entry, read at
     * once (the table may change while the trap is served) */
    const struct site *site;
    uint8_t op[2];        /* TRAP_SOFT_INT: the instruction's bytes */
};

/* A peel site's trap is in place but while the host steps over its
 * displaced bytes (then a trap there is the guest's own instruction's). */
static bool site_armed(struct guest *g, void *site)
{
    return !g->host_stepping || guest_hooks->site_armed(g, site);
}

/* The site entries at addr from kind `from` on, first that applies; a peel
 * site whose displaced bytes are being stepped is not armed. */
static enum trap_class site_class(struct guest *g, uint32_t addr, unsigned from, struct trap *t)
{
    const struct site *e = sites_at(&g->sites, addr);
    for (; e && e < sites_end(&g->sites) && e->addr == addr; e++) {
        if (e->kind < from || (e->kind == SITE_PEEL && !site_armed(g, e->owner)))
            continue;
        t->site = e;
        return e->kind == SITE_CLAIM ? TRAP_CLAIM : e->kind == SITE_PEEL ? TRAP_PEEL : TRAP_PATCH;
    }
    return TRAP_PRIV;
}

/* The guest-physical address of the guest's EIP + delta, which the side
 * table is keyed by: the linear one with paging off (no cost), else
 * through its tables as a lookup (the CPU has just fetched there: nothing
 * to set); ~0 (no site) if it is not mapped. */
static __attribute__((noinline)) uint32_t code_phys_paged(struct vcpu *v, uint32_t lin)
{
    uint32_t gpa;
    return gmem_phys_peek(v, lin, &gpa) ? gpa : ~0u;
}

static inline uint32_t code_phys(struct vcpu *v, const struct trapframe *tf, uint64_t cs, int32_t delta)
{
    uint32_t lin = desc_base(cs) + (uint32_t)tf->rip + (uint32_t)delta;
    return v->cr0 & CR0_PG ? code_phys_paged(v, lin) : lin;
}

static enum trap_class classify(struct vcpu *v, const struct trapframe *tf, unsigned from, struct trap *t)
{
    struct guest *g = v->guest;
    switch (tf->vector) {
    case 1:
        return g->host_stepping ? TRAP_HOST_STEP : TRAP_EXCEPTION;
    case VEC_GUEST_ENTRY: {                             /* int 15 or syscall: EIP is past its 2 bytes */
        const struct site *e = g->sites.count[SITE_PEEL] ? sites_find(&g->sites, code_phys(v, tf, t->cs, -2), SITE_PEEL) : 0;
        if (e && site_armed(g, e->owner)) {
            t->site = e;
            return TRAP_PEEL;
        }
        return tf->error == ERROR_BY_SYSCALL ? TRAP_GUEST_SYSCALL : TRAP_GUEST_INT15;
    }
    case 13:
        if (tf->error == 0)
            return site_class(g, code_phys(v, tf, t->cs, 0), from, t);
        if ((tf->error & 3) == 2) {                    /* through a DPL-0 gate: #GP(IDT) */
            uint8_t buf[2];
            unsigned got;
            struct gfault f;
            const uint8_t *op = gmem_fetch(v, t->cs, (uint32_t)tf->rip, buf, 2, &got, &f);
            if (got == 2 && (op[0] == 0xcd || op[0] == 0xcc || op[0] == 0xce)) {
                t->op[0] = op[0];
                t->op[1] = op[1];
                return TRAP_SOFT_INT;
            }
        }
        return tf->error & 2 ? TRAP_EXCEPTION : TRAP_PRIV;
    case 14:
        /* a fetch of an address a subsystem claims (a stub in a page of
         * data): its trap, without making that page executable */
        if (from == SITE_CLAIM && (tf->error & PFEC_FETCH) && g->sites.count[SITE_CLAIM] &&
            (t->site = sites_find(&g->sites, code_phys(v, tf, t->cs, 0), SITE_CLAIM)))
            return TRAP_CLAIM;
        return TRAP_PAGE_FAULT;
    case VEC_NM:
        return TRAP_NO_FPU;
    case VEC_MF:
        return TRAP_FPU_ERROR;
    default:
        return TRAP_EXCEPTION;
    }
}

void emulate_trap(struct vcpu *v, struct trapframe *tf)
{
    unsigned vec = tf->vector;
    bool step = guest_stepping(v, tf);
    struct trap t = { .cs = vcpu_descriptor(v, (uint16_t)tf->cs) };
    enum emulated done;
    /* once round, but for a claim its claimer declined */
    for (enum trap_class cls = classify(v, tf, SITE_CLAIM, &t);; cls = classify(v, tf, SITE_PEEL, &t)) {
        switch (cls) {
        case TRAP_HOST_STEP:
            if (guest_hooks->step_done(v->guest, tf))
                return;                                /* a fall-through's single step is over */
            break;                                     /* the guest's own #DB follows the step */
        case TRAP_CLAIM:
            if (t.site->handler(v, tf, t.site->owner))
                return;
            continue;                                  /* declined: as though the address were not claimed */
        case TRAP_PEEL:
            if (vec == VEC_GUEST_ENTRY)
                tf->rip = (uint32_t)(tf->rip - 2);     /* both are 2 bytes: the site starts there */
            peel_call_stepped(v, tf, t.site->owner, step);
            return;
        case TRAP_PATCH: {
            uint32_t at = (uint32_t)tf->rip;
            if ((done = emulate_patch(v, tf, t.site, t.cs)) == INTERRUPTED)
                return;                                /* (counted when it runs) */
            if (done) {
                v->exits[VEXIT_PATCH]++;
                if (done == EMULATED && blocks_arena(&v->guest->blocks, at))
                    blocks_learn(v, at, (uint32_t)tf->rip);   /* a branch block's new target */
                if (done == EMULATED)
                    single_step(v, tf, step);
                return;
            }
            if (privileged(v, tf, step, t.cs) || shadow_selector(v, tf))
                return;                                /* (the scanner patches nothing else) */
            break;
        }
        case TRAP_GUEST_INT15:                         /* prefixes and all: EIP stays past it */
            vcpu_sample(v, tf, true);                  /* (vcpu_trap leaves the peel entry's vector to us) */
            v->exits[VEXIT_INT]++;
            vcpu_reflect(v, tf, VEC_GUEST_ENTRY, false, 0);
            return;
        case TRAP_GUEST_SYSCALL:                       /* none in compatibility mode */
            vcpu_sample(v, tf, true);
            tf->rip = (uint32_t)(tf->rip - 2);
            v->exits[VEXIT_EXCEPTION]++;
            vcpu_reflect(v, tf, 6, false, 0);          /* #UD, as an Intel CPU would */
            return;
        case TRAP_SOFT_INT:                            /* the vector from the bytes the guest wrote */
            v->exits[VEXIT_INT]++;
            vcpu_soft_int(v, tf, t.op[0] == 0xcd ? t.op[1] : t.op[0] == 0xcc ? 3 : 4, t.op[0] == 0xcd ? 2 : 1);
            return;
        case TRAP_PRIV:
            if (privileged(v, tf, step, t.cs) || shadow_selector(v, tf) || vcpu_gdt_stale_fault(v, tf))
                return;
            break;                                     /* not one we emulate: the CPU's fault stands */
        case TRAP_PAGE_FAULT: {
            /* CR2 is still this fault's: the host's gates keep interrupts
             * off, and nothing on the way here can fault */
            uint64_t cr2 = read_cr2();
            if (shadow_page_fault(v, tf, (uint32_t)cr2))
                return;                                /* paging on: the virtual TLB's, or the guest's */
            if (cr2 >> 32 == 0 && rom_write_fault(v, tf, (uint32_t)cr2))
                return;                                /* paging off: a write to the ROM, stepped and dropped */
            if (cr2 >> 32 == 0 && codepage_fault(v, tf, (uint32_t)cr2)) {
                v->exits[VEXIT_CODEPAGE]++;
                return;                                /* paging off: scan on execute */
            }
            char why[96];
            snprintf(why, sizeof why, "access to 0x%lx outside its %lu MiB of memory",
                     cr2, v->guest->ram_size >> 20);
            emulate_fail(v, tf, why);
            return;
        }
        case TRAP_NO_FPU:
            if (fpu_trap(v, tf))
                return;
            break;                                     /* the guest's own #NM */
        case TRAP_FPU_ERROR:
            v->exits[VEXIT_EXCEPTION]++;
            fpu_error(v, tf);
            return;
        case TRAP_EXCEPTION:
            if (vcpu_gdt_stale_fault(v, tf))
                return;
            break;
        }
        break;
    }
    if (vec == VEC_DB && blocks_stepped_in(v, tf))
        return;                                        /* its step was into a patch block's jmp, not its own */
    if (vec == VEC_DB)
        dreg_debug_trap(v);                            /* DR6 as the CPU left it for this #DB */
    v->exits[VEXIT_EXCEPTION]++;
    vcpu_reflect(v, tf, vec, vec_has_error(vec), (uint32_t)tf->error);
}

bool site_claim(struct guest *g, uint32_t addr, site_handler_t handler, void *owner)
{
    return sites_add(&g->sites, &(struct site){ .addr = addr, .kind = SITE_CLAIM, .owner = owner, .handler = handler });
}

void site_unclaim(struct guest *g, uint32_t addr)
{
    sites_remove(&g->sites, addr, SITE_CLAIM);
}
