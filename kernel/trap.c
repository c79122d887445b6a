/*
 * One IDT shared by every CPU.  trap() is the C side of every vector:
 * exceptions in the host panic with a backtrace; device and IPI vectors
 * go to their registered handler, then the local APIC gets its EOI, then
 * deferred work (a reschedule) runs on the way out.
 */
#include "kernel/trap.h"
#include "kernel/gdt.h"
#include "kernel/panic.h"
#include "kernel/console.h"
#include "kernel/x86.h"
#include "kernel/watchdog.h"
#include "kernel/cpufeat.h"
#include "smp/percpu.h"
#include "smp/lapic.h"
#include "sched/thread.h"

struct gate {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));
_Static_assert(sizeof(struct gate) == 16, "long-mode gates are 16 bytes");

static struct gate idt[256] __attribute__((aligned(16)));
static irq_handler_t handlers[256];

static void set_gate(unsigned v, unsigned ist, unsigned dpl)
{
    uint64_t a = vector_table[v];
    idt[v] = (struct gate){ a & 0xffff, SEL_KCODE, ist, GATE_INTERRUPT | dpl << GATE_DPL_SHIFT,
                            (a >> 16) & 0xffff, a >> 32, 0 };
}

/* Every gate is DPL 0, so a guest's `int n` from ring 1 faults with
 * #GP(IDT) and comes to the trap client like any other fault — but
 * VEC_GUEST_ENTRY's: an `int 15` the host placed in guest code reaches it
 * directly, the portable entry.  15 because no CPU raises it (a reserved
 * exception), no local APIC can send it (vectors 0-15 are illegal there)
 * and no host device uses it, so whatever arrives there from a guest is an
 * `int 15`: the client tells the ones it placed from the guest's own. */
void trap_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        set_gate(v, 0, 0);
    set_gate(VEC_DF, IST_DOUBLE_FAULT, 0);
    set_gate(VEC_NMI, IST_NMI, 0);
    set_gate(VEC_GUEST_ENTRY, 0, 1);
}

bool trap_syscall_on;

/* syscall, where a CPU takes it from compatibility mode, is a faster entry
 * than int 15: it comes to syscall_entry from compatibility mode (CSTAR),
 * and from 64-bit code too (LSTAR), where no guest runs, so that one is
 * refused the same way.  SFMASK clears IF, TF, DF, AC and NT on the way in,
 * as an interrupt gate would.  The MSRs are loaded on every CPU; EFER.SCE,
 * which opens the entry, stays off but while a guest that uses it runs
 * (trap_syscall_open), so that any other guest's own syscall is #UD on any
 * CPU, as on the CPU it was written for.  SYSENTER_CS 0 makes a guest's
 * sysenter #GP(0) (or #UD, on AMD). */
static void load_syscall(void)
{
    wrmsr(MSR_STAR, (uint64_t)SEL_KCODE << 32);     /* SS = SEL_KCODE + 8 = SEL_KDATA */
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_CSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, EFLAGS_IF | EFLAGS_TF | EFLAGS_DF | EFLAGS_AC | EFLAGS_NT);
    wrmsr(MSR_SYSENTER_CS, 0);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SCE);
    this_cpu()->syscall_open = false;
}

void trap_syscall_open(bool open)
{
    struct cpu *c = this_cpu();
    open = open && trap_syscall_on;
    if (c->syscall_open == open)
        return;
    uint64_t efer = rdmsr(MSR_EFER);
    wrmsr(MSR_EFER, open ? efer | EFER_SCE : efer & ~EFER_SCE);
    c->syscall_open = open;
}

void trap_load(void)
{
    struct descptr d = { sizeof idt - 1, (uint64_t)idt };
    lidt(&d);
    load_syscall();
}

bool trap_enable_syscall(void)
{
    char vendor[13];
    cpu_vendor(vendor);
    trap_syscall_on = cpu_vendor_syscall_compat(vendor);
    load_syscall();
    return trap_syscall_on;
}

void trap_register(unsigned vector, irq_handler_t h)
{
    handlers[vector] = h;
}

void trap_dump(const struct trapframe *tf)
{
    console_printf_unlocked(
        "  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n"
        "  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n"
        "  r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n"
        "  r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n"
        "  rip %016lx cs %04lx rflags %08lx ss %04lx\n",
        tf->rax, tf->rbx, tf->rcx, tf->rdx, tf->rsi, tf->rdi, tf->rbp, tf->rsp,
        tf->r8, tf->r9, tf->r10, tf->r11, tf->r12, tf->r13, tf->r14, tf->r15,
        tf->rip, tf->cs, tf->rflags, tf->ss);
}

/* Exception table: host instructions that may fault on a guest's behalf
 * (loading its segment registers), each with the code that takes over
 * when it does — Linux's fixups.  A fault anywhere else in the host is a
 * host bug and panics. */
static bool fixup(struct trapframe *tf)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
        if (e->insn == tf->rip) {
            tf->rip = e->fixup;
            return true;
        }
    return false;
}

static const struct trap_client *client;

void trap_set_client(const struct trap_client *c)
{
    client = c;
}

/* kernel/vectors.asm: an iretq to ring 1 or 3 faulted.  frame is the iret
 * frame the CPU refused (rip, cs, rflags, rsp, ss); the code that ran
 * there is stopped — the host is not. */
void trap_return_failed(uint64_t vector, uint64_t error, const uint64_t *frame)
{
    if (!client)
        panic("an iretq to ring %lu faulted (vector %lu) and no client owns that ring", frame[1] & 3, vector);
    client->return_failed(vector, error, frame);
    panic("trap: the client's return_failed returned");
}

/* A thread with hooks (a vCPU holding its guest's kernel lock) may ask to
 * be spared a tick's preemption. */
static bool preemptible(void)
{
    struct thread *t = current_thread();
    return !t->hooks || t->hooks->preemptible(t->ext);
}

void trap(struct trapframe *tf)
{
    if (tf->vector == 2 && panicking)
        for (;;) { cli(); hlt(); }          /* stopped by a panicking CPU */
    if (tf->vector == 2 && watchdog_dump_requested(this_cpu()->id)) {
        /* the watchdog saw our heartbeat stop: say where we are, then stop */
        console_printf_unlocked("watchdog: cpu %u stuck at rip %p (thread %s)\n", this_cpu()->id,
                                (void *)tf->rip, this_cpu()->current ? this_cpu()->current->name : "?");
        trap_dump(tf);
        backtrace(tf->rbp, tf->rip);
        watchdog_dump_done();
        for (;;) { cli(); hlt(); }
    }
    bool from_guest = tf->cs & 3;
    bool host_irq = tf->vector >= 32 && handlers[tf->vector];
    if (host_irq) {
        this_cpu()->irqs++;
        handlers[tf->vector](tf);
        lapic_eoi();
    } else if (tf->vector == VEC_SPURIOUS) {
        return;                             /* SDM: no EOI for the spurious vector */
    } else if (!from_guest) {
        if (tf->vector < 32 && fixup(tf))
            return;
        panic_trap(tf);
    }
    /* Preempt only code that ran with interrupts on and preemption enabled:
     * it holds neither kind of spinlock.  A thread whose hooks say so — a
     * vCPU thread holding its guest's kernel lock, in guest code or in a
     * native that runs under it — is spared for a tick or two. */
    struct cpu *c = this_cpu();
    if (host_irq && (c->hazard & HAZARD_RESCHED) && c->preempt == 0 && (tf->rflags & EFLAGS_IF) &&
        preemptible())
        preempt_resched();
    if (from_guest) {
        if (!client)
            panic("trap %lu from ring %lu and no client owns that ring", tf->vector, tf->cs & 3);
        client->trap(tf, host_irq);         /* the hypervisor: emulate, deliver virtual interrupts */
    }
}
