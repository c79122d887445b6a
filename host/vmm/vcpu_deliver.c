/*
 * Into the guest through its own IDT: its stack as the CPU pushes and pops
 * it (through SS's base and size, with paging at the privilege given),
 * the gate checked as the CPU checks it, exceptions reflected and escalated
 * (a fault while delivering: delivered in turn, a double fault, a triple
 * fault that stops the guest), int n, and the virtual interrupts a trap
 * finds pending: delivered if the guest's IF allows, else armed for a patch
 * block to deliver (host/vmm/blocks.h).  vcpu.c runs the traps that call
 * these.
 */
#include "host/vmm/vcpu.h"
#include "host/vmm/guest.h"
#include "host/vmm/gmem.h"
#include "host/vmm/segment.h"
#include "host/vmm/vcpu_seg.h"
#include "host/vmm/codepage.h"
#include "host/vmm/scan.h"
#include "kernel/printf.h"
#include "kernel/x86.h"
#include "smp/percpu.h"
#include "sched/sched.h"

/* The guest's stack through its SS: the base added, and with a 16-bit
 * stack segment only SP moves (ESP's bits 16-31 stay the guest's).  Size
 * 2 or 4 bytes; false if outside its RAM. */
static uint32_t stack_step(uint64_t ss_desc, uint32_t esp, int32_t delta)
{
    if (ss_desc & DESC_DB)
        return esp + (uint32_t)delta;
    return (esp & 0xffff0000u) | ((esp + (uint32_t)delta) & 0xffff);
}

static uint32_t stack_offset(uint64_t ss_desc, uint32_t esp)
{
    return ss_desc & DESC_DB ? esp : esp & 0xffff;
}

void vcpu_stack_release(struct vcpu *v, struct trapframe *tf, uint32_t bytes)
{
    tf->rsp = stack_step(vcpu_descriptor(v, (uint16_t)tf->ss), (uint32_t)tf->rsp, (int32_t)bytes);
}

/* One slot of a stack (descriptor d, pointer *esp) through gmem: the
 * CPU's limit check (#SS(0)), then paging at the privilege given. */
bool vcpu_stack_push(struct vcpu *v, uint64_t d, uint32_t *esp, uint32_t val, unsigned size, bool user,
                       struct gfault *f)
{
    uint32_t at = stack_step(d, *esp, -(int32_t)size), lin;
    uint8_t *p = gmem_fast(v, d, stack_offset(d, at), size, GMEM_WRITE);
    if (p && size == 4)                              /* little-endian: a word is val's low bytes */
        __builtin_memcpy(p, &val, 4);
    else if (p)
        __builtin_memcpy(p, &val, 2);
    if (!p && (!gmem_linear_desc(d, true, stack_offset(d, at), size, GMEM_WRITE, &lin, f) ||
        !gmem_write_lin(v, lin, &val, size, user, f)))
        return false;
    *esp = at;
    return true;
}

bool vcpu_push(struct vcpu *v, struct trapframe *tf, uint32_t val, unsigned size, struct gfault *f)
{
    uint32_t esp = (uint32_t)tf->rsp;
    if (!vcpu_stack_push(v, vcpu_descriptor(v, (uint16_t)tf->ss), &esp, val, size, (tf->cs & 3) == 3, f))
        return false;
    tf->rsp = esp;
    return true;
}

static bool stack_push(struct vcpu *v, uint64_t d, uint32_t *esp, uint32_t val, unsigned size, bool user,
                       struct gfault *f)
{
    return vcpu_stack_push(v, d, esp, val, size, user, f);
}

bool vcpu_pop(struct vcpu *v, struct trapframe *tf, uint32_t *val, unsigned size, struct gfault *f)
{
    uint64_t d = vcpu_descriptor(v, (uint16_t)tf->ss);
    uint32_t esp = (uint32_t)tf->rsp, lin, got = 0;
    const uint8_t *p = gmem_fast(v, d, stack_offset(d, esp), size, GMEM_READ);
    if (p && size == 4)
        __builtin_memcpy(&got, p, 4);
    else if (p)
        __builtin_memcpy(&got, p, 2);
    else if (!gmem_linear_desc(d, true, stack_offset(d, esp), size, GMEM_READ, &lin, f) ||
        !gmem_read_lin(v, lin, &got, size, GMEM_READ, (tf->cs & 3) == 3, f))
        return false;
    *val = got;
    tf->rsp = stack_step(d, esp, (int32_t)size);
    return true;
}

/* The first arrival at a handler scans it, which may take long: with
 * host interrupts on where the trap allows (no spinlock held here). */
static bool scan_entry_preemptible(struct vcpu *v, uint32_t offset, uint64_t cs)
{
    bool irqs = irq_window_open();
    bool ok = codepage_entry_point(v, offset, desc_code_bits(cs));
    irq_window_close(irqs);
    return ok;
}

/* Vectors whose faults combine into a double fault (SDM Vol. 3A, table 6-5). */
static bool contributory(unsigned vector)
{
    return vec_contributory(vector);
}

#define DELIVER_OK 0u
#define DELIVER_STOPPED SEG_FAULT(0xff, 0)           /* the guest was stopped instead */

/* A gmem fault met while delivering, as deliver's answer (CR2 set now:
 * the #PF is the delivery's own). */
static uint32_t delivery_fault(struct vcpu *v, const struct gfault *f)
{
    if (f->vector == GFAULT_STOPPED)
        return DELIVER_STOPPED;
    if (f->vector == 14)
        v->cr2 = f->cr2;
    return SEG_FAULT(f->vector, f->error);
}

/* The ring-0 stack of the guest's TSS (ss0:esp0), for a delivery from
 * guest ring 3: read through gmem from the TSS the guest's TR names (its
 * base and limit as ltr cached them), SS checked as the CPU checks it on
 * a stack switch (#TS(selector), #SS(selector) if not present). */
uint32_t vcpu_tss_stack(struct vcpu *v, uint16_t *ss, uint64_t *d, uint32_t *esp)
{
    uint8_t t[6];
    struct gfault f;
    if (sel_null(v->tr) || v->tr_limit < 9)           /* esp0 at 4, ss0 at 8: SDM's "TSSstackAddress + 5" */
        return SEG_FAULT(10, v->tr & 0xfffc);
    if (!gmem_read_lin(v, v->tr_base + 4, t, 6, GMEM_READ, false, &f))
        return delivery_fault(v, &f);
    *esp = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    uint16_t sel = (uint16_t)(t[4] | t[5] << 8);
    if (sel_null(sel))
        return SEG_FAULT(10, 0);
    *ss = seg_compress(sel);
    *d = vcpu_descriptor(v, *ss);
    uint32_t e = seg_check(*ss, *d, SEG_USE_SS, 1);
    if (e)
        return seg_fault_vector(e) == 12 ? e : SEG_FAULT(10, sel & 0xfffc);
    return DELIVER_OK;
}

/* Where an IDT gate leads, for a delivery from CPL cpl. */
struct gate {
    uint32_t offset;                 /* the handler, in its CS */
    uint16_t sel;                    /* its CS, RPL the new CPL (real 1 or 3) */
    uint64_t d;                      /* and that CS's descriptor */
    unsigned type, new_cpl;          /* 0xe interrupt gate, 0xf trap gate */
};

/* Every field of the gate, and the descriptor its selector names, is the
 * guest's: checked as a CPU checks them, in the CPU's order.  DELIVER_OK
 * or the fault the delivery raises. */
static uint32_t gate_lookup(struct vcpu *v, unsigned vector, unsigned cpl, bool soft, struct gate *t)
{
    uint16_t idt_error = (uint16_t)(vector * 8 + 2 + !soft);     /* IDT bit, and EXT unless int n */
    struct gfault gf;
    uint32_t gate[2];
    if (vector * 8 + 7 > v->idt_limit)
        return SEG_FAULT(13, idt_error);
    if (!gmem_read_lin(v, v->idt_base + vector * 8, gate, 8, GMEM_READ, false, &gf))
        return delivery_fault(v, &gf);
    uint32_t lo = gate[0], hi = gate[1];
    unsigned type = hi >> 8 & 0x1f, gate_dpl = hi >> 13 & 3;  /* S=0 and type */
    if (type != 0xe && type != 0xf)                  /* 32-bit interrupt / trap gates only */
        return SEG_FAULT(13, idt_error);
    if (soft && cpl == 3 && gate_dpl < 3)
        return SEG_FAULT(13, idt_error);
    if (!(hi >> 15 & 1))
        return SEG_FAULT(11, idt_error);
    uint16_t sel = (uint16_t)(lo >> 16);
    uint64_t d = vcpu_descriptor(v, seg_compress(sel));
    /* a gate's RPL is ignored: CS gets the new CPL, the handler's DPL
     * (real 1 or 3), or the CPL as it was for conforming code */
    unsigned new_cpl = d & DESC_CONFORM ? cpl : desc_dpl(d);
    sel = (uint16_t)((sel & ~3u) | (new_cpl == 3 ? 3 : 1));
    uint32_t f = seg_check(sel, d, SEG_USE_CS_GATE, cpl);
    if (f)
        return f | !soft;
    uint32_t offset = (hi & 0xffff0000) | (lo & 0xffff);
    if (offset > desc_limit(d))
        return SEG_FAULT(13, 0);
    *t = (struct gate){ .offset = offset, .sel = sel, .d = d, .type = type, .new_cpl = new_cpl };
    return DELIVER_OK;
}

/* Protected-mode delivery through a 32-bit interrupt or trap gate
 * (gate_lookup).  From guest ring 3 to a more privileged handler the stack
 * switches to the TSS's ss0:esp0 and the user SS:ESP is pushed first;
 * otherwise the handler runs on the stack as it is.  The answer is
 * DELIVER_OK or the fault the delivery itself raised (SEG_FAULT); on a
 * fault the frame is as it was. */
static uint32_t deliver(struct vcpu *v, struct trapframe *tf, unsigned vector, bool has_error, uint32_t error,
                        bool soft)
{
    struct gfault gf;
    struct gate gt;
    unsigned cpl = tf->cs & 3;
    uint32_t f = gate_lookup(v, vector, cpl, soft, &gt);
    if (f)
        return f;
    if (!scan_entry_preemptible(v, desc_base(gt.d) + gt.offset, gt.d))
        return SEG_FAULT(13, 0);
    unsigned type = gt.type, new_cpl = gt.new_cpl;
    uint16_t sel = gt.sel;
    uint32_t offset = gt.offset;
    uint32_t eflags = vcpu_guest_eflags(v, tf);
    uint16_t cs_seen = vcpu_guest_sel(v, (uint16_t)tf->cs);
    if (cpl != 3)
        cs_seen &= ~3;                               /* the guest thinks it is in ring 0 */
    uint16_t ss = (uint16_t)tf->ss;
    uint64_t dss = vcpu_descriptor(v, ss);
    uint32_t esp = (uint32_t)tf->rsp;
    bool outer = new_cpl < cpl;
    if (outer) {
        if ((f = vcpu_tss_stack(v, &ss, &dss, &esp)))
            return f;
        if (!stack_push(v, dss, &esp, vcpu_guest_sel(v, (uint16_t)tf->ss), 4, false, &gf) ||
            !stack_push(v, dss, &esp, (uint32_t)tf->rsp, 4, false, &gf))
            return delivery_fault(v, &gf);
    }
    bool user = new_cpl == 3;
    if (!stack_push(v, dss, &esp, eflags, 4, user, &gf) || !stack_push(v, dss, &esp, cs_seen, 4, user, &gf) ||
        !stack_push(v, dss, &esp, (uint32_t)tf->rip, 4, user, &gf) ||
        (has_error && !stack_push(v, dss, &esp, error, 4, user, &gf)))
        return delivery_fault(v, &gf);
    tf->ss = ss;
    if (outer && new_cpl != 3)
        blocks_ss_loaded(v, dss);                    /* (the TSS's ss0: its flags words are reached through SS) */
    tf->rsp = esp;
    tf->rip = offset;
    tf->cs = sel;
    blocks_cs_landed(v, gt.d);                       /* (a handler in code run flat, entered otherwise) */
    tf->rflags &= ~(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF);
    if (type == 0xe) {
        v->vif = false;
        v->vif_writes++;
    }
    return DELIVER_OK;
}

/* "#GP(0x1a)", "#PF(cr2 0x1234)": a fault a delivery raised, for the sentence that ends the guest */
static const char *fault_name(struct vcpu *v, uint32_t f, char *buf, size_t n)
{
    unsigned vec = seg_fault_vector(f);
    static const char *const names[] = { [8] = "#DF", [10] = "#TS", [11] = "#NP", [12] = "#SS", [13] = "#GP",
                                         [14] = "#PF" };
    const char *name = vec < sizeof names / sizeof *names ? names[vec] : NULL;
    if (vec == 14)
        snprintf(buf, n, "#PF(cr2 0x%x)", v->cr2);
    else if (name)
        snprintf(buf, n, "%s(0x%x)", name, seg_fault_error(f));
    else
        snprintf(buf, n, "vector %u", vec);
    return buf;
}

/* f1: the fault delivering the vector raised; f2: the one delivering the
 * double fault raised, if another (0: none, or not known) */
void vcpu_triple_fault(struct vcpu *v, struct trapframe *tf, unsigned vector, uint32_t f1, uint32_t f2,
                       const char *how)
{
    char why[192], a[32], b[32], chain[96] = "";
    if (f1 && f2)
        snprintf(chain, sizeof chain, " (delivering it raised %s, the double fault %s)",
                 fault_name(v, f1, a, sizeof a), fault_name(v, f2, b, sizeof b));
    else if (f1)
        snprintf(chain, sizeof chain, " (delivering it raised %s)", fault_name(v, f1, a, sizeof a));
    snprintf(why, sizeof why, "triple fault: vector %u at eip 0x%lx could not be delivered%s%s", vector, tf->rip,
             chain, how);
    guest_end(v->guest, GUEST_DEAD, -1, why);
}

/* A fault f while delivering `first`, as a CPU handles it: delivered in
 * turn if first was benign; a double fault if first was contributory or a
 * page fault, or if the fault's own delivery fails; a fault while
 * delivering that is a triple fault, which stops the guest. */
static void escalate(struct vcpu *v, struct trapframe *tf, unsigned first, uint32_t f)
{
    unsigned vector = first;
    uint32_t f1 = f;
    if (f == DELIVER_STOPPED)
        return;
    if (first != 8 && !contributory(first) && first != 14) {
        vector = seg_fault_vector(f);
        if ((f = deliver(v, tf, vector, true, seg_fault_error(f), false)) == DELIVER_OK || f == DELIVER_STOPPED)
            return;
    }
    if (vector != 8 && ((f = deliver(v, tf, 8, true, 0, false)) == DELIVER_OK || f == DELIVER_STOPPED))
        return;
    vcpu_triple_fault(v, tf, first, f1, f == f1 ? 0 : f, "");
}

void vcpu_reflect(struct vcpu *v, struct trapframe *tf, unsigned vector, bool has_error, uint32_t error)
{
    if (blocks_arena(&v->guest->blocks, tf->rip))
        blocks_fault(v, tf);                         /* a fault in a patch block is its instruction's */
    uint32_t f = deliver(v, tf, vector, has_error, error, false);
    if (f != DELIVER_OK)
        escalate(v, tf, vector, f);
}

bool vcpu_deliver(struct vcpu *v, struct trapframe *tf, unsigned vector, bool has_error, uint32_t error)
{
    return deliver(v, tf, vector, has_error, error, false) == DELIVER_OK;
}



/* The return address is past the instruction; a fault in the delivery is
 * the instruction's own, reported at it. */
void vcpu_soft_int(struct vcpu *v, struct trapframe *tf, unsigned vector, unsigned length)
{
    tf->rip += length;
    uint32_t f = deliver(v, tf, vector, false, 0, true);
    if (f == DELIVER_OK)
        return;
    tf->rip -= length;
    escalate(v, tf, vector, f);
}

bool vcpu_deliver_pending(struct vcpu *v, struct trapframe *tf)
{
    struct vdevs *d = &v->guest->dev;
    if (!v->vif)
        return false;
    uint64_t now = v->now_hint ? v->now_hint : vdevs_now(v->guest);
    if (!vdevs_may_have_work(d, now))
        return false;                                /* most traps: nothing to do, no lock */
    spin_lock_irq(&d->lock);
    vdevs_advance(d, now);
    int vector = pic_pending(&d->pic) ? pic_ack(&d->pic) : -1;
    vdevs_unlock(d, now);
    if (vector < 0)
        return false;
    v->irqs_delivered++;
    blocks_note_return(v->guest, (uint32_t)tf->rip);   /* (it ran there: an iret block may go back at once) */
    uint32_t f = deliver(v, tf, vector, false, 0, false);   /* (inside a patch block, the frame says so) */
    if (f != DELIVER_OK)
        escalate(v, tf, vector, f);
    return true;
}

/* The host sees the devices' time only at traps and its own ticks, so an
 * interrupt that came due while the guest ran with IF set and no trap is
 * found at the next one.  If that is a port access, the interrupt comes
 * first, as on a PC, where it would have arrived before the access: the
 * access may be the IMR write that masks it (the PIC would then hand out
 * a spurious IRQ 7 or 15, the cascade left in service on the master) or
 * the read that ends a wait for it.  The access runs again after the
 * handler's iret.  Not while the guest or the host single-steps: a step's
 * #DB comes after an instruction, not before it. */
bool vcpu_deliver_due(struct vcpu *v, struct trapframe *tf)
{
    struct guest *g = v->guest;
    if (!v->vif || (tf->rflags & EFLAGS_TF) || g->host_stepping || g->codepages.stepping || g->rom.stepping)
        return false;
    return vcpu_deliver_pending(v, tf);
}

/* An interrupt the guest's clear IF holds back, armed for the next popf
 * or iret block that sets IF to deliver without a trap (host/vmm/blocks.h):
 * from the guest's ring 0 to a handler in the CS it runs in now, through a
 * gate checked as a delivery checks it, to a handler already scanned (the
 * first delivery through a gate is the emulator's, which scans it: arming
 * allocates nothing, and a guest that spins with IF clear costs no scan). */
void vcpu_arm_pending(struct vcpu *v, struct trapframe *tf)
{
    struct guest *g = v->guest;
    struct vdevs *d = &g->dev;
    if (v->vif || !blocks_may_arm(&g->blocks) || (tf->cs & 3) != 1)
        return;
    uint64_t now = v->now_hint ? v->now_hint : vdevs_now(g);
    if (!vdevs_may_have_work(d, now))
        return;
    spin_lock_irq(&d->lock);
    vdevs_advance(d, now);
    int irq = pic_peek(&d->pic), vector = irq >= 0 ? pic_vector(&d->pic, irq) : -1;
    struct pic after = d->pic;
    if (irq >= 0)
        pic_ack_irq(&after, irq);
    bool more = irq >= 0 && pic_pending(&after);
    struct pic_forecast eoi = pic_forecast(&after);
    vdevs_unlock(d, now);
    struct gate gt;
    uint32_t handler;
    if (irq < 0 || gate_lookup(v, (unsigned)vector, 1, false, &gt) != DELIVER_OK || gt.sel != (uint16_t)tf->cs ||
        desc_base(gt.d) || !gmem_phys_peek(v, gt.offset, &handler) || !scan_seen(g, handler))
        return;                                      /* the emulator's, at the popf or iret, as before */
    if (now >= d->hint_due)                          /* a timer comes due: whatever the EOI */
        more = eoi.master = eoi.slave = eoi.both = true;
    uint16_t cs_seen = vcpu_guest_sel(v, (uint16_t)tf->cs) & ~3;
    blocks_arm(g, irq, (uint16_t)tf->cs, cs_seen, gt.offset, gt.type == 0xf ? EFLAGS_IF : 0, more, eoi);
}

/* A block delivered the armed irq: its INTA, as the CPU would have made it. */
void vcpu_armed_taken(struct vcpu *v, int irq)
{
    struct vdevs *d = &v->guest->dev;
    uint64_t now = vdevs_now(v->guest);
    spin_lock_irq(&d->lock);
    pic_ack_irq(&d->pic, irq);
    vdevs_unlock(d, now);
    v->irqs_delivered++;
    v->vif_writes++;
}
