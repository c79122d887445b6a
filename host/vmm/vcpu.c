/*
 * Running a guest kernel in ring 1.  The guest thread enters through
 * vcpu_enter (an iretq to 32-bit compatibility mode, CPL 1, real IF on,
 * IOPL 0); from then on every trap from ring 1 arrives in trap(), which
 * hands it here.  Before each return to the guest, due virtual timers are
 * advanced and a pending virtual interrupt is delivered through the guest's
 * own IDT if its virtual IF allows.
 */
#include "host/vmm/vcpu.h"
#include "host/vmm/guest.h"
#include "host/vmm/emulate.h"
#include "host/vmm/dreg.h"
#include "kernel/gdt.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/printf.h"
#include "smp/percpu.h"
#include "sched/sched.h"
#include "kernel/vm.h"
#include "kernel/x86.h"
#include "host/vmm/segment.h"
#include "host/vmm/gmem.h"
#include "host/vmm/vcpu_seg.h"
#include "host/vmm/shadow.h"
#include "host/decode/decode.h"
#include "kernel/espfix.h"
#include "host/vmm/codepage.h"
#include "host/vmm/scan.h"

void vcpu_enter(const struct trapframe *tf) __attribute__((noreturn));

/* The guest's frame: always at the top of its thread's kernel stack, where
 * the CPU pushes a trap from ring 1 or 3 (TSS.rsp0). */
static struct trapframe *guest_frame(const struct vcpu *v)
{
    return (struct trapframe *)(v->thread->stack + THREAD_STACK_PAGES * 4096) - 1;
}

void vcpu_init(struct vcpu *v, struct guest *g, uint32_t eip, uint32_t eax, uint32_t ebx)
{
    memset(v, 0, sizeof *v);
    v->guest = g;
    v->cr0 = 0x11;                                   /* PE, ET */
    dreg_reset(v);
    fpu_reset(&v->fpu);
    v->boot.rip = eip;
    v->boot.rax = eax;
    v->boot.rbx = ebx;
    v->boot.rsp = 0x7000;                            /* Multiboot leaves ESP undefined */
    v->boot.rflags = EFLAGS_RESERVED1 | EFLAGS_IF;   /* the real IF; the guest's is vif = 0 */
    vseg_boot(v);
}

void vcpu_clone(struct vcpu *v, const struct vcpu *from, unsigned index, uint32_t eip, uint32_t esp)
{
    memset(v, 0, sizeof *v);
    v->guest = from->guest;
    v->index = index;
    v->cr0 = from->cr0; v->cr3 = from->cr3; v->cr4 = from->cr4;
    v->gdt_base = from->gdt_base; v->gdt_limit = from->gdt_limit;
    v->idt_base = from->idt_base; v->idt_limit = from->idt_limit;
    v->tr = from->tr; v->ldtr = from->ldtr;
    v->tr_base = from->tr_base; v->tr_limit = from->tr_limit;
    v->ldt_base = from->ldt_base; v->ldt_limit = from->ldt_limit;
    v->vif = true;
    dreg_reset(v);                                   /* a CPU just out of INIT-SIPI */
    fpu_reset(&v->fpu);
    v->boot = *from->tf;                             /* its registers */
    v->boot.rip = eip;
    v->boot.rsp = esp;
    v->boot.rflags = EFLAGS_RESERVED1 | EFLAGS_IF;
    vseg_clone(v, from);
}

void vcpu_add_counts(struct vcpu *into, const struct vcpu *v)
{
    for (unsigned k = 0; k < VEXIT_KINDS; k++) into->exits[k] += v->exits[k];
    for (unsigned k = 0; k < 64; k++) into->insn_count[k] += v->insn_count[k];
    into->irqs_delivered += v->irqs_delivered;
    into->halts += v->halts;
    into->io_other += v->io_other;
    for (unsigned k = 0; k < v->nio; k++) {
        unsigned j = 0;
        while (j < into->nio && into->io[j].port != v->io[k].port) j++;
        if (j == into->nio && into->nio == sizeof into->io / sizeof into->io[0]) {
            into->io_other += v->io[k].in + v->io[k].out;
            continue;
        }
        if (j == into->nio) into->io[into->nio++].port = v->io[k].port;
        into->io[j].in += v->io[k].in;
        into->io[j].out += v->io[k].out;
    }
}

static const struct thread_hooks vcpu_hooks;

struct vcpu *vcpu_current(void)
{
    struct thread *t = current_thread();
    return t->hooks == &vcpu_hooks ? t->ext : 0;
}

void vcpu_switch_out(struct vcpu *v)
{
    gkl_pause(&v->guest->gkl, v);
    fpu_switch_out(&v->fpu);
    if (!v->entered)
        return;
    vseg_save(v, guest_frame(v));
}

void vcpu_switch_in(struct vcpu *v)
{
    gkl_resume(&v->guest->gkl, v);
    if (gkl_held_by(&v->guest->gkl, v))
        codepage_tlb_check(v->guest);               /* on another CPU than before, maybe */
    fpu_switch_in(&v->fpu);
    if (v->entered)
        vseg_restore(v, this_cpu(), guest_frame(v));
}

/* A vCPU thread's hooks (sched/thread.h): the scheduler and the trap path
 * call them without naming the hypervisor. */
static void hook_switch_out(void *v) { vcpu_switch_out(v); }
static void hook_switch_in(void *v) { vcpu_switch_in(v); }
static bool hook_preemptible(void *v) { (void)v; return vcpu_preemptible(); }
static const struct thread_hooks vcpu_hooks = { hook_switch_out, hook_switch_in, hook_preemptible };

uint64_t *vcpu_gpr(struct trapframe *tf, unsigned reg)
{
    switch (reg) {
    case 0: return &tf->rax;
    case 1: return &tf->rcx;
    case 2: return &tf->rdx;
    case 3: return &tf->rbx;
    case 4: return &tf->rsp;
    case 5: return &tf->rbp;
    case 6: return &tf->rsi;
    default: return &tf->rdi;
    }
}

void vcpu_run(struct vcpu *v)
{
    thread_set_hooks(&vcpu_hooks, v);
    v->thread = current_thread();
    vcpu_lock(v);
    if (!shadow_enter(v))                            /* paging on (a clone of a paging vCPU): its own shadow */
        vcpu_exit(v);
    cli();                                           /* vcpu_enter's iretq turns them back on */
    vseg_restore(v, this_cpu(), &v->boot);
    v->entered = true;
    if (!vcpu_return_check(v, &v->boot))
        vcpu_exit(v);
    vcpu_enter(&v->boot);
}

void vcpu_lock(struct vcpu *v)
{
    struct guest *g = v->guest;
    gkl_acquire(&g->gkl, v);
    codepage_tlb_check(g);                           /* another vCPU may have changed a code page's mapping */
    /* the clock as the lock was taken: time away does not count as
     * spinning, and this trap's interrupt check needs no clock read of its own */
    v->now_hint = g->gkl.since - g->start_ns;
    if (v->shadow)
        shadow_sync(v);                              /* shadow_flush_guest asked while we were out */
    if (g->lock_hooks)
        guest_hooks->lock_taken(g, v);                    /* the guest's current thread is the holder's, say */
}

#define PREEMPT_DEFER_TICKS 2

bool vcpu_preemptible(void)
{
    struct vcpu *v = vcpu_current();
    if (!v || v->guest->nvcpus < 2 || !gkl_held_by(&v->guest->gkl, v))
        return true;
    if (v->preempt_deferred++ < PREEMPT_DEFER_TICKS)
        return false;
    v->preempt_deferred = 0;
    return true;
}

void vcpu_unlock(struct vcpu *v)
{
    struct guest *g = v->guest;
    gkl_release(&g->gkl, v);
    if (g->lock_hooks)
        guest_hooks->lock_released(g);                    /* someone must take a pending interrupt, say */
    if (v->preempt_deferred) {                       /* the preemption it was spared, now */
        v->preempt_deferred = 0;
        if ((this_cpu()->hazard & HAZARD_RESCHED) && !this_cpu()->preempt)
            sched_preempt();
    }
}

void vcpu_exit(struct vcpu *v)
{
    struct guest *g = v->guest;
    if (gkl_held_by(&g->gkl, v))
        vcpu_unlock(v);
    shadow_release(v);                               /* back on the kernel's tables first */
    struct thread *t = current_thread();
    pushcli();                                       /* no switch hook between its clts and its fxsave */
    fpu_switch_out(&v->fpu);                         /* its state leaves the CPU with it */
    popcli();
    thread_set_hooks(0, 0);
    v->exited = true;
    int status = g->exit_status;
    if (__atomic_sub_fetch(&g->live_vcpus, 1, __ATOMIC_ACQ_REL) == 0)
        guest_release(g);                            /* the last one out */
    else {
        pushcli();
        t->cr3 = 0;
        write_cr3(vm_kernel_root());
        popcli();
    }
    thread_exit(status);
}

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

/* The EFLAGS the guest believes in: its own arithmetic and control flags,
 * its own IF, IOPL 0; nothing of the host's (RF, VM, VIF, VIP). */
uint32_t vcpu_guest_eflags(struct vcpu *v, struct trapframe *tf)
{
    uint32_t f = ((uint32_t)tf->rflags & EFLAGS_GUEST_MASK) | EFLAGS_RESERVED1 | (v->vif ? EFLAGS_IF : 0);
    const struct guest *g = v->guest;
    if (g->host_stepping)                            /* the host's TF while it steps a fall-through */
        f = (f & ~EFLAGS_TF) | (g->host_stepping_guest_tf ? EFLAGS_TF : 0);
    return f;
}

/* The first arrival at a handler scans it, which may take long: with
 * host interrupts on where the trap allows (no spinlock held here). */
static bool scan_entry_preemptible(struct vcpu *v, uint32_t offset)
{
    bool irqs = irq_window_open();
    bool ok = codepage_entry_point(v, offset);
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
    if (!scan_entry_preemptible(v, desc_base(gt.d) + gt.offset))
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
    tf->rsp = esp;
    tf->rip = offset;
    tf->cs = sel;
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
static void triple_fault(struct vcpu *v, struct trapframe *tf, unsigned vector, uint32_t f1, uint32_t f2,
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
    triple_fault(v, tf, first, f1, f == f1 ? 0 : f, "");
}

void vcpu_reflect(struct vcpu *v, struct trapframe *tf, unsigned vector, bool has_error, uint32_t error)
{
    if (blocks_owns(&v->guest->blocks, tf->rip))
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

/* Where the guest's next instruction is: EIP through CS's base. */
uint32_t vcpu_linear_ip(const struct vcpu *v, const struct trapframe *tf)
{
    return desc_base(vcpu_descriptor(v, (uint16_t)tf->cs)) + (uint32_t)tf->rip;
}

/* The flags a guest may hold in ring 1 or 3: its own arithmetic and
 * control flags, the real IF always on, IOPL 0, no VM, VIF or VIP. */
#define RETURN_FLAGS (EFLAGS_GUEST_MASK | EFLAGS_RF)

/* The last word before the host's iretq to a guest: what the iretq will
 * load is checked here, with the same rule the CPU applies, so the iretq
 * cannot fault; EIP beyond the CS limit becomes #GP(0) in the guest, as
 * the CPU would raise it.  False if the guest was stopped instead. */
bool vcpu_return_check(struct vcpu *v, struct trapframe *tf)
{
    for (unsigned tries = 0; v->guest->state == GUEST_RUNNING; tries++) {
        uint16_t cs = (uint16_t)tf->cs, ss = (uint16_t)tf->ss;
        unsigned cpl = cs & 3;
        uint64_t dcs = vcpu_descriptor(v, cs), dss = vcpu_descriptor(v, ss);
        const char *bad = 0;
        uint16_t sel = 0;
        if (seg_check(cs, dcs, SEG_USE_CS_RET, cpl)) {
            bad = seg_why(cs, dcs, SEG_USE_CS_RET, cpl);
            sel = cs;
        } else if (seg_check(ss, dss, SEG_USE_SS, cpl)) {
            bad = seg_why(ss, dss, SEG_USE_SS, cpl);
            sel = ss;
        }
        if (bad) {
            char why[128];
            snprintf(why, sizeof why, "cannot return to the guest at eip 0x%lx: selector 0x%x %s", tf->rip,
                     vcpu_guest_sel(v, sel), bad);
            guest_end(v->guest, GUEST_DEAD, -1, why);
            return false;
        }
        if ((uint32_t)tf->rip > desc_limit(dcs) || tf->rip >> 32) {
            if (tries < 2) {
                vcpu_reflect(v, tf, 13, true, 0);
                continue;
            }
            triple_fault(v, tf, 13, 0, 0, " (eip beyond the CS limit)");
            return false;
        }
        tf->rflags = (tf->rflags & RETURN_FLAGS) | EFLAGS_IF | EFLAGS_RESERVED1;
        tf->rsp = (uint32_t)tf->rsp;
        espfix_prepare(this_cpu(), !(dss & DESC_DB), (uint32_t)tf->rsp);
        blocks_vif_out(v, (uint16_t)tf->cs);         /* the virtual IF where the patch blocks find it */
        return true;
    }
    return false;
}

/* kernel/vectors.asm: the host's iretq to this guest faulted all the same.
 * The guest is stopped with what the CPU said; the host goes on. */
void vcpu_return_failed(uint64_t vector, uint64_t error, const uint64_t *frame)
{
    struct vcpu *v = vcpu_current();
    char why[128];
    snprintf(why, sizeof why, "the host's return to it faulted (vector %lu, error 0x%lx): eip 0x%lx cs 0x%lx ss 0x%lx",
             vector, error, frame[0], frame[1], frame[4]);
    guest_end(v->guest, GUEST_DEAD, -1, why);
    vcpu_exit(v);
}

static void deliver_pending(struct vcpu *v, struct trapframe *tf)
{
    struct vdevs *d = &v->guest->dev;
    if (!v->vif)
        return;
    uint64_t now = v->now_hint ? v->now_hint : vdevs_now(v->guest);
    if (!vdevs_may_have_work(d, now))
        return;                                      /* most traps: nothing to do, no lock */
    spin_lock_irq(&d->lock);
    vdevs_advance(d, now);
    int vector = pic_pending(&d->pic) ? pic_ack(&d->pic) : -1;
    vdevs_unlock(d, now);
    if (vector < 0)
        return;
    v->irqs_delivered++;
    blocks_note_return(v->guest, (uint32_t)tf->rip);   /* (it ran there: an iret block may go back at once) */
    uint32_t f = deliver(v, tf, vector, false, 0, false);   /* (inside a patch block, the frame says so) */
    if (f != DELIVER_OK)
        escalate(v, tf, vector, f);
}

/* An interrupt the guest's clear IF holds back, armed for the next popf
 * or iret block that sets IF to deliver without a trap (host/vmm/blocks.h):
 * from the guest's ring 0 to a handler in the CS it runs in now, through a
 * gate checked as a delivery checks it, to a handler already scanned (the
 * first delivery through a gate is the emulator's, which scans it: arming
 * allocates nothing, and a guest that spins with IF clear costs no scan). */
static void arm_pending(struct vcpu *v, struct trapframe *tf)
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
    if (irq < 0 || gate_lookup(v, (unsigned)vector, 1, false, &gt) != DELIVER_OK || gt.sel != (uint16_t)tf->cs ||
        desc_base(gt.d) || !scan_seen(g, gt.offset))
        return;                                      /* the emulator's, at the popf or iret, as before */
    if (now >= d->hint_due)                          /* a timer comes due: whatever the EOI */
        more = eoi.master = eoi.slave = eoi.both = true;
    uint16_t cs_seen = vcpu_guest_sel(v, (uint16_t)tf->cs) & ~3;
    blocks_arm(g, irq, (uint16_t)tf->cs, cs_seen, gt.offset, gt.type == 0xf ? EFLAGS_IF : 0, more, eoi);
}

/* A block delivered the armed irq: its INTA, as the CPU would have made it. */
static void armed_taken(struct vcpu *v, int irq)
{
    struct vdevs *d = &v->guest->dev;
    uint64_t now = vdevs_now(v->guest);
    spin_lock_irq(&d->lock);
    pic_ack_irq(&d->pic, irq);
    vdevs_unlock(d, now);
    v->irqs_delivered++;
    v->vif_writes++;
}

/* hlt with interrupts enabled: give the CPU away until the next virtual
 * interrupt is due (or something else raises one). */
void vcpu_wait_interrupt(struct vcpu *v, volatile int *kick)
{
    struct guest *g = v->guest;
    struct vdevs *d = &g->dev;
    vcpu_unlock(v);
    while (g->state == GUEST_RUNNING && !(guest_hooks->request_ready && guest_hooks->request_ready(g))) {
        uint64_t now = vdevs_now(g);
        spin_lock_irq(&d->lock);
        vdevs_advance(d, now);
        bool pending = pic_pending(&d->pic);
        uint64_t next = vdevs_next_event(d, now);
        vdevs_unlock(d, now);
        if (pending)
            break;
        uint64_t wait = next > now ? next - now : 1000000ull;
        if (wait > 100000000ull)
            wait = 100000000ull;                     /* look around every 100 ms at most */
        if (kick) {
            thread_nap_ns(wait, kick);
            __atomic_store_n(kick, 0, __ATOMIC_RELEASE);
        } else {
            thread_sleep_ns(wait);
        }
    }
    vcpu_lock(v);
}

/* hlt with the virtual IF clear: on a PC only an NMI, SMI or INIT could
 * wake that CPU, and the virtual PC raises none of them, so it would sleep
 * for ever.  That, not running with IF clear (polled-mode kernels, boot
 * code and games do it for ever, polling the PIT and the keyboard), is
 * what stops a guest. */
void vcpu_halt(struct vcpu *v)
{
    v->halts++;
    if (!v->vif) {
        char why[112];
        snprintf(why, sizeof why, "halted with interrupts disabled (cli; hlt) at eip 0x%lx: "
                 "nothing can wake it (no NMI)", v->tf ? v->tf->rip - 1 : 0);
        guest_end(v->guest, GUEST_DEAD, -1, why);
        return;
    }
    vcpu_wait_interrupt(v, 0);
}

void vcpu_trap(struct trapframe *tf, bool host_irq)
{
    struct vcpu *v = vcpu_current();
    if (!v)
        panic("trap from ring %lu with no guest on this thread", tf->cs & 3);
    if (!gkl_held_by(&v->guest->gkl, v))
        panic("vCPU %u of guest %s ran guest code without the guest kernel lock", v->index, v->guest->name);
    v->tf = tf;
    v->now_hint = 0;                                 /* only a lock taken in this trap gives one */
    int taken = blocks_vif_in(v);                    /* the virtual IF the patch blocks kept */
    if (taken >= 0)
        armed_taken(v, taken);                       /* (and an interrupt one delivered) */
    blocks_replay(v->guest);                         /* (then the port writes they logged: its EOI) */
    /* the host's step over a write to a code page ends at any trap; its own #DB is all the trap is */
    bool stepped = v->guest->codepages.stepping && codepage_step_trap(v, tf);
    /* and the host's step over a write to the ROM (host/vmm/rom.h), the same way */
    stepped = (v->guest->rom.stepping && rom_step_trap(v, tf)) || stepped;
    struct cpu *c = this_cpu();
    if (vseg_mirror_stale(v, c))
        vseg_remirror(v, c, tf);                          /* another vCPU loaded a new GDT */
    if (v->reload_failed)
        guest_end(v->guest, GUEST_DEAD, -1, "a segment register of its could not be reloaded when it was switched in");
    if (guest_hooks->sample) {
        uint32_t in_block = blocks_original(v->guest, (uint32_t)tf->rip);   /* the guest's own code it stands for */
        guest_hooks->sample(v->guest, in_block ? in_block : (uint32_t)tf->rip, (uint32_t)tf->rsp, !host_irq);
    }
    if (host_irq) {
        v->exits[VEXIT_HOST_IRQ]++;             /* a guest with IF clear runs on: only cli; hlt stops it */
    } else if (v->guest->state == GUEST_RUNNING && !stepped)
        emulate_trap(v, tf);
    if (v->guest->state == GUEST_RUNNING && !v->guest->host_stepping && !v->guest->codepages.stepping &&
        !v->guest->rom.stepping) {
        if (__atomic_load_n(&v->guest->wants_safe_points, __ATOMIC_ACQUIRE))
            guest_hooks->safe_point(v->guest);       /* no guest instruction runs now */
        deliver_pending(v, tf);                      /* (not inside a single step) */
        arm_pending(v, tf);                          /* (or for a block to deliver) */
    }
    if ((tf->rflags & EFLAGS_TF) && blocks_owns(&v->guest->blocks, tf->rip) && !v->guest->host_stepping &&
        !v->guest->codepages.stepping && !v->guest->rom.stepping)
        blocks_leave_stepping(v, tf);                /* its own step would stop inside a patch block */
    pushcli();
    c = this_cpu();
    if (v->guest->state == GUEST_RUNNING && vseg_mirror_stale(v, c))
        vseg_remirror(v, c, tf);                          /* another vCPU loaded a new GDT meanwhile */
    popcli();
    if (!vcpu_return_check(v, tf))
        vcpu_exit(v);                                /* the guest thread ends here */
}
