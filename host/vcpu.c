/*
 * Running a guest kernel in ring 1.  The guest thread enters through
 * vcpu_enter (an iretq to 32-bit compatibility mode, CPL 1, real IF on,
 * IOPL 0); from then on every trap from ring 1 arrives in trap(), which
 * hands it here.  Before each return to the guest, due virtual timers are
 * advanced and a pending virtual interrupt is delivered through the guest's
 * own IDT if its virtual IF allows.
 */
#include "host/vcpu.h"
#include "host/guest.h"
#include "host/emulate.h"
#include "kernel/gdt.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/printf.h"
#include "smp/percpu.h"
#include "sched/sched.h"
#include "kernel/vm.h"
#include "kernel/x86.h"
#include "host/native_sched.h"

#define EFLAGS_TF (1u << 8)
#define EFLAGS_IF (1u << 9)
#define EFLAGS_NT (1u << 14)
#define EFLAGS_RF (1u << 16)
#define EFLAGS_RESERVED1 (1u << 1)

void vcpu_enter(const struct trapframe *tf, uint64_t percpu, uint16_t data_sel) __attribute__((noreturn));

static uint64_t flat_descriptor(bool code)
{
    /* base 0, limit 4 GiB, 32-bit, DPL 1, present: what Multiboot promises */
    return 0x00cf00000000ffffull | (code ? 0xbaull << 40 : 0xb2ull << 40);
}

void vcpu_init(struct vcpu *v, struct guest *g, uint32_t eip, uint32_t eax, uint32_t ebx)
{
    memset(v, 0, sizeof *v);
    v->guest = g;
    v->cr0 = 0x11;                                   /* PE, ET */
    v->boot.rip = eip;
    v->boot.rax = eax;
    v->boot.rbx = ebx;
    v->boot.cs = (VCPU_BOOT_CS_IDX << 3) | 1;
    v->boot.ss = (VCPU_BOOT_DS_IDX << 3) | 1;
    v->boot.rsp = 0x7000;                            /* Multiboot leaves ESP undefined */
    v->boot.rflags = EFLAGS_RESERVED1 | EFLAGS_IF;   /* the real IF; the guest's is vif = 0 */
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
    v->vif = true;
    v->boot = *from->tf;                             /* its segments */
    v->boot.rip = eip;
    v->boot.rsp = esp;
    v->boot.rflags = EFLAGS_RESERVED1 | EFLAGS_IF;
    __asm__ volatile("mov %%ds, %0" : "=r"(v->ds));  /* `from` is the caller: its own, live */
}

/* The guest's descriptors go into the real GDT of the CPU it runs on, at
 * their own indexes, code and data with DPL 0 made DPL 1 (ring compression).
 * System descriptors are not mirrored: the guest never gets a real TSS, LDT
 * or gate.  Each CPU remembers whose descriptors it holds; a vCPU that
 * arrives on a CPU holding another guest's (or an older) copy rewrites it. */
static void mirror(struct vcpu *v, struct cpu *c)
{
    uint64_t *gdt = c->gdt;
    unsigned n = (v->gdt_limit + 1u) / 8;
    const uint64_t *src = guest_ptr(v->guest, v->gdt_base, n * 8ull);
    if (n > VCPU_BOOT_CS_IDX)
        n = VCPU_BOOT_CS_IDX;                        /* the host's own live above */
    for (unsigned i = 1; i < n; i++) {
        uint64_t d = src ? src[i] : 0;
        bool code_or_data = d >> 44 & 1, present = d >> 47 & 1;
        if (!code_or_data || !present) {
            gdt[i] = 0;
            continue;
        }
        if ((d >> 45 & 3) == 0)
            d |= 1ull << 45;                         /* DPL 0 -> 1 */
        gdt[i] = d | 1ull << 40;                     /* accessed: the CPU need not write it */
    }
    for (unsigned i = n ? n : 1; i < c->gdt_mirror_n; i++)
        gdt[i] = 0;                                  /* what the last guest had beyond ours */
    gdt[VCPU_BOOT_CS_IDX] = flat_descriptor(true);
    gdt[VCPU_BOOT_DS_IDX] = flat_descriptor(false);
    c->gdt_mirror_n = n;
    c->gdt_mirror_of = v->guest;
    c->gdt_mirror_gen = v->guest->gdt_gen;
}

static void mirror_if_stale(struct vcpu *v, struct cpu *c)
{
    if (c->gdt_mirror_of != v->guest || c->gdt_mirror_gen != v->guest->gdt_gen)
        mirror(v, c);
}

/* lgdt: the new table goes into this CPU's GDT now, into the others' when
 * a vCPU of the guest next runs there. */
void vcpu_mirror_gdt(struct vcpu *v)
{
    __atomic_add_fetch(&v->guest->gdt_gen, 1, __ATOMIC_RELEASE);
    pushcli();
    mirror(v, this_cpu());
    popcli();
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

struct vcpu *vcpu_current(void)
{
    return current_thread()->vcpu;
}

static uint16_t usable(const struct cpu *c, uint16_t sel)
{
    unsigned i = sel >> 3;
    bool ok = i && (i < c->gdt_mirror_n || i == VCPU_BOOT_CS_IDX || i == VCPU_BOOT_DS_IDX) && (c->gdt[i] >> 47 & 1);
    return ok ? sel : 0;                             /* a stale selector must not fault the host */
}

void vcpu_switch_out(struct vcpu *v)
{
    gkl_pause(&v->guest->gkl, v);
    if (!v->entered)
        return;
    __asm__ volatile("mov %%ds, %0; mov %%es, %1; mov %%fs, %2; mov %%gs, %3"
                     : "=r"(v->ds), "=r"(v->es), "=r"(v->fs), "=r"(v->gs));
    v->gs_base = rdmsr(MSR_KERNEL_GS);          /* swapped away at the trap */
}

void vcpu_switch_in(struct vcpu *v)
{
    gkl_resume(&v->guest->gkl, v);
    if (!v->entered)
        return;
    struct cpu *c = this_cpu();
    mirror_if_stale(v, c);
    uint16_t ds = usable(c, v->ds), es = usable(c, v->es), fs = usable(c, v->fs), gs = usable(c, v->gs);
    __asm__ volatile("mov %0, %%ds; mov %1, %%es; mov %2, %%fs; mov %3, %%gs"
                     :: "r"(ds), "r"(es), "r"(fs), "r"(gs));
    wrmsr(MSR_GS_BASE, (uint64_t)c);                 /* the load of GS cleared the per-CPU base */
    wrmsr(MSR_KERNEL_GS, v->gs_base);
}

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
    current_thread()->vcpu = v;
    v->thread = current_thread();
    vcpu_lock(v);
    cli();                                           /* vcpu_enter's iretq turns them back on */
    struct cpu *c = this_cpu();
    mirror_if_stale(v, c);
    uint16_t ds = v->ds ? v->ds : (VCPU_BOOT_DS_IDX << 3) | 1;
    v->entered = true;
    vcpu_enter(&v->boot, (uint64_t)c, ds);
}

void vcpu_lock(struct vcpu *v)
{
    struct guest *g = v->guest;
    gkl_acquire(&g->gkl, v);
    /* the clock as the lock was taken: time away does not count as
     * spinning, and this trap's interrupt check needs no clock read of its own */
    v->now_hint = v->stuck_since = g->gkl.since - g->start_ns;
    v->stuck_writes = v->vif_writes;
    if (g->native_sched)
        native_sched_running(g, v);                  /* the guest's idea of its current thread */
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
    if (g->native_sched)
        native_sched_kick_if_pending(g);             /* someone must take a pending interrupt */
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
    struct thread *t = current_thread();
    t->vcpu = 0;
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

/* The guest's stack (flat SS): size 2 or 4 bytes; false if outside its RAM. */
bool vcpu_push(struct vcpu *v, struct trapframe *tf, uint32_t val, unsigned size)
{
    uint32_t esp = (uint32_t)tf->rsp - size;
    void *slot = guest_ptr(v->guest, esp, size);
    if (!slot)
        return false;
    if (size == 4) *(uint32_t *)slot = val; else *(uint16_t *)slot = (uint16_t)val;
    tf->rsp = esp;
    return true;
}

bool vcpu_pop(struct vcpu *v, struct trapframe *tf, uint32_t *val, unsigned size)
{
    const void *slot = guest_ptr(v->guest, (uint32_t)tf->rsp, size);
    if (!slot)
        return false;
    *val = size == 4 ? *(const uint32_t *)slot : *(const uint16_t *)slot;
    tf->rsp = (uint32_t)(tf->rsp + size);
    return true;
}

/* The EFLAGS the guest believes in: the real arithmetic flags, its own IF. */
uint32_t vcpu_guest_eflags(struct vcpu *v, struct trapframe *tf)
{
    return ((uint32_t)tf->rflags & ~(EFLAGS_IF | 3u << 12)) | (v->vif ? EFLAGS_IF : 0);
}

/* Protected-mode delivery through a 32-bit interrupt or trap gate, at the
 * guest's (compressed) privilege level: no stack switch. */
bool vcpu_deliver(struct vcpu *v, struct trapframe *tf, unsigned vector, bool has_error, uint32_t error)
{
    if (vector * 8 + 7 > v->idt_limit)
        return false;
    const uint32_t *gate = guest_ptr(v->guest, v->idt_base + vector * 8, 8);
    if (!gate)
        return false;
    uint32_t lo = gate[0], hi = gate[1];
    unsigned type = hi >> 8 & 0x1f;                  /* S=0 and type */
    bool present = hi >> 15 & 1;
    if (!present || (type != 0xe && type != 0xf))    /* 32-bit interrupt / trap gate */
        return false;
    uint16_t sel = lo >> 16;
    uint32_t offset = (hi & 0xffff0000) | (lo & 0xffff);
    if (!scan_entry(v->guest, offset))               /* first arrival at this handler */
        return false;
    uint32_t eflags = vcpu_guest_eflags(v, tf);
    uint16_t cs_seen = (uint16_t)tf->cs & ~3;        /* the guest thinks it is in ring 0 */
    if (!vcpu_push(v, tf, eflags, 4) || !vcpu_push(v, tf, cs_seen, 4) || !vcpu_push(v, tf, (uint32_t)tf->rip, 4) ||
        (has_error && !vcpu_push(v, tf, error, 4)))
        return false;
    tf->rip = offset;
    tf->cs = (sel & ~3) | 1;
    tf->rflags &= ~(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF);
    if (type == 0xe) {
        v->vif = false;
        v->vif_writes++;
    }
    return true;
}

/* A fault during delivery is a double fault; one during that, a triple fault. */
void vcpu_reflect(struct vcpu *v, struct trapframe *tf, unsigned vector, bool has_error, uint32_t error)
{
    if (vcpu_deliver(v, tf, vector, has_error, error))
        return;
    if (vector != 8 && vcpu_deliver(v, tf, 8, true, 0))
        return;
    char why[96];
    snprintf(why, sizeof why, "triple fault: vector %u at eip 0x%lx could not be delivered", vector, tf->rip);
    guest_end(v->guest, GUEST_DEAD, -1, why);
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
    vcpu_reflect(v, tf, vector, false, 0);
}

/* hlt with interrupts enabled: give the CPU away until the next virtual
 * interrupt is due (or something else raises one). */
void vcpu_wait_interrupt(struct vcpu *v, volatile int *kick)
{
    struct guest *g = v->guest;
    struct vdevs *d = &g->dev;
    vcpu_unlock(v);
    while (g->state == GUEST_RUNNING && !peel_request_ready(g)) {
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

void vcpu_halt(struct vcpu *v)
{
    v->halts++;
    if (!v->vif) {
        guest_end(v->guest, GUEST_DEAD, -1, "halted with interrupts disabled (cli; hlt): it can never wake");
        return;
    }
    vcpu_wait_interrupt(v, 0);
}

/* Host interrupts keep arriving while the guest spins with its own
 * interrupts off (the real IF is on): that is where we notice it. */
static void watch_interrupts_off(struct vcpu *v, struct trapframe *tf)
{
    uint64_t now = vdevs_now(v->guest);
    if (v->vif || v->vif_writes != v->stuck_writes) {
        v->stuck_since = now;
        v->stuck_writes = v->vif_writes;
        return;
    }
    if (now - v->stuck_since > VCPU_STUCK_NS) {
        char why[96];
        snprintf(why, sizeof why, "spun with interrupts disabled for %llu s, at eip 0x%lx",
                 VCPU_STUCK_NS / 1000000000ull, tf->rip);
        guest_end(v->guest, GUEST_DEAD, -1, why);
    }
}

void vcpu_trap(struct trapframe *tf, bool host_irq)
{
    struct vcpu *v = current_thread()->vcpu;
    if (!v)
        panic("trap from ring %lu with no guest on this thread", tf->cs & 3);
    if (!gkl_held_by(&v->guest->gkl, v))
        panic("vCPU %u of guest %s ran guest code without the guest kernel lock", v->index, v->guest->name);
    v->tf = tf;
    v->now_hint = 0;                                 /* only a lock taken in this trap gives one */
    prof_sample(v->guest, (uint32_t)tf->rip, (uint32_t)tf->rsp, !host_irq);
    if (host_irq) {
        v->exits[VEXIT_HOST_IRQ]++;
        watch_interrupts_off(v, tf);
    } else
        emulate_trap(v, tf);
    if (v->guest->state == GUEST_RUNNING && !v->guest->peels.stepping) {
        peel_safe_point(v->guest);                   /* no guest instruction runs now */
        deliver_pending(v, tf);                      /* (not inside a single step) */
    }
    if (v->guest->state != GUEST_RUNNING)
        vcpu_exit(v);                                /* the guest thread ends here */
    pushcli();
    mirror_if_stale(v, this_cpu());                  /* another vCPU loaded a new GDT */
    popcli();
}
