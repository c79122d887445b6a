/*
 * Trap-and-emulate.  A guest kernel in ring 1 with IOPL 0 faults (#GP) on
 * cli, sti, hlt, in/out, lgdt/lidt/ltr, mov to/from CRn, loads of SS with
 * its ring-0 selectors, and (with UMIP) sgdt/sidt/sldt/str/smsw.  pushf,
 * popf and iret do not fault: the scanner replaced them by int3 in the
 * loaded copy (host/scan.c) by hlt, which faults with #GP(0) in ring 1;
 * the side table tells a patch from a real hlt.  int n reaches a DPL-0
 * host gate and faults with #GP(IDT); it is reflected through the guest's
 * own IDT.
 */
#include "host/emulate.h"
#include "host/vcpu.h"
#include "host/guest.h"
#include "host/decode.h"
#include "host/native_sched.h"
#include "kernel/printf.h"
#include "kernel/x86.h"
#include "smp/percpu.h"

#define EFLAGS_IF (1u << 9)
/* what popf/iret may change: CF PF AF ZF SF TF DF OF NT AC ID (IF is virtual) */
#define EFLAGS_GUEST_MASK 0x00244dd5u

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

static void io(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    struct ports *p = &v->guest->dev.ports;
    unsigned size = in->opcode & 1 ? in->op_size / 8 : 1;
    uint16_t port = (in->opcode & 0xf8) == 0xe0 ? (uint16_t)in->imm : (uint16_t)tf->rdx;
    uint64_t now = vdevs_now(v->guest);
    count_io(v, port, in->cls == INSN_IN, 1);
    spin_lock_irq(&v->guest->dev.lock);
    if (in->cls == INSN_IN)
        set_reg(tf, REG_AX, size, ports_in(p, port, size, now));
    else
        ports_out(p, port, size, (uint32_t)tf->rax, now);
    vdevs_unlock(&v->guest->dev, now);
    if (p->exit_requested) {                           /* isa-debug-exit: the guest is done */
        char why[48];
        int status = p->exit_status >> 1;
        snprintf(why, sizeof why, "wrote %d to the debug-exit port", status);
        guest_end(v->guest, GUEST_EXITED, status, why);
    }
}

/* ins/outs, rep or not: one guest-memory run per instruction. */
static void string_io(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    unsigned size = in->opcode & 1 ? in->op_size / 8 : 1;
    bool rep = in->prefixes & (PFX_REP | PFX_REPNE);
    uint32_t count = rep ? (uint32_t)tf->rcx : 1;
    bool down = tf->rflags & (1u << 10);
    if (down) { fail(v, tf, "string I/O with DF set is not supported"); return; }
    bool is_in = in->cls == INSN_INS;
    uint64_t *ptr_reg = is_in ? &tf->rdi : &tf->rsi;
    uint32_t addr = (uint32_t)*ptr_reg + (is_in ? seg_base(SEG_ES, tf) : seg_base(in->mem.seg, tf));
    void *buf = guest_ptr(v->guest, addr, (uint64_t)count * size);
    if (count && !buf) { fail(v, tf, "string I/O outside guest memory"); return; }
    uint64_t now = vdevs_now(v->guest);
    count_io(v, (uint16_t)tf->rdx, is_in, count);
    spin_lock_irq(&v->guest->dev.lock);
    if (is_in) ports_ins(&v->guest->dev.ports, (uint16_t)tf->rdx, size, buf, count, now);
    else ports_outs(&v->guest->dev.ports, (uint16_t)tf->rdx, size, buf, count, now);
    vdevs_unlock(&v->guest->dev, now);
    *ptr_reg = (uint32_t)(*ptr_reg + count * size);
    if (rep) tf->rcx = 0;
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

static void control_register(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t *cr[] = { &v->cr0, 0, &v->cr2, &v->cr3, &v->cr4 };
    if (in->reg > 4 || !cr[in->reg]) { vcpu_reflect(v, tf, 6, false, 0); return; }
    if (in->cls == INSN_MOV_FROM_CR) {
        *vcpu_gpr(tf, in->rm) = *cr[in->reg];
        return;
    }
    uint32_t val = (uint32_t)*vcpu_gpr(tf, in->rm);
    if (in->reg == 0 && (val & 0x80000000u)) {
        fail(v, tf, "the guest turned paging on: paging guests are not supported yet");
        return;
    }
    *cr[in->reg] = val;
}

static void load_ss(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t sel;
    if (in->cls == INSN_POP) {
        if (!vcpu_pop(v, tf, &sel, in->op_size / 8)) { fail(v, tf, "pop ss outside guest memory"); return; }
    } else if (in->has_mem) {
        uint16_t *m = guest_ptr(v->guest, effective_address(in, tf), 2);
        if (!m) { fail(v, tf, "mov ss operand outside guest memory"); return; }
        sel = *m;
    } else {
        sel = (uint16_t)*vcpu_gpr(tf, in->rm);
    }
    tf->ss = (sel & 0xfffc) | 1;
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

/* One privileged instruction; false if it is not ours to emulate. */
static bool emulate(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    switch (in->cls) {
    case INSN_CLI: v->vif = false; v->vif_writes++; break;
    case INSN_STI: v->vif = true; v->vif_writes++; break;
    case INSN_HLT: tf->rip += in->length; vcpu_halt(v); return true;
    case INSN_IN: case INSN_OUT: io(v, in, tf); break;
    case INSN_INS: case INSN_OUTS: string_io(v, in, tf); break;
    case INSN_LGDT: case INSN_LIDT: case INSN_SGDT: case INSN_SIDT: descriptor_table(v, in, tf); break;
    case INSN_LTR: v->tr = in->has_mem ? 0 : (uint16_t)*vcpu_gpr(tf, in->rm); break;
    case INSN_LLDT: v->ldtr = in->has_mem ? 0 : (uint16_t)*vcpu_gpr(tf, in->rm); break;
    case INSN_STR: case INSN_SLDT: case INSN_SMSW: store_system(v, in, tf); break;
    case INSN_MOV_TO_CR: case INSN_MOV_FROM_CR: control_register(v, in, tf); break;
    case INSN_CLTS: case INSN_WBINVD: case INSN_INVD: case INSN_INVLPG: break;
    case INSN_MOV_TO_SREG: case INSN_POP:
        if (in->cls == INSN_MOV_TO_SREG ? in->reg != SEG_SS : in->opcode != 0x17) return false;
        load_ss(v, in, tf);
        break;
    default: return false;
    }
    tf->rip += in->length;
    return true;
}

/* A patched pushf/popf/iret: the original bytes are in the side table. */
static bool emulate_patch(struct vcpu *v, struct trapframe *tf)
{
    const struct patch *p = patch_find(&v->guest->patches, (uint32_t)tf->rip);
    if (!p)
        return false;
    struct insn in;
    if (decode(p->orig, p->len, 32, &in) != DECODE_OK)
        return false;
    uint32_t val, size = in.op_size / 8;
    v->insn_count[in.cls & 63]++;
    switch (in.cls) {
    case INSN_PUSHF: {
        if (!vcpu_push(v, tf, vcpu_guest_eflags(v, tf), size)) { fail(v, tf, "pushf outside guest memory"); return true; }
        tf->rip += in.length;
        return true;
    }
    case INSN_POPF:
        if (!vcpu_pop(v, tf, &val, size)) { fail(v, tf, "popf outside guest memory"); return true; }
        set_flags(v, tf, val, size == 4 ? EFLAGS_GUEST_MASK : EFLAGS_GUEST_MASK & 0xffff);
        tf->rip += in.length;
        return true;
    case INSN_IRET: {
        uint32_t eip, cs, eflags;
        if (!vcpu_pop(v, tf, &eip, size) || !vcpu_pop(v, tf, &cs, size) || !vcpu_pop(v, tf, &eflags, size)) {
            fail(v, tf, "iret frame outside guest memory");
            return true;
        }
        if ((cs & 3) == 3) { fail(v, tf, "iret to ring 3: guest user mode is not supported yet"); return true; }
        tf->rip = eip;
        tf->cs = (cs & 0xfffc) | 1;
        set_flags(v, tf, eflags, EFLAGS_GUEST_MASK);
        return true;
    }
    default:
        return emulate(v, &in, tf);        /* sgdt & co., patched where UMIP is missing */
    }
}

/* int n, int3, into: the vector from the instruction itself (the #GP error
 * code names one too, but the bytes are what the guest asked for). */
static bool software_interrupt(struct vcpu *v, struct trapframe *tf)
{
    const uint8_t *op = guest_ptr(v->guest, (uint32_t)tf->rip, 2);
    if (!op || (op[0] != 0xcd && op[0] != 0xcc && op[0] != 0xce))
        return false;
    unsigned n = op[0] == 0xcd ? op[1] : op[0] == 0xcc ? 3 : 4;
    v->exits[VEXIT_INT]++;
    tf->rip += op[0] == 0xcd ? 2 : 1;
    vcpu_reflect(v, tf, n, false, 0);
    return true;
}

void emulate_trap(struct vcpu *v, struct trapframe *tf)
{
    unsigned vec = tf->vector;
    if (vec == 1 && peel_step_done(v->guest, tf))
        return;                                        /* a fall-through's single step is over */
    if (vec == 13 && tf->error == 0 && native_sched_trap(v, tf))
        return;                                        /* a guest thread's function returned */
    if (vec == VEC_PEEL_ENTRY) {                       /* int 15 or syscall: EIP is past it */
        uint64_t after = tf->rip;
        tf->rip = (uint32_t)(after - 2);               /* both are 2 bytes: a site starts there */
        if (peel_call(v->guest, tf))
            return;                                    /* a peeled function, served natively */
        if (tf->error == ERROR_BY_SYSCALL) {           /* the guest's own: none in compatibility mode */
            v->exits[VEXIT_EXCEPTION]++;
            vcpu_reflect(v, tf, 6, false, 0);          /* #UD, as an Intel CPU would */
            return;
        }
        tf->rip = after;                               /* the guest's own int 15 (prefixes and all) */
        v->exits[VEXIT_INT]++;
        vcpu_reflect(v, tf, VEC_PEEL_ENTRY, false, 0);
        return;
    }
    if (vec == 13 && tf->error == 0 && peel_call(v->guest, tf))
        return;                                        /* a peeled function entered by hlt */
    if (vec == 13 && tf->error == 0 && emulate_patch(v, tf)) {
        v->exits[VEXIT_PATCH]++;
        return;
    }
    if (vec == 13 && (tf->error & 3) == 2 && software_interrupt(v, tf))
        return;                                        /* through a DPL-0 gate: #GP(IDT) */
    if (vec == 13 && !(tf->error & 2)) {             /* #GP(0), or #GP(selector) from a mov to SS */
        const uint8_t *code = guest_ptr(v->guest, (uint32_t)tf->rip, 1);
        uint64_t avail = code ? v->guest->ram_size - (uint32_t)tf->rip : 0;
        struct insn in;
        if (code && decode(code, avail < 15 ? avail : 15, 32, &in) == DECODE_OK && emulate(v, &in, tf)) {
            v->exits[VEXIT_PRIV]++;
            v->insn_count[in.cls & 63]++;
            return;
        }
    }
    if (vec == 14) {
        char why[96];
        snprintf(why, sizeof why, "access to 0x%lx outside its %lu MiB of memory",
                 read_cr2(), v->guest->ram_size >> 20);
        fail(v, tf, why);
        return;
    }
    v->exits[VEXIT_EXCEPTION]++;
    bool has_error = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
    vcpu_reflect(v, tf, vec, has_error, (uint32_t)tf->error);
}
