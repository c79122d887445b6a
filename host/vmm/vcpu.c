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
#include "kernel/trap.h"
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
    into->ran_on |= v->ran_on;
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
    v->ran_on |= (uint64_t)1 << this_cpu()->id;
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
    v->ran_on |= (uint64_t)1 << this_cpu()->id;     /* thread_set_hooks may have moved it: here is where it runs */
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
    v->relocked = true;
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
        bool known = dcs && cs == v->ok_cs && ss == v->ok_ss && dcs == v->ok_dcs && dss == v->ok_dss;
        if (!known && seg_check(cs, dcs, SEG_USE_CS_RET, cpl)) {
            bad = seg_why(cs, dcs, SEG_USE_CS_RET, cpl);
            sel = cs;
        } else if (!known && seg_check(ss, dss, SEG_USE_SS, cpl)) {
            bad = seg_why(ss, dss, SEG_USE_SS, cpl);
            sel = ss;
        } else if (!known) {
            v->ok_cs = cs;                           /* (a valid CS descriptor is never 0) */
            v->ok_ss = ss;
            v->ok_dcs = dcs;
            v->ok_dss = dss;
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
            vcpu_triple_fault(v, tf, 13, 0, 0, " (eip beyond the CS limit)");
            return false;
        }
        tf->rflags = (tf->rflags & RETURN_FLAGS) | EFLAGS_IF | EFLAGS_RESERVED1;
        tf->rsp = (uint32_t)tf->rsp;
        espfix_prepare(this_cpu(), !(dss & DESC_DB), (uint32_t)tf->rsp);
        trap_syscall_open(v->guest->syscall_entry && cpl != 3);
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

/* The profiler's sample of where the guest was, at a trap (trapped) or a
 * host interrupt. */
void vcpu_sample(struct vcpu *v, const struct trapframe *tf, bool trapped)
{
    if (!guest_hooks->sample)
        return;
    uint32_t in_block = blocks_original(v->guest, (uint32_t)tf->rip);   /* the guest's own code it stands for */
    guest_hooks->sample(v->guest, in_block ? in_block : (uint32_t)tf->rip, (uint32_t)tf->rsp, trapped);
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
    v->relocked = false;
    int taken = blocks_vif_in(v);                    /* the virtual IF the patch blocks kept */
    if (taken >= 0)
        vcpu_armed_taken(v, taken);                  /* (and an interrupt one delivered) */
    blocks_replay(v->guest);                         /* (then the port writes they logged: its EOI) */
    blocks_window_check(v);                          /* (paging on: the guest may have mapped their window) */
    /* the host's step over a write to a code page ends at any trap; its own #DB is all the trap is */
    bool stepped = v->guest->codepages.stepping && codepage_step_trap(v, tf);
    /* and the host's step over a write to the ROM (host/vmm/rom.h), the same way */
    stepped = (v->guest->rom.stepping && rom_step_trap(v, tf)) || stepped;
    struct cpu *c = this_cpu();
    if (vseg_mirror_stale(v, c))
        vseg_remirror(v, c, tf);                          /* another vCPU loaded a new GDT */
    if (v->reload_failed)
        guest_end(v->guest, GUEST_DEAD, -1, "a segment register of its could not be reloaded when it was switched in");
    if (host_irq || tf->vector != VEC_GUEST_ENTRY)
        vcpu_sample(v, tf, !host_irq);               /* (a peel entry's: site_trap's to count, emulate_trap's if none) */
    if (host_irq) {
        v->exits[VEXIT_HOST_IRQ]++;             /* a guest with IF clear runs on: only cli; hlt stops it */
    } else if (v->guest->state == GUEST_RUNNING && !stepped)
        emulate_trap(v, tf);
    if (v->guest->state == GUEST_RUNNING && !v->guest->host_stepping && !v->guest->codepages.stepping &&
        !v->guest->rom.stepping) {
        if (__atomic_load_n(&v->guest->wants_safe_points, __ATOMIC_ACQUIRE))
            guest_hooks->safe_point(v->guest);       /* no guest instruction runs now */
        vcpu_deliver_pending(v, tf);                 /* (not inside a single step) */
        vcpu_arm_pending(v, tf);                     /* (or for a block to deliver) */
    }
    if ((tf->rflags & EFLAGS_TF) && blocks_arena(&v->guest->blocks, tf->rip) && !v->guest->host_stepping &&
        !v->guest->codepages.stepping && !v->guest->rom.stepping)
        blocks_leave_stepping(v, tf);                /* its own step would stop inside a patch block */
    if (v->relocked) {                               /* (holding it throughout, no other vCPU ran: no lgdt) */
        pushcli();
        c = this_cpu();
        if (v->guest->state == GUEST_RUNNING && vseg_mirror_stale(v, c))
            vseg_remirror(v, c, tf);                      /* another vCPU loaded a new GDT meanwhile */
        popcli();
    }
    if (!vcpu_return_check(v, tf))
        vcpu_exit(v);                                /* the guest thread ends here */
}
