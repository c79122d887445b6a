/*
 * Control transfers the host makes for the guest: iret (patched: it would
 * return to the wrong ring from ring 1), retf to the guest's ring 0 and far
 * calls through call gates (they fault), every far jmp, call and retf in a
 * guest whose peel sites enter by syscall or that has patch blocks
 * (patched: scan.c far_seen), and
 * the near branches the scanner patched because it cannot know where they
 * go (host/vmm/scan.c): through a register or memory, and a ret to an
 * address from data.  Each is made with the CPU's checks and faults, and
 * lands through landed(): the target is scanned there if no scan has
 * decoded an instruction at it yet, so that code reached only this way is
 * patched before it runs.
 */
#include "host/vmm/emulate_ops.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/guest.h"
#include "host/vmm/segment.h"
#include "host/vmm/gmem.h"
#include "host/vmm/codepage.h"
#include "host/vmm/blocks.h"
#include "host/decode/decode.h"
#include "smp/spinlock.h"

/* A branch the host made has landed at the guest's EIP: scanned there if
 * no scan has decoded an instruction at it yet (the scanner cannot know
 * where an indirect branch, a ret from data or an iret goes: scan.c). */
static void landed(struct vcpu *v, struct trapframe *tf)
{
    uint64_t cs = vcpu_descriptor(v, (uint16_t)tf->cs);
    uint32_t lin = desc_base(cs) + (uint32_t)tf->rip;  /* (vcpu_linear_ip, the descriptor read once) */
    blocks_cs_landed(v, cs);                           /* (code run flat, entered otherwise) */
    bool irqs = irq_window_open();                    /* a first scan may follow much of a kernel */
    bool ok = codepage_entry_point(v, lin, desc_code_bits(cs));
    irq_window_close(irqs);
    if (!ok)
        guest_end(v->guest, GUEST_DEAD, -1, "out of host memory for scanning its code");
}

static enum emulated branch_to(struct vcpu *v, struct trapframe *tf, uint32_t target)
{
    tf->rip = target;
    landed(v, tf);
    return EMULATED;
}

/* A return's checks ended: fault f (the stack as it was before the pops,
 * rsp, and the CPU's fault delivered: false), or none (true). */
static bool return_checked(struct vcpu *v, struct trapframe *tf, uint32_t f, uint64_t rsp)
{
    if (!f)
        return true;
    tf->rsp = rsp;
    vcpu_reflect(v, tf, seg_fault_vector(f), true, seg_fault_error(f));
    return false;
}

/* A return to a code selector the guest loaded (iret, retf), at its own
 * privilege: the CPU's checks, the CPU's fault, the stack as it was. */
static bool return_to(struct vcpu *v, struct trapframe *tf, uint16_t cs, uint32_t eip, uint64_t rsp)
{
    uint16_t s = seg_compress(cs);
    uint64_t d = vcpu_descriptor(v, s);
    uint32_t f = seg_check(s, d, SEG_USE_CS_RET, tf->cs & 3);
    if (!f && eip > desc_limit(d))
        f = SEG_FAULT(13, 0);
    if (!return_checked(v, tf, f, rsp))
        return false;
    tf->rip = eip;
    tf->cs = s;
    landed(v, tf);                                     /* a new thread's first frame, say */
    return true;
}

/* iret from the guest kernel to its ring 3: CS and SS popped, checked as
 * the CPU checks them for a return to an outer level (the containment
 * rule: RPL 3, DPL 3 code, a writable DPL 3 stack), then the frame is the
 * user's.  Data segment registers the new CPL may not hold are nulled by
 * the host's own iretq to ring 3, as by the guest's on a CPU. */
static bool return_outer(struct vcpu *v, struct trapframe *tf, uint16_t cs, uint32_t eip, uint16_t ss, uint32_t esp,
                         uint64_t rsp)
{
    vcpu_gdt_refresh(v);                               /* TLS entries rewritten in place */
    uint64_t d = vcpu_descriptor(v, cs), dss = vcpu_descriptor(v, ss);
    uint32_t f = seg_check(cs, d, SEG_USE_CS_RET, 1);
    if (!f)
        f = seg_check(ss, dss, SEG_USE_SS, 3);
    if (!f && eip > desc_limit(d))
        f = SEG_FAULT(13, 0);
    if (!return_checked(v, tf, f, rsp))
        return false;
    tf->rip = eip;
    tf->cs = cs;
    tf->ss = ss;
    tf->rsp = esp;
    landed(v, tf);
    return true;
}

/* retf to the guest's own ring-0 code faults (its RPL 0 is more
 * privileged than ring 1): the same return, made by the host.  Patched
 * (scan.c far_seen), every retf comes here, the one from the guest kernel
 * to its ring 3 too: SS:ESP popped after the imm16 bytes are released, and
 * released again from the new stack (SDM Vol. 2, RET's pseudocode).
 * Unpatched, a return to ring 3 faulted by itself: the CPU's fault stands. */
enum emulated branch_far_return(struct vcpu *v, const struct insn *in, struct trapframe *tf, bool patched)
{
    uint32_t eip, cs, esp, ss, size = in->op_size / 8, release = in->imm_size ? in->imm & 0xffff : 0;
    uint64_t rsp = tf->rsp;
    struct gfault f;
    if (!vcpu_pop(v, tf, &eip, size, &f) || !vcpu_pop(v, tf, &cs, size, &f)) {
        tf->rsp = rsp;
        gmem_reflect(v, tf, &f);
        return FAULTED;
    }
    bool outer = (cs & 3) == 3 && (tf->cs & 3) != 3;
    if (outer && !patched) {
        tf->rsp = rsp;
        return NOT_OURS;                               /* to ring 3: the CPU's own #GP stands */
    }
    if ((cs & 3) == 2) { emulate_fail(v, tf, "retf to ring 2: guest rings 1 and 2 are not supported"); return FAULTED; }
    if (patched)
        vcpu_gdt_reread(v, (uint16_t)cs);              /* (unpatched, the CPU's fault did that) */
    if (outer) {
        if (release)
            vcpu_stack_release(v, tf, release);        /* the parameters, from the guest kernel's stack */
        if (!vcpu_pop(v, tf, &esp, size, &f) || !vcpu_pop(v, tf, &ss, size, &f)) {
            tf->rsp = rsp;
            gmem_reflect(v, tf, &f);
            return FAULTED;
        }
        vcpu_gdt_reread(v, (uint16_t)ss);
        if (!return_outer(v, tf, (uint16_t)cs, eip, (uint16_t)ss, size == 4 ? esp : esp & 0xffff, rsp))
            return FAULTED;
    } else if (!return_to(v, tf, (uint16_t)cs, eip, rsp)) {
        return FAULTED;
    }
    if (release)
        vcpu_stack_release(v, tf, release);            /* SP alone with a 16-bit stack, as the CPU does */
    return EMULATED;
}

static enum emulated refuse(struct vcpu *v, struct trapframe *tf, uint32_t fault)
{
    if (seg_fault_vector(fault) != GFAULT_STOPPED)
        vcpu_reflect(v, tf, seg_fault_vector(fault), true, seg_fault_error(fault));
    return FAULTED;
}

/* The old stack's top n dwords (a call gate's parameters), read with the
 * caller's privilege. */
static bool read_params(struct vcpu *v, struct trapframe *tf, uint32_t *p, unsigned n, struct gfault *f)
{
    uint32_t lin;
    uint64_t d = vcpu_descriptor(v, (uint16_t)tf->ss);
    uint32_t esp = d & DESC_DB ? (uint32_t)tf->rsp : (uint32_t)tf->rsp & 0xffff;
    return !n || (gmem_linear_desc(d, true, esp, n * 4, GMEM_READ, &lin, f) &&
                  gmem_read_lin(v, lin, p, n * 4, GMEM_READ, (tf->cs & 3) == 3, f));
}

/* A far jmp's or call's pointer: the instruction's own (ptr16:32) or from
 * memory (m16:32, offset first).  NOT_OURS for FF /3 or /5 with a register
 * operand, which has none (#UD, raised by the CPU or, patched, here). */
static enum emulated far_pointer(struct vcpu *v, const struct insn *in, struct trapframe *tf, uint16_t *sel,
                                 uint32_t *off)
{
    unsigned size = in->op_size / 8;
    if (in->has_mem) {
        uint8_t m[6];
        if (!emulate_operand_read(v, in, tf, m, size + 2))
            return FAULTED;
        *off = size == 4 ? (uint32_t)(m[0] | m[1] << 8 | m[2] << 16 | (uint32_t)m[3] << 24) : (uint32_t)(m[0] | m[1] << 8);
        *sel = (uint16_t)(m[size] | m[size + 1] << 8);
        return EMULATED;
    }
    if (!in->imm2_size)
        return NOT_OURS;
    *off = size == 4 ? (uint32_t)in->imm : (uint32_t)in->imm & 0xffff;
    *sel = (uint16_t)in->imm2;
    return EMULATED;
}

/* A far call or jmp through a 32-bit call gate in the GDT or LDT (GNU
 * Mach's system call is lcall through LDT entry 0, DPL 3).  Gates are
 * never mirrored as such, so the CPU raised #GP(selector) and the transfer
 * is made here as the CPU makes it (SDM Vol. 2, CALL's pseudocode): the
 * gate's DPL against CPL and RPL, the target code segment's, and for a
 * call to a more privileged ring the guest TSS's stack, onto which the
 * caller's SS:ESP and the gate's parameter dwords are copied.  NOT_OURS if
 * the selector names no call gate (the CPU's fault stands). */
static enum emulated through_gate(struct vcpu *v, const struct insn *in, struct trapframe *tf, uint16_t sel)
{
    bool call = in->cls == INSN_CALL_FAR;
    unsigned cpl = tf->cs & 3;
    struct gfault f;
    uint64_t g;
    uint32_t base = sel_ldt(sel) ? v->ldt_base : v->gdt_base;
    uint32_t limit = sel_ldt(sel) ? (sel_null(v->ldtr) ? 0 : v->ldt_limit) : v->gdt_limit;
    if ((!sel_ldt(sel) && sel_null(sel)) || (sel_ldt(sel) && sel_null(v->ldtr)) || (sel | 7u) > limit)
        return NOT_OURS;
    if (!gmem_read_lin(v, base + (sel & ~7u), &g, 8, GMEM_READ, false, &f)) {
        gmem_reflect(v, tf, &f);
        return FAULTED;
    }
    if ((g >> 40 & 0x1f) != 0x0c)
        return NOT_OURS;
    unsigned dpl = g >> 45 & 3, guest_cpl = cpl == 3 ? 3 : 0, params = g >> 32 & 0x1f;
    if (dpl < guest_cpl || dpl < (sel & 3u))
        return refuse(v, tf, SEG_FAULT(13, sel & 0xfffc));
    if (!(g & DESC_PRESENT))
        return refuse(v, tf, SEG_FAULT(11, sel & 0xfffc));
    uint16_t cs = (uint16_t)(g >> 16);
    uint32_t off = (uint32_t)(g & 0xffff) | (uint32_t)(g >> 32 & 0xffff0000u);
    if (sel_null(cs))
        return refuse(v, tf, SEG_FAULT(13, 0));
    uint64_t d = vcpu_descriptor(v, seg_compress(cs));
    bool conforming = d & DESC_CONFORM;
    if (!desc_is_code(d) || desc_dpl(d) > cpl || (!call && !conforming && desc_dpl(d) != cpl))
        return refuse(v, tf, SEG_FAULT(13, cs & 0xfffc));
    if (!(d & DESC_PRESENT))
        return refuse(v, tf, SEG_FAULT(11, cs & 0xfffc));
    if (off > desc_limit(d))
        return refuse(v, tf, SEG_FAULT(13, 0));
    unsigned new_cpl = conforming ? cpl : desc_dpl(d);
    if (call) {
        uint32_t ret = (uint32_t)tf->rip + in->length, p[32], esp = (uint32_t)tf->rsp, e;
        uint16_t ss = (uint16_t)tf->ss, cs_seen = vcpu_guest_sel(v, (uint16_t)tf->cs);
        uint64_t dss = vcpu_descriptor(v, ss);
        bool outer = new_cpl < cpl, ok = true;
        if (cpl != 3)
            cs_seen &= ~3;
        if (outer) {
            if (!read_params(v, tf, p, params, &f)) {
                gmem_reflect(v, tf, &f);
                return FAULTED;
            }
            if ((e = vcpu_tss_stack(v, &ss, &dss, &esp)))
                return refuse(v, tf, e);
            ok = vcpu_stack_push(v, dss, &esp, vcpu_guest_sel(v, (uint16_t)tf->ss), 4, false, &f) &&
                 vcpu_stack_push(v, dss, &esp, (uint32_t)tf->rsp, 4, false, &f);
            for (unsigned i = params; ok && i-- > 0;)
                ok = vcpu_stack_push(v, dss, &esp, p[i], 4, false, &f);
        }
        bool user = new_cpl == 3;
        ok = ok && vcpu_stack_push(v, dss, &esp, cs_seen, 4, user, &f) && vcpu_stack_push(v, dss, &esp, ret, 4, user, &f);
        if (!ok) {
            gmem_reflect(v, tf, &f);
            return FAULTED;
        }
        tf->ss = ss;
        tf->rsp = esp;
    }
    tf->cs = (uint16_t)((cs & ~3u) | (new_cpl == 3 ? 3 : 1));
    return branch_to(v, tf, off);
}

enum emulated branch_call_gate(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint16_t sel;
    uint32_t off;
    enum emulated got = far_pointer(v, in, tf, &sel, &off);
    return got == EMULATED ? through_gate(v, in, tf, sel) : got;
}

/* A far jmp or call straight to a code segment, at the caller's
 * privilege: the CPU's checks (SDM Vol. 2, JMP's and CALL's pseudocode:
 * a conforming segment's DPL at most CPL, a non-conforming one's equal to
 * it with RPL no greater, present), for a call CS (as the guest sees it)
 * and the return EIP pushed, the offset within the limit, then CS with
 * RPL = CPL.  A call's offset beyond the limit is #GP(selector), checked
 * after its pushes: what QEMU's 32-bit CPU does, the bare machine every
 * hosted transcript is held to (the SDM says #GP(0), as QEMU gives for a
 * jmp); the fuzzer compares both (tests/guests/fuzz-far.asm).  Only
 * patched ones come here (scan.c far_seen); the CPU makes the others
 * itself. */
static enum emulated to_code(struct vcpu *v, const struct insn *in, struct trapframe *tf, uint16_t sel, uint32_t off)
{
    unsigned size = in->op_size / 8, cpl = tf->cs & 3;
    uint16_t s = seg_compress(sel), err = sel & 0xfffc;
    if (sel_null(sel))
        return refuse(v, tf, SEG_FAULT(13, 0));
    vcpu_gdt_reread(v, s);
    uint64_t d = vcpu_descriptor(v, s);              /* 0 beyond the table or not mirrored: not code */
    if (!desc_is_code(d) || (d & DESC_CONFORM ? desc_dpl(d) > cpl : desc_dpl(d) != cpl || (s & 3u) > cpl))
        return refuse(v, tf, SEG_FAULT(13, err));
    if (!(d & DESC_PRESENT))
        return refuse(v, tf, SEG_FAULT(11, err));
    uint64_t rsp = tf->rsp;
    if (in->cls == INSN_CALL_FAR) {
        uint16_t cs_seen = vcpu_guest_sel(v, (uint16_t)tf->cs);
        struct gfault f;
        if (!vcpu_push(v, tf, cpl == 3 ? cs_seen : cs_seen & ~3u, size, &f) ||
            !vcpu_push(v, tf, (uint32_t)tf->rip + in->length, size, &f)) {
            tf->rsp = rsp;
            gmem_reflect(v, tf, &f);
            return FAULTED;
        }
    }
    if (off > desc_limit(d)) {
        tf->rsp = rsp;
        return refuse(v, tf, SEG_FAULT(13, in->cls == INSN_CALL_FAR ? err : 0));
    }
    tf->cs = (uint16_t)((s & ~3u) | cpl);
    return branch_to(v, tf, off);
}

/* A patched far jmp or call: through a call gate, or straight to code. */
enum emulated branch_far(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint16_t sel;
    uint32_t off;
    enum emulated got = far_pointer(v, in, tf, &sel, &off);
    if (got == NOT_OURS) {
        vcpu_reflect(v, tf, VEC_UD, false, 0);
        return FAULTED;
    }
    if (got != EMULATED)
        return got;
    got = through_gate(v, in, tf, sel);
    return got == NOT_OURS ? to_code(v, in, tf, sel, off) : got;
}

/* A patched near call or jmp through a register or memory, made as the
 * CPU makes it: the target checked against CS's limit before anything is
 * pushed. */
enum emulated branch_indirect(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t target = 0, size = in->op_size / 8;
    struct gfault f;
    if (!in->has_mem)
        target = (uint32_t)*vcpu_gpr(tf, in->rm);
    else if (!emulate_operand_read(v, in, tf, &target, size))
        return FAULTED;
    if (size == 2)
        target &= 0xffff;
    if (target > desc_limit(vcpu_seg_cache(v, SEG_CS)))
        return refuse(v, tf, SEG_FAULT(13, 0));
    if (in->cls == INSN_CALL && !vcpu_push(v, tf, (uint32_t)tf->rip + in->length, size, &f)) {
        gmem_reflect(v, tf, &f);
        return FAULTED;
    }
    return branch_to(v, tf, target);
}

/* A patched near ret (one the scanner saw jump to an address from data):
 * the CPU's pop, limit check and release of imm16 bytes. */
enum emulated branch_near_return(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t target, size = in->op_size / 8;
    uint64_t rsp = tf->rsp;
    struct gfault f;
    if (!vcpu_pop(v, tf, &target, size, &f)) {
        gmem_reflect(v, tf, &f);
        return FAULTED;
    }
    if (size == 2)
        target &= 0xffff;
    if (target > desc_limit(vcpu_seg_cache(v, SEG_CS))) {
        tf->rsp = rsp;
        return refuse(v, tf, SEG_FAULT(13, 0));
    }
    if (in->opcode == 0xc2)
        vcpu_stack_release(v, tf, in->imm & 0xffff);
    return branch_to(v, tf, target);
}

/* iret: EIP, CS and EFLAGS popped, and SS:ESP too for a return from the
 * guest kernel to its ring 3; IF virtual, at the CPL the iret ran at. */
enum emulated branch_iret(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t eip, cs, eflags, esp, ss, size = in->op_size / 8;
    uint64_t rsp = tf->rsp;
    struct gfault f;
    bool outer = (tf->cs & 3) != 3;              /* to ring 3 from the guest kernel: SS:ESP popped too */
    if (!vcpu_pop(v, tf, &eip, size, &f) || !vcpu_pop(v, tf, &cs, size, &f) || !vcpu_pop(v, tf, &eflags, size, &f) ||
        (outer && (cs & 3) == 3 && (!vcpu_pop(v, tf, &esp, size, &f) || !vcpu_pop(v, tf, &ss, size, &f)))) {
        tf->rsp = rsp;
        gmem_reflect(v, tf, &f);
        return FAULTED;
    }
    if (tf->rflags & EFLAGS_NT) { emulate_fail(v, tf, "iret with NT set (a task return): task switches are not supported"); return FAULTED; }
    if ((cs & 3) == 2) { emulate_fail(v, tf, "iret to ring 2: guest rings 1 and 2 are not supported"); return FAULTED; }
    eflags = emulate_user_if(v, tf, eflags);
    if (outer && (cs & 3) == 3 ? !return_outer(v, tf, (uint16_t)cs, eip, (uint16_t)ss, esp, rsp)
                               : !return_to(v, tf, (uint16_t)cs, eip, rsp))
        return FAULTED;
    emulate_set_flags(v, tf, eflags, size == 4 ? EFLAGS_GUEST_MASK : EFLAGS_GUEST_MASK & 0xffff);
    return EMULATED;
}

/* A jump table's jmp (scan.c: jump_table) has run once: every entry is
 * scanned now, read through the jmp's own segment (a lookup, as the
 * scanner reads: no Accessed bit set), and the jmp is put back, so a
 * switch needs the host only the first time it runs.  An entry that
 * cannot be read, lies past CS's limit or cannot be decoded leaves the
 * jmp patched: it is put back only when every target is scanned code,
 * pages not run yet included. */
void branch_table_done(struct vcpu *v, const struct insn *in, const struct site *s)
{
    uint64_t cs = vcpu_seg_cache(v, SEG_CS);
    struct gfault f;
    uint32_t lin;
    bool ok = true, irqs = irq_window_open();          /* the entries' first scans may be long */
    for (uint32_t i = 0; ok && i < s->table; i++) {
        uint32_t e;
        ok = gmem_linear(v, in->mem.seg, (uint32_t)in->mem.disp + i * 4, 4, GMEM_READ, &lin, &f) &&
             gmem_peek_lin(v, lin, &e, 4) && e <= desc_limit(cs) &&
             codepage_entry_scanned(v, (uint32_t)desc_base(cs) + e, desc_code_bits(cs));
    }
    irq_window_close(irqs);
    if (ok)
        codepage_unpatch(v->guest, s->addr);
}

