/*
 * The instructions that load or store the guest CPU's system state, which
 * the host keeps for it (struct vcpu): lgdt, lidt, sgdt, sidt; mov to and
 * from CR0-CR4, lmsw; the loads of SS (mov, pop, lss) a ring-0 selector
 * makes trap in ring 1; str, sldt, smsw; ltr and lldt.  Each is checked and
 * faults as the CPU would; the host mirrors what changes (the GDT, the
 * LDT, paging for the shadow and the patch blocks, CR0.TS for the FPU).
 * Called from emulate.c's switch.
 */
#include "host/vmm/emulate_ops.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/guest.h"
#include "host/decode/decode.h"
#include "host/vmm/segment.h"
#include "host/vmm/shadow.h"
#include "host/vmm/gmem.h"
#include "host/vmm/codepage.h"
#include "host/vmm/vcpu_model.h"
#include "kernel/x86.h"

/* false if the operand faulted */
bool emulate_descriptor_table(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint8_t m[6];
    uint16_t *limit = in->cls == INSN_LGDT || in->cls == INSN_SGDT ? &v->gdt_limit : &v->idt_limit;
    uint32_t *base = in->cls == INSN_LGDT || in->cls == INSN_SGDT ? &v->gdt_base : &v->idt_base;
    if (in->cls == INSN_LGDT || in->cls == INSN_LIDT) {
        if (!emulate_operand_read(v, in, tf, m, 6))
            return false;
        *limit = m[0] | m[1] << 8;
        *base = m[2] | m[3] << 8 | m[4] << 16 | (in->op_size == 32 ? (uint32_t)m[5] << 24 : 0);
        if (in->cls == INSN_LGDT) {
            vcpu_mirror_gdt(v);
            codepage_gdt_loaded(v);     /* the far jump after it, say */
        }
    } else {
        m[0] = *limit; m[1] = *limit >> 8;
        m[2] = *base; m[3] = *base >> 8; m[4] = *base >> 16; m[5] = *base >> 24;
        return emulate_operand_write(v, in, tf, m, 6);
    }
    return true;
}

/* false if it raised #UD (CR1, CR5 and up): EIP is the handler's then */
bool emulate_control_register(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t *cr[] = { &v->cr0, 0, &v->cr2, &v->cr3, &v->cr4 };
    if (in->reg > 4 || !cr[in->reg]) { vcpu_reflect(v, tf, 6, false, 0); return false; }
    if (in->cls == INSN_MOV_FROM_CR) {
        *vcpu_gpr(tf, in->rm) = *cr[in->reg];
        return true;
    }
    uint32_t val = (uint32_t)*vcpu_gpr(tf, in->rm), old = *cr[in->reg];
    if (in->reg == 0 && (val & CR0_PG) && !(val & CR0_PE)) {
        vcpu_reflect(v, tf, VEC_GP, true, 0);          /* paging without protection */
        return false;
    }
    *cr[in->reg] = val;
    if (in->reg == 0 && ((val ^ old) & CR0_PG))
        blocks_paging(v->guest, val & CR0_PG);    /* their jumps are to the other way's addresses */
    if (in->reg == 0)
        fpu_cr0_written(v);                    /* its TS and EM decide the next #NM */
    shadow_cr_written(v, in->reg, old);                /* the TLB, as the CPU would drop it */
    return true;
}

bool emulate_lmsw(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint16_t w;
    if (!in->has_mem)
        w = (uint16_t)*vcpu_gpr(tf, in->rm);
    else if (!emulate_operand_read(v, in, tf, &w, 2))
        return false;
    model_lmsw(v, w);
    return true;
}

/* A selector the guest loads into SS (mov, pop): checked as a CPU checks
 * it; a refusal is the CPU's fault, raised at the instruction with the
 * stack as it was.  False if it faulted. */
bool emulate_load_ss(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t sel;
    uint64_t rsp = tf->rsp;
    uint32_t offset = 0;
    bool lss = in->map == MAP_0F && in->opcode == 0xb2;    /* lss r, m16:16/32 */
    if (in->cls == INSN_POP) {
        struct gfault gf;
        if (!vcpu_pop(v, tf, &sel, in->op_size / 8, &gf)) { gmem_reflect(v, tf, &gf); return false; }
    } else if (lss) {
        unsigned size = in->op_size / 8;
        uint8_t m[6];
        if (!emulate_operand_read(v, in, tf, m, size + 2))
            return false;
        offset = size == 4 ? (uint32_t)(m[0] | m[1] << 8 | m[2] << 16 | (uint32_t)m[3] << 24) : (uint32_t)(m[0] | m[1] << 8);
        sel = m[size] | m[size + 1] << 8;
    } else if (in->has_mem) {
        uint16_t m;
        if (!emulate_operand_read(v, in, tf, &m, 2))
            return false;
        sel = m;
    } else {
        sel = (uint16_t)*vcpu_gpr(tf, in->rm);
    }
    uint16_t s = seg_compress((uint16_t)sel);
    uint32_t f = seg_check(s, vcpu_descriptor(v, s), SEG_USE_SS, 1);
    if (f) {
        tf->rsp = rsp;
        vcpu_reflect(v, tf, seg_fault_vector(f), true, seg_fault_error(f));
        return false;
    }
    tf->ss = s;
    blocks_ss_loaded(v, vcpu_descriptor(v, s));      /* (its flags words are reached through SS) */
    if (lss)
        emulate_set_reg(tf, in->reg, in->op_size / 8, offset);
    return true;
}

/* false if the operand faulted */
bool emulate_store_system(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t val = in->cls == INSN_SMSW ? v->cr0 : in->cls == INSN_STR ? v->tr : v->ldtr;
    if (!in->has_mem) {
        emulate_set_reg(tf, in->rm, in->op_size / 8, val);
        return true;
    }
    uint16_t m = (uint16_t)val;
    return emulate_operand_write(v, in, tf, &m, 2);
}

/* ltr, lldt: the descriptor read from the guest's GDT as the CPU reads it
 * (its linear base, through gmem), checked in the CPU's order; the TSS
 * marked busy in the guest's table as the CPU marks it.  The base and limit
 * are cached, as the CPU caches them until the next ltr/lldt.  lldt 0
 * leaves the vCPU without an LDT.  False if it faulted. */
bool emulate_load_system(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    bool is_tr = in->cls == INSN_LTR;
    uint16_t sel = (uint16_t)*vcpu_gpr(tf, in->rm);
    uint64_t d;
    struct gfault f;
    if (in->has_mem && !emulate_operand_read(v, in, tf, &sel, 2))
        return false;
    if (!is_tr && sel_null(sel)) {
        vcpu_mirror_ldt(v, sel, 0, 0);
        return true;
    }
    uint32_t fault = sel_null(sel) ? SEG_FAULT(13, 0)
                   : sel_ldt(sel) || (sel | 7u) > v->gdt_limit ? SEG_FAULT(13, sel & 0xfffc) : 0;
    if (!fault && !gmem_read_lin(v, v->gdt_base + (sel & ~7u), &d, 8, GMEM_READ, false, &f)) {
        gmem_reflect(v, tf, &f);
        return false;
    }
    if (!fault && (d >> 40 & 0x1f) != (is_tr ? 0x09u : 0x02u))   /* S=0: an available 32-bit TSS, an LDT */
        fault = SEG_FAULT(13, sel & 0xfffc);
    if (!fault && !(d & DESC_PRESENT))
        fault = SEG_FAULT(11, sel & 0xfffc);
    if (fault) {
        vcpu_reflect(v, tf, seg_fault_vector(fault), true, seg_fault_error(fault));
        return false;
    }
    if (!is_tr) {
        vcpu_mirror_ldt(v, sel, desc_base(d), desc_limit(d));
        return true;
    }
    d |= 2ull << 40;                                 /* busy */
    if (!gmem_write_lin(v, v->gdt_base + (sel & ~7u), &d, 8, false, &f)) {
        gmem_reflect(v, tf, &f);
        return false;
    }
    v->tr = sel;
    v->tr_base = desc_base(d);
    v->tr_limit = desc_limit(d);
    return true;
}
