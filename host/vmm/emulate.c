/*
 * Trap-and-emulate.  A guest kernel in ring 1 with IOPL 0 faults (#GP) on
 * cli, sti, hlt, in/out, lgdt/lidt/ltr, mov to/from CRn and DRn, clts,
 * lmsw, rdmsr/wrmsr, loads of SS with its ring-0 selectors, and (with
 * UMIP) sgdt/sidt/sldt/str/smsw.  pushf, popf, iret and cpuid do not
 * fault: the scanner replaced them in the loaded copy
 * (host/vmm/scan.c) by hlt, which faults with #GP(0) in ring 1; the side
 * table of trap sites (host/vmm/sites.h) tells a patch from a real hlt, and
 * from a peel site or a claimed address.  int n reaches a DPL-0 host gate
 * and faults with #GP(IDT); it is reflected through the guest's own IDT.
 * Each trap is classified once (classify) and served by its class (the
 * switch in emulate_trap); port accesses go to host/vmm/vdevs.c.
 */
#include "host/vmm/emulate.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/guest.h"
#include "host/decode/decode.h"
#include "host/vmm/segment.h"
#include "host/vmm/vcpu_model.h"
#include "host/vmm/dreg.h"
#include "kernel/printf.h"
#include "kernel/x86.h"
#include "smp/percpu.h"

static void fail(struct vcpu *v, struct trapframe *tf, const char *what)
{
    char why[120];
    snprintf(why, sizeof why, "%s at eip 0x%lx", what, tf->rip);
    guest_end(v->guest, GUEST_DEAD, -1, why);
}

static uint16_t read_sreg(unsigned seg, struct trapframe *tf)
{
    uint16_t s = 0;
    switch (seg) {                              /* still the guest's: the host never reloads them */
    case SEG_ES: __asm__ volatile("mov %%es, %0" : "=r"(s)); break;
    case SEG_CS: s = tf->cs; break;
    case SEG_SS: s = tf->ss; break;
    case SEG_DS: __asm__ volatile("mov %%ds, %0" : "=r"(s)); break;
    case SEG_FS: __asm__ volatile("mov %%fs, %0" : "=r"(s)); break;
    default:     __asm__ volatile("mov %%gs, %0" : "=r"(s)); break;
    }
    return s;
}

static uint32_t seg_base(unsigned seg, struct trapframe *tf)
{
    uint16_t sel = read_sreg(seg, tf);
    uint64_t d = this_cpu()->gdt[sel >> 3];   /* it mirrors this guest's */
    return (uint32_t)((d >> 16 & 0xffffff) | (d >> 56 & 0xff) << 24);
}

static uint32_t effective_address(const struct insn *in, struct trapframe *tf)
{
    uint32_t a = in->mem.disp;
    if (in->mem.base != REG_NONE) a += (uint32_t)*vcpu_gpr(tf, in->mem.base);
    if (in->mem.index != REG_NONE) a += (uint32_t)*vcpu_gpr(tf, in->mem.index) * in->mem.scale;
    if (in->addr_size == 16) a &= 0xffff;
    return seg_base(in->mem.seg, tf) + a;
}

static void set_reg(struct trapframe *tf, unsigned reg, unsigned size, uint32_t val)
{
    uint64_t *r = vcpu_gpr(tf, reg);
    if (size == 4) *r = val;
    else if (size == 2) *r = (*r & ~0xfffful) | (val & 0xffff);
    else *r = (*r & ~0xfful) | (val & 0xff);
}

static void set_flags(struct vcpu *v, struct trapframe *tf, uint32_t eflags, uint32_t mask)
{
    tf->rflags = (tf->rflags & ~(uint64_t)mask) | (eflags & mask) | EFLAGS_IF;
    v->vif = eflags & EFLAGS_IF;
    v->vif_writes++;
}

static void count_io(struct vcpu *v, uint16_t port, bool is_in, uint64_t n)
{
    unsigned i = 0;
    while (i < v->nio && v->io[i].port != port) i++;
    if (i == v->nio) {
        if (v->nio == sizeof v->io / sizeof v->io[0]) { v->io_other += n; return; }
        v->io[v->nio++].port = port;
    }
    if (is_in) v->io[i].in += n; else v->io[i].out += n;
}

/* One in or out: a single device access, bounded by the device model. */
static void io(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    unsigned size = in->opcode & 1 ? in->op_size / 8 : 1;
    uint16_t port = (in->opcode & 0xf8) == 0xe0 ? (uint16_t)in->imm : (uint16_t)tf->rdx;
    count_io(v, port, in->cls == INSN_IN, 1);
    if (in->cls == INSN_IN)
        set_reg(tf, REG_AX, size, vdevs_in(v->guest, port, size));
    else
        vdevs_out(v->guest, port, size, (uint32_t)tf->rax);
}

/* Elements a rep ins/outs moves per trap.  The whole trap runs with host
 * interrupts off (the host's gates are interrupt gates), and an element
 * costs 70 to 300 ns under TCG (a 48 MiB rep insb held a CPU 3.4 s when the
 * count ran whole): 512 of them take some 40 to 150 us, and are still a
 * whole ATA sector at any element size, so a disk driver's rep insw stays
 * one trap.  A chunk also ends at an element that completed a console line,
 * which alone costs the host ~0.4 ms: one line per trap, as for `out`
 * (vdevs_ins and vdevs_outs stop there). */
#define STRING_IO_CHUNK 512u

/* ins/outs.  A rep moves at most STRING_IO_CHUNK elements (one while the
 * guest single-steps, which traps after each iteration) and, if more are
 * left, returns false with EIP still on the instruction and ECX, ESI/EDI
 * advanced, as a CPU leaves a rep string instruction an interrupt cuts
 * short: the guest executes it again, and the host's timer and IPIs get in
 * between.  DF=1 runs the buffer downward.  With 16-bit addressing the
 * count and pointer are CX and SI/DI, and a chunk stops where the pointer
 * wraps at 64 KiB. */
static bool string_io(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    unsigned size = in->opcode & 1 ? in->op_size / 8 : 1;
    bool rep = in->prefixes & (PFX_REP | PFX_REPNE), is_in = in->cls == INSN_INS, down = tf->rflags & EFLAGS_DF;
    uint32_t mask = in->addr_size == 16 ? 0xffffu : 0xffffffffu;
    uint64_t *ptr_reg = is_in ? &tf->rdi : &tf->rsi;
    uint32_t ptr = (uint32_t)*ptr_reg & mask, left = rep ? (uint32_t)tf->rcx & mask : 1;
    uint32_t n = left < STRING_IO_CHUNK ? left : STRING_IO_CHUNK;
    if ((tf->rflags & EFLAGS_TF) && n)
        n = 1;
    if (mask == 0xffff) {
        uint32_t room = down ? ptr / size + 1 : (0x10000 - ptr + size - 1) / size;
        n = n < room ? n : room;
    }
    /* element i lies at ptr + i * size, or ptr - i * size: the lowest of them */
    uint64_t span = (uint64_t)n * size, low = down ? (uint64_t)ptr + size - span : ptr;
    uint32_t base = is_in ? seg_base(SEG_ES, tf) : seg_base(in->mem.seg, tf);
    uint8_t *buf = n && low <= mask ? guest_ptr(v->guest, (uint32_t)(base + low), span) : 0;
    if (n && !buf) { fail(v, tf, "string I/O outside guest memory"); return true; }
    uint16_t port = (uint16_t)tf->rdx;
    uint32_t done = is_in ? vdevs_ins(v->guest, port, size, buf, n, down) : vdevs_outs(v->guest, port, size, buf, n, down);
    count_io(v, port, is_in, done);
    uint32_t moved = down ? ptr - done * size : ptr + done * size;
    *ptr_reg = ((uint32_t)*ptr_reg & ~mask) | (moved & mask);
    if (rep)
        tf->rcx = ((uint32_t)tf->rcx & ~mask) | ((left - done) & mask);
    return !rep || left == done;
}

static void descriptor_table(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t ea = effective_address(in, tf);
    uint8_t *m = guest_ptr(v->guest, ea, 6);
    if (!m) { fail(v, tf, "descriptor-table operand outside guest memory"); return; }
    uint16_t *limit = in->cls == INSN_LGDT || in->cls == INSN_SGDT ? &v->gdt_limit : &v->idt_limit;
    uint32_t *base = in->cls == INSN_LGDT || in->cls == INSN_SGDT ? &v->gdt_base : &v->idt_base;
    if (in->cls == INSN_LGDT || in->cls == INSN_LIDT) {
        *limit = m[0] | m[1] << 8;
        *base = m[2] | m[3] << 8 | m[4] << 16 | (in->op_size == 32 ? (uint32_t)m[5] << 24 : 0);
        if (in->cls == INSN_LGDT)
            vcpu_mirror_gdt(v);
    } else {
        m[0] = *limit; m[1] = *limit >> 8;
        m[2] = *base; m[3] = *base >> 8; m[4] = *base >> 16; m[5] = *base >> 24;
    }
}

/* false if it raised #UD (CR1, CR5 and up): EIP is the handler's then */
static bool control_register(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t *cr[] = { &v->cr0, 0, &v->cr2, &v->cr3, &v->cr4 };
    if (in->reg > 4 || !cr[in->reg]) { vcpu_reflect(v, tf, 6, false, 0); return false; }
    if (in->cls == INSN_MOV_FROM_CR) {
        *vcpu_gpr(tf, in->rm) = *cr[in->reg];
        return true;
    }
    uint32_t val = (uint32_t)*vcpu_gpr(tf, in->rm);
    if (in->reg == 0 && (val & 0x80000000u)) {
        fail(v, tf, "the guest turned paging on: paging guests are not supported yet");
        return true;
    }
    *cr[in->reg] = val;
    if (in->reg == 0)
        fpu_cr0_written(v);                    /* its TS and EM decide the next #NM */
    return true;
}

static void lmsw(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    const uint16_t *m = in->has_mem ? guest_ptr(v->guest, effective_address(in, tf), 2) : 0;
    if (in->has_mem && !m) { fail(v, tf, "lmsw operand outside guest memory"); return; }
    model_lmsw(v, m ? *m : (uint16_t)*vcpu_gpr(tf, in->rm));
}

/* A selector the guest loads into SS (mov, pop): checked as a CPU checks
 * it; a refusal is the CPU's fault, raised at the instruction with the
 * stack as it was.  False if it faulted. */
static bool load_ss(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t sel;
    uint64_t rsp = tf->rsp;
    uint32_t offset = 0;
    bool lss = in->map == MAP_0F && in->opcode == 0xb2;    /* lss r, m16:16/32 */
    if (in->cls == INSN_POP) {
        if (!vcpu_pop(v, tf, &sel, in->op_size / 8)) { fail(v, tf, "pop ss outside guest memory"); return false; }
    } else if (lss) {
        unsigned size = in->op_size / 8;
        const uint8_t *m = guest_ptr(v->guest, effective_address(in, tf), size + 2);
        if (!m) { fail(v, tf, "lss operand outside guest memory"); return false; }
        offset = size == 4 ? *(const uint32_t *)m : *(const uint16_t *)m;
        sel = *(const uint16_t *)(m + size);
    } else if (in->has_mem) {
        uint16_t *m = guest_ptr(v->guest, effective_address(in, tf), 2);
        if (!m) { fail(v, tf, "mov ss operand outside guest memory"); return false; }
        sel = *m;
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
    if (lss)
        set_reg(tf, in->reg, in->op_size / 8, offset);
    return true;
}

/* A return to a code selector the guest loaded (iret, retf), at its own
 * privilege: the CPU's checks, the CPU's fault, the stack as it was. */
static bool return_to(struct vcpu *v, struct trapframe *tf, uint16_t cs, uint32_t eip, uint64_t rsp)
{
    uint16_t s = seg_compress(cs);
    uint64_t d = vcpu_descriptor(v, s);
    uint32_t f = seg_check(s, d, SEG_USE_CS_RET, 1);
    if (!f && eip > desc_limit(d))
        f = SEG_FAULT(13, 0);
    if (f) {
        tf->rsp = rsp;
        vcpu_reflect(v, tf, seg_fault_vector(f), true, seg_fault_error(f));
        return false;
    }
    tf->rip = eip;
    tf->cs = s;
    return true;
}

/* How an emulation ended.  A single-step trap follows an instruction (or
 * one iteration of a rep) that was carried out, never one that raised a
 * fault of its own.  EMULATED is true: a bool return means it too. */
enum emulated { NOT_OURS, EMULATED, FAULTED };

/* retf to the guest's own ring-0 code faults (its RPL 0 is more
 * privileged than ring 1): the same return, made by the host. */
static enum emulated far_return(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t eip, cs, size = in->op_size / 8;
    uint64_t rsp = tf->rsp;
    if (!vcpu_pop(v, tf, &eip, size) || !vcpu_pop(v, tf, &cs, size)) {
        fail(v, tf, "retf frame outside guest memory");
        return FAULTED;
    }
    if ((cs & 3) == 3) {
        tf->rsp = rsp;
        return NOT_OURS;                               /* to ring 3: the CPU's own #GP stands */
    }
    if ((cs & 3) == 2) { fail(v, tf, "retf to ring 2: guest rings 1 and 2 are not supported"); return FAULTED; }
    if (!return_to(v, tf, (uint16_t)cs, eip, rsp))
        return FAULTED;
    tf->rsp = (uint32_t)(tf->rsp + (in->imm_size ? (uint16_t)in->imm : 0));
    return EMULATED;
}

static void store_system(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t val = in->cls == INSN_SMSW ? v->cr0 : in->cls == INSN_STR ? v->tr : v->ldtr;
    if (!in->has_mem) {
        set_reg(tf, in->rm, in->op_size / 8, val);
        return;
    }
    uint16_t *m = guest_ptr(v->guest, effective_address(in, tf), 2);
    if (m) *m = val; else fail(v, tf, "store outside guest memory");
}

/* One privileged instruction. */
static enum emulated emulate(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    switch (in->cls) {
    case INSN_CLI: v->vif = false; v->vif_writes++; break;
    case INSN_STI: v->vif = true; v->vif_writes++; break;
    case INSN_HLT: tf->rip += in->length; vcpu_halt(v); return EMULATED;
    case INSN_IN: case INSN_OUT: io(v, in, tf); break;
    case INSN_INS: case INSN_OUTS:
        if (!string_io(v, in, tf))
            return EMULATED;                   /* more iterations left: it runs again */
        break;
    case INSN_LGDT: case INSN_LIDT: case INSN_SGDT: case INSN_SIDT: descriptor_table(v, in, tf); break;
    case INSN_LTR: v->tr = in->has_mem ? 0 : (uint16_t)*vcpu_gpr(tf, in->rm); break;
    case INSN_LLDT: v->ldtr = in->has_mem ? 0 : (uint16_t)*vcpu_gpr(tf, in->rm); break;
    case INSN_STR: case INSN_SLDT: case INSN_SMSW: store_system(v, in, tf); break;
    case INSN_MOV_TO_CR: case INSN_MOV_FROM_CR:
        if (!control_register(v, in, tf))
            return FAULTED;
        break;
    case INSN_CLTS: model_clts(v); break;
    case INSN_LMSW: lmsw(v, in, tf); break;
    case INSN_MOV_TO_DR: case INSN_MOV_FROM_DR:
        if (!dreg_mov(v, in, tf))
            return FAULTED;
        break;
    case INSN_RDMSR: case INSN_WRMSR:
        if (!model_msr(v, in, tf))
            return FAULTED;
        break;
    case INSN_CPUID: model_cpuid(v, tf); break;     /* patched: it does not fault */
    case INSN_WBINVD: case INSN_INVD: case INSN_INVLPG: break;
    case INSN_MOV_TO_SREG: case INSN_POP:
        if (in->cls == INSN_MOV_TO_SREG ? in->reg != SEG_SS : in->opcode != 0x17) return NOT_OURS;
        if (!load_ss(v, in, tf)) return FAULTED;       /* the guest's handler runs */
        break;
    case INSN_RET_FAR: return far_return(v, in, tf);
    case INSN_OTHER:
        if (in->map != MAP_0F || in->opcode != 0xb2 || !in->has_mem) return NOT_OURS;
        if (!load_ss(v, in, tf)) return FAULTED;       /* lss: its selector's RPL 0 traps too */
        break;
    default: return NOT_OURS;
    }
    tf->rip += in->length;
    return EMULATED;
}

/* A patched pushf/popf/iret: the original bytes are in the side table. */
static enum emulated emulate_patch(struct vcpu *v, struct trapframe *tf, const struct site *p)
{
    struct insn in;
    if (decode(p->orig, p->len, 32, &in) != DECODE_OK)
        return NOT_OURS;
    uint32_t val, size = in.op_size / 8;
    v->insn_count[in.cls & 63]++;
    switch (in.cls) {
    case INSN_PUSHF: {
        if (!vcpu_push(v, tf, vcpu_guest_eflags(v, tf), size)) { fail(v, tf, "pushf outside guest memory"); return EMULATED; }
        tf->rip += in.length;
        return EMULATED;
    }
    case INSN_POPF:
        if (!vcpu_pop(v, tf, &val, size)) { fail(v, tf, "popf outside guest memory"); return EMULATED; }
        set_flags(v, tf, val, size == 4 ? EFLAGS_GUEST_MASK : EFLAGS_GUEST_MASK & 0xffff);
        tf->rip += in.length;
        return EMULATED;
    case INSN_IRET: {
        uint32_t eip, cs, eflags;
        uint64_t rsp = tf->rsp;
        if (!vcpu_pop(v, tf, &eip, size) || !vcpu_pop(v, tf, &cs, size) || !vcpu_pop(v, tf, &eflags, size)) {
            fail(v, tf, "iret frame outside guest memory");
            return FAULTED;
        }
        if (tf->rflags & EFLAGS_NT) { fail(v, tf, "iret with NT set (a task return): task switches are not supported"); return FAULTED; }
        if ((cs & 3) == 3) { fail(v, tf, "iret to ring 3: guest user mode is not supported yet"); return FAULTED; }
        if ((cs & 3) == 2) { fail(v, tf, "iret to ring 2: guest rings 1 and 2 are not supported"); return FAULTED; }
        if (!return_to(v, tf, (uint16_t)cs, eip, rsp))
            return FAULTED;
        set_flags(v, tf, eflags, size == 4 ? EFLAGS_GUEST_MASK : EFLAGS_GUEST_MASK & 0xffff);
        return EMULATED;
    }
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
    if (!v->guest->host_stepping && tf->rip != site)
        single_step(v, tf, step);
}

/* A privileged instruction at EIP, decoded in the mode of the guest's CS:
 * false if it is not one the host emulates (the CPU's own fault stands). */
static bool privileged(struct vcpu *v, struct trapframe *tf, bool step)
{
    uint32_t ip = vcpu_linear_ip(v, tf);
    const uint8_t *code = guest_ptr(v->guest, ip, 1);
    uint64_t avail = code ? v->guest->ram_size - ip : 0;
    struct insn in;
    enum emulated done;
    unsigned mode = vcpu_descriptor(v, (uint16_t)tf->cs) & DESC_DB ? 32 : 16;
    if (!code || decode(code, avail < 15 ? avail : 15, mode, &in) != DECODE_OK || !(done = emulate(v, &in, tf)))
        return false;
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
    fail(v, tf, why);
    return true;
}

/* ---- one trap path ----------------------------------------------------------
 * What a trap from the guest kernel is, decided once, from its vector, its
 * error code and the side table of trap sites at its address (sites.h). */
enum trap_class {
    TRAP_HOST_STEP,       /* #DB while the host single-steps a fall-through's displaced bytes */
    TRAP_CLAIM,           /* #GP(0) at an address a subsystem claimed (site_claim) */
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

static enum trap_class classify(struct vcpu *v, const struct trapframe *tf, unsigned from, struct trap *t)
{
    struct guest *g = v->guest;
    switch (tf->vector) {
    case 1:
        return g->host_stepping ? TRAP_HOST_STEP : TRAP_EXCEPTION;
    case VEC_PEEL_ENTRY: {                             /* int 15 or syscall: EIP is past its 2 bytes */
        const struct site *e = sites_find(&g->sites, vcpu_linear_ip(v, tf) - 2, SITE_PEEL);
        if (e && site_armed(g, e->owner)) {
            t->site = e;
            return TRAP_PEEL;
        }
        return tf->error == ERROR_BY_SYSCALL ? TRAP_GUEST_SYSCALL : TRAP_GUEST_INT15;
    }
    case 13:
        if (tf->error == 0)
            return site_class(g, vcpu_linear_ip(v, tf), from, t);
        if ((tf->error & 3) == 2) {                    /* through a DPL-0 gate: #GP(IDT) */
            const uint8_t *op = guest_ptr(g, vcpu_linear_ip(v, tf), 2);
            if (op && (op[0] == 0xcd || op[0] == 0xcc || op[0] == 0xce)) {
                t->op[0] = op[0];
                t->op[1] = op[1];
                return TRAP_SOFT_INT;
            }
        }
        return tf->error & 2 ? TRAP_EXCEPTION : TRAP_PRIV;
    case 14:
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
    struct trap t;
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
            if (vec == VEC_PEEL_ENTRY)
                tf->rip = (uint32_t)(tf->rip - 2);     /* both are 2 bytes: the site starts there */
            peel_call_stepped(v, tf, t.site->owner, step);
            return;
        case TRAP_PATCH:
            if ((done = emulate_patch(v, tf, t.site))) {
                v->exits[VEXIT_PATCH]++;
                if (done == EMULATED)
                    single_step(v, tf, step);
                return;
            }
            if (privileged(v, tf, step) || shadow_selector(v, tf))
                return;                                /* (the scanner patches nothing else) */
            break;
        case TRAP_GUEST_INT15:                         /* prefixes and all: EIP stays past it */
            v->exits[VEXIT_INT]++;
            vcpu_reflect(v, tf, VEC_PEEL_ENTRY, false, 0);
            return;
        case TRAP_GUEST_SYSCALL:                       /* none in compatibility mode */
            tf->rip = (uint32_t)(tf->rip - 2);
            v->exits[VEXIT_EXCEPTION]++;
            vcpu_reflect(v, tf, 6, false, 0);          /* #UD, as an Intel CPU would */
            return;
        case TRAP_SOFT_INT:                            /* the vector from the bytes the guest wrote */
            v->exits[VEXIT_INT]++;
            vcpu_soft_int(v, tf, t.op[0] == 0xcd ? t.op[1] : t.op[0] == 0xcc ? 3 : 4, t.op[0] == 0xcd ? 2 : 1);
            return;
        case TRAP_PRIV:
            if (privileged(v, tf, step) || shadow_selector(v, tf))
                return;
            break;                                     /* not one we emulate: the CPU's fault stands */
        case TRAP_PAGE_FAULT: {
            char why[96];
            snprintf(why, sizeof why, "access to 0x%lx outside its %lu MiB of memory",
                     read_cr2(), v->guest->ram_size >> 20);
            fail(v, tf, why);
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
            break;
        }
        break;
    }
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
