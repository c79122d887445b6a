/*
 * IPIs.  A call-function request is queued on the target CPU's locked list
 * and the caller spins until the target marks it done.  While spinning, the
 * caller serves its own queue, so two CPUs calling each other with
 * interrupts off cannot deadlock.  TLB shootdown has its own vector and one
 * global request at a time.
 */
#include "smp/ipi.h"
#include "smp/lapic.h"
#include "smp/percpu.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "kernel/panic.h"

struct call {
    struct list link;
    ipi_fn_t fn;
    void *arg;
    volatile int done;
};

static struct {
    struct spinlock lock;           /* one shootdown at a time */
    uint64_t va;
    unsigned pages;
    volatile unsigned pending;      /* CPUs yet to flush */
} shootdown = { .lock = SPINLOCK_INIT("tlb shootdown") };

static uint64_t received[MAX_CPUS];

static void serve_calls(void)
{
    struct cpu *c = this_cpu();
    for (;;) {
        spin_lock_irq(&c->call_lock);
        struct list *l = list_pop_front(&c->calls);
        spin_unlock_irq(&c->call_lock);
        if (!l)
            return;
        struct call *req = container_of(l, struct call, link);
        req->fn(req->arg);
        __atomic_store_n(&req->done, 1, __ATOMIC_RELEASE);
    }
}

static void flush_requested(void)
{
    for (unsigned i = 0; i < shootdown.pages; i++)
        invlpg(shootdown.va + i * 4096ul);
    __atomic_sub_fetch(&shootdown.pending, 1, __ATOMIC_ACQ_REL);
}

static void on_resched(struct trapframe *tf) { (void)tf; received[this_cpu()->id]++; this_cpu()->hazard |= HAZARD_RESCHED; }
static void on_call(struct trapframe *tf) { (void)tf; received[this_cpu()->id]++; serve_calls(); }
static void on_tlb(struct trapframe *tf) { (void)tf; received[this_cpu()->id]++; flush_requested(); }

void ipi_init(void)
{
    trap_register(VEC_RESCHED, on_resched);
    trap_register(VEC_CALL, on_call);
    trap_register(VEC_TLB, on_tlb);
}

uint64_t ipi_count(unsigned cpu) { return received[cpu]; }

static void send(unsigned cpu, unsigned vector)
{
    if (!lapic_send(cpu_of(cpu)->apic_id, ICR_FIXED | vector))
        panic("ipi: vector 0x%x to cpu %u was never accepted", vector, cpu);
}

void ipi_resched(unsigned cpu)
{
    if (cpu == this_cpu()->id)
        this_cpu()->hazard |= HAZARD_RESCHED;
    else
        send(cpu, VEC_RESCHED);
}

static void queue(unsigned cpu, struct call *req)
{
    struct cpu *t = cpu_of(cpu);
    spin_lock_irq(&t->call_lock);
    list_push_back(&t->calls, &req->link);
    spin_unlock_irq(&t->call_lock);
    send(cpu, VEC_CALL);
}

static void wait_done(struct call *req)
{
    while (!__atomic_load_n(&req->done, __ATOMIC_ACQUIRE)) {
        pushcli();                      /* calls run with interrupts off, as from the IPI */
        serve_calls();
        popcli();
        cpu_relax();
    }
}

void ipi_call(unsigned cpu, ipi_fn_t fn, void *arg)
{
    preempt_disable();                  /* "this CPU" must stay this CPU */
    if (cpu == this_cpu()->id) {
        pushcli();
        fn(arg);
        popcli();
    } else {
        struct call req = { .fn = fn, .arg = arg };
        queue(cpu, &req);
        wait_done(&req);
    }
    preempt_enable();
}

/* A ping nobody waits for: the monitor asks whether a CPU still takes
 * interrupts (one stuck with them off never answers) without hanging on
 * it.  One outstanding ping per CPU; a second while it is unanswered is
 * not sent. */
static struct call pings[MAX_CPUS];
static void pong(void *arg) { (void)arg; }

bool ipi_ping(unsigned cpu)
{
    struct call *req = &pings[cpu];
    if (req->fn && !__atomic_load_n(&req->done, __ATOMIC_ACQUIRE))
        return false;
    *req = (struct call){ .fn = pong };
    queue(cpu, req);
    return true;
}

bool ipi_pong(unsigned cpu)
{
    return __atomic_load_n(&pings[cpu].done, __ATOMIC_ACQUIRE);
}

void ipi_call_all(ipi_fn_t fn, void *arg)
{
    static struct call reqs[MAX_CPUS][MAX_CPUS];   /* [caller][target]: no allocation */
    preempt_disable();
    unsigned self = this_cpu()->id;
    for (unsigned i = 0; i < ncpus; i++) {
        if (i == self || !cpu_of(i)->online) continue;
        reqs[self][i] = (struct call){ .fn = fn, .arg = arg };
        queue(i, &reqs[self][i]);
    }
    pushcli();
    fn(arg);
    popcli();
    for (unsigned i = 0; i < ncpus; i++)
        if (i != self && cpu_of(i)->online)
            wait_done(&reqs[self][i]);
    preempt_enable();
}

/* Callers run with interrupts on: a CPU spinning here for the lock must
 * still answer the current holder's shootdown IPI. */
void tlb_shootdown(uint64_t va, unsigned pages)
{
    if (!(read_flags() & EFLAGS_IF))
        panic("tlb_shootdown with interrupts off would deadlock");
    spin_lock(&shootdown.lock);
    unsigned self = this_cpu()->id, others = 0;
    for (unsigned i = 0; i < ncpus; i++)
        others += i != self && cpu_of(i)->online;
    shootdown.va = va;
    shootdown.pages = pages;
    __atomic_store_n(&shootdown.pending, others, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < pages; i++)
        invlpg(va + i * 4096ul);
    for (unsigned i = 0; i < ncpus; i++)
        if (i != self && cpu_of(i)->online)
            send(i, VEC_TLB);
    for (unsigned turn = 1; __atomic_load_n(&shootdown.pending, __ATOMIC_ACQUIRE); turn++)
        spin_turn(turn);
    spin_unlock(&shootdown.lock);
}

void ipi_stop_others(void)
{
    if (ncpus > 1)
        lapic_send(0, ICR_NMI | ICR_ALL_BUT_SELF);
}
