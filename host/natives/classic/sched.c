/*
 * The sched peel: the guest's threads become host threads, each with a vCPU
 * of its own, spread over every CPU and meeting at the guest kernel lock
 * whenever they run guest code.  Create, exit, join, yield, sleep and wakeup
 * are served by the host scheduler; the guest's own context switch is never
 * reached again.  Boot-only: a guest thread made by the guest's scheduler
 * lives on a stack the natives know nothing about.
 *
 * The guest's thread handle is the address of a zeroed record at the
 * bottom of the thread's stack slot, in the reserved pool, so a handle the
 * natives did not make is told apart by its address alone.  A thread's
 * function returns to a stub (a trapping byte at the pool's first byte)
 * that ends the thread.
 *
 * Sleeping is the guest's own V6 protocol: sched_sleep(chan) is called with
 * the guest's interrupts off after checking a condition, and sched_wakeup
 * (chan) comes from guest code too.  Both run under the guest kernel lock,
 * and a sleeper registers its channel before it lets go of the lock, so no
 * wakeup is lost.  Whoever calls sched_idle (the boot thread) becomes the
 * vCPU that takes virtual interrupts when no other vCPU is in guest code.
 */
#include "host/natives/classic/layout.h"
#include "host/peel/natives.h"
#include "host/vmm/guest.h"
#include "host/peel/peel.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/emulate.h"
#include "kernel/heap.h"
#include "kernel/printf.h"
#include "kernel/console.h"
#include "kernel/string.h"
#include "kernel/vm.h"
#include "kernel/x86.h"
#include "sched/sched.h"
#include "sched/capacity.h"
#include "smp/percpu.h"

#define SLOT_SIZE  16384u
#define NSLOTS     (GUEST_POOL_STACKS_SIZE / SLOT_SIZE)   /* slot 0: the boot vCPU; its page holds the stub */
#define STUB(g)    GUEST_POOL_STACKS_BASE(g)
#define RECORD     64u                                    /* the zeroed thread record under each stack */
#define TRAP_BYTE  0xf4

_Static_assert(L_thread_SIZE <= RECORD, "classic's struct thread fits the record a handle points at");

enum nt_state { NT_FREE, NT_LIVE, NT_ZOMBIE };

struct nthread {
    enum nt_state state;
    struct vcpu *v;
    uint32_t handle;                 /* guest-visible; the boot thread's is the guest's own */
    uint32_t chan;                   /* slept on, or 0 */
    int woken;                       /* under wq.lock */
    struct waitq wq;
};

struct native_sched {
    struct spinlock lock;            /* states and channels */
    struct nthread t[NSLOTS];
    uint32_t current_at;             /* the guest's current-thread variable (keeps), or 0 */
    struct thread *idle;             /* the host thread inside sched_idle */
    volatile int kick;
    uint64_t spawns, sleeps, yields, kicks, idles, idle_ns;
};

NATIVE_SUBSYSTEM_DECLARE(sched);

static struct native_sched *state(struct guest *g) { return native_state(g, &native_subsystem_sched); }

static uint32_t slot_base(const struct guest *g, unsigned i) { return GUEST_POOL_STACKS_BASE(g) + i * SLOT_SIZE; }

static struct nthread *self(struct native_sched *ns, struct vcpu *v) { return &ns->t[v->sched_slot]; }

/* The thread a handle names, if the natives made it. */
static struct nthread *by_handle(const struct guest *g, struct native_sched *ns, uint32_t h)
{
    if (h < slot_base(g, 1) || h >= GUEST_POOL_STACKS_BASE(g) + GUEST_POOL_STACKS_SIZE || (h - STUB(g)) % SLOT_SIZE)
        return 0;
    struct nthread *nt = &ns->t[(h - STUB(g)) / SLOT_SIZE];
    return nt->state == NT_FREE ? 0 : nt;
}

static void learn_boot_handle(struct guest *g, struct native_sched *ns)
{
    /* Until the boot thread spawns the first one, it is the only thread:
     * whatever the guest's current-thread variable says is its own. */
    const uint32_t *cur = ns->current_at ? guest_ptr(g, ns->current_at, 4) : 0;
    if (!ns->t[0].handle && cur)
        ns->t[0].handle = *cur;
}

static uint32_t stack_top(struct guest *g, const struct vcpu *v)
{
    return state(g) && v->sched_slot ? slot_base(g, v->sched_slot) + SLOT_SIZE : 0;
}

/* v holds the lock now: the guest's "current thread" variable (the
 * manifest's keeps) names v's thread. */
static void running(struct guest *g, struct vcpu *v)
{
    struct native_sched *ns = state(g);
    uint32_t *cur = ns->current_at ? guest_ptr(g, ns->current_at, 4) : 0;
    uint32_t h = self(ns, v)->handle;
    if (cur && h && *cur != h)
        *cur = h;                                    /* (unchanged: its line stays shared) */
}

/* Wake every thread asleep on chan.  ns->lock held. */
static void wake_chan(struct native_sched *ns, uint32_t chan)
{
    for (unsigned i = 0; i < NSLOTS; i++) {
        struct nthread *nt = &ns->t[i];
        if (nt->state != NT_LIVE || nt->chan != chan)
            continue;
        nt->chan = 0;
        spin_lock_irq(&nt->wq.lock);
        nt->woken = 1;
        waitq_wake_all_locked(&nt->wq);
        spin_unlock_irq(&nt->wq.lock);
    }
}

/* With its channel registered (ns->lock): wait for a wakeup without the
 * guest kernel lock, come back with it. */
static void wait_woken(struct guest *g, struct nthread *nt, struct vcpu *v)
{
    thread_sync_wakeups(true);                       /* the lock's next taker runs here */
    vcpu_unlock(v);
    spin_lock_irq(&nt->wq.lock);
    while (!nt->woken && g->state == GUEST_RUNNING)
        waitq_sleep(&nt->wq, &nt->wq.lock);
    spin_unlock_irq(&nt->wq.lock);
    thread_sync_wakeups(false);
    vcpu_lock(v);
}

/* Sleep on chan without the guest kernel lock; back with it. */
static void sleep_on(struct guest *g, struct native_sched *ns, struct vcpu *v, uint32_t chan)
{
    struct nthread *nt = self(ns, v);
    spin_lock_irq(&ns->lock);
    nt->chan = chan;
    nt->woken = 0;
    spin_unlock_irq(&ns->lock);
    wait_woken(g, nt, v);
}

static void vcpu_thread(void *arg)
{
    struct vcpu *v = arg;
    pushcli();
    current_thread()->cr3 = v->guest->root;
    write_cr3(v->guest->root);
    popcli();
    vcpu_run(v);
}

/* (name, fn, arg): a host thread with a new vCPU that starts at fn(arg). */
static bool spawn(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct native_sched *ns = state(g);
    struct vcpu *me = vcpu_current();
    learn_boot_handle(g, ns);
    *ret = 0;
    spin_lock_irq(&ns->lock);
    unsigned i = 1;
    while (i < NSLOTS && ns->t[i].state != NT_FREE) i++;
    if (i < NSLOTS)
        ns->t[i].state = NT_LIVE;
    spin_unlock_irq(&ns->lock);
    struct vcpu *v = i < NSLOTS && g->nvcpus < GUEST_MAX_VCPUS ? kzalloc(sizeof *v) : 0;
    if (!v) {
        if (i < NSLOTS) ns->t[i].state = NT_FREE;
        guest_end(g, GUEST_DEAD, -1, "sched peel: no room for another guest thread");
        return true;
    }
    uint32_t base = slot_base(g, i), top = base + SLOT_SIZE;
    uint32_t *stack = guest_ptr(g, top - 8, 8);
    memset(guest_ptr(g, base, RECORD), 0, RECORD);
    stack[0] = STUB(g);                                 /* fn's return address */
    stack[1] = a[2];                                 /* its argument */
    vcpu_clone(v, me, g->nvcpus, a[1], top - 8);
    v->sched_slot = i;
    struct nthread *nt = &ns->t[i];
    nt->v = v;
    nt->handle = base;
    nt->chan = 0;
    nt->woken = 0;
    waitq_init(&nt->wq, "guest thread");
    char name[THREAD_NAME] = "guest";
    const char *gname = guest_ptr(g, a[0], 1);
    if (gname) {
        size_t n = 0;
        while (n + 1 < sizeof name && guest_ptr(g, a[0] + n, 1) && gname[n] >= ' ' && gname[n] < 0x7f) {
            name[n] = gname[n];
            n++;
        }
        name[n] = '\0';
    }
    g->vcpus[g->nvcpus++] = v;
    __atomic_add_fetch(&g->live_vcpus, 1, __ATOMIC_ACQ_REL);
    struct thread *t = thread_create_on(name, vcpu_thread, v, sched_capacity_mask());
    if (!t) {
        __atomic_sub_fetch(&g->live_vcpus, 1, __ATOMIC_ACQ_REL);
        guest_end(g, GUEST_DEAD, -1, "sched peel: out of memory for a host thread");
        return true;
    }
    thread_detach(t);
    ns->spawns++;
    *ret = base;
    return true;
}

__attribute__((noreturn))
static void end_thread(struct native_sched *ns, struct vcpu *v)
{
    struct nthread *nt = self(ns, v);
    spin_lock_irq(&ns->lock);
    nt->state = NT_ZOMBIE;
    wake_chan(ns, nt->handle);                       /* a joiner sleeps on the thread itself */
    spin_unlock_irq(&ns->lock);
    vcpu_exit(v);
}

static bool sched_exit_(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    (void)a; (void)ret;
    struct vcpu *v = vcpu_current();
    if (v->sched_slot == 0) {
        guest_end(g, GUEST_DEAD, -1, "sched peel: the boot thread called sched_exit");
        return true;
    }
    end_thread(state(g), v);
}

/* #GP(0) at the return stub (claimed in the side table, site_claim): a
 * native thread's function returned. */
static bool stub_trap(struct vcpu *v, struct trapframe *tf, void *owner)
{
    (void)owner;
    struct native_sched *ns = state(v->guest);
    if (!ns || (uint32_t)tf->rip != STUB(v->guest) || v->sched_slot == 0)
        return false;
    end_thread(ns, v);
}

/* (thread): wait for it to end, then free its slot. */
static bool join(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct native_sched *ns = state(g);
    struct vcpu *v = vcpu_current();
    struct nthread *target = by_handle(g, ns, a[0]);
    if (!target)
        return false;                                /* not one of ours: the guest's own join */
    for (;;) {
        spin_lock_irq(&ns->lock);
        bool done = target->state == NT_ZOMBIE;
        if (done)
            target->state = NT_FREE;
        spin_unlock_irq(&ns->lock);
        if (done || g->state != GUEST_RUNNING)
            break;
        spin_lock_irq(&ns->lock);
        bool zombie = target->state == NT_ZOMBIE;    /* checked again with the channel set */
        struct nthread *me = self(ns, v);
        me->chan = zombie ? 0 : a[0];
        me->woken = 0;
        spin_unlock_irq(&ns->lock);
        if (!zombie)
            wait_woken(g, me, v);
    }
    *ret = 0;
    return true;
}

static bool yield(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    (void)a;
    struct vcpu *v = vcpu_current();
    state(g)->yields++;
    vcpu_unlock(v);
    thread_yield();
    vcpu_lock(v);
    *ret = 0;
    return true;
}

static bool sleep(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    state(g)->sleeps++;
    sleep_on(g, state(g), vcpu_current(), a[0]);
    *ret = 0;
    return true;
}

static bool wakeup(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    struct native_sched *ns = state(g);
    spin_lock_irq(&ns->lock);
    wake_chan(ns, a[0]);
    spin_unlock_irq(&ns->lock);
    *ret = 0;
    return true;
}

/* The guest's timer tick: its quantum is the host's business now. */
static bool tick(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    (void)g; (void)a;
    *ret = 0;
    return true;
}

/* ns->idle names the idle vCPU's thread only while it naps, and under
 * ns->lock, so a kicker never wakes a thread that has since exited (the
 * guest's end wakes the idle vCPU, which exits while others still let the
 * lock go). */
static void set_idle(struct native_sched *ns, struct thread *t)
{
    spin_lock_irq(&ns->lock);
    ns->idle = t;
    spin_unlock_irq(&ns->lock);
}

/* The idle thread: without the lock until a virtual interrupt is due, then
 * back into the guest with interrupts on at sched_idle's own entry, so the
 * interrupt is delivered there and its handler returns to another call. */
static bool idle(struct guest *g, const uint32_t *a, uint32_t *ret)
{
    (void)a; (void)ret;
    struct native_sched *ns = state(g);
    struct vcpu *v = vcpu_current();
    set_idle(ns, current_thread());
    ns->idles++;
    uint64_t t0 = time_ns();
    thread_sync_wakeups(false);
    vcpu_wait_interrupt(v, &ns->kick);
    set_idle(ns, 0);                                 /* awake: and it may exit before it naps again */
    ns->idle_ns += time_ns() - t0;
    /* An errand: deliver, let the handler wake whom it wakes (they run on
     * this CPU once we nap again), come back to sched_idle. */
    thread_sync_wakeups(true);
    v->vif = true;
    v->vif_writes++;
    v->frame_set = true;                             /* eip stays at sched_idle */
    return true;
}

/* A vCPU let the lock go: if a virtual interrupt is pending, wake the idle
 * vCPU so that somebody takes it even when every other vCPU is away. */
static void kick_if_pending(struct guest *g)
{
    struct native_sched *ns = state(g);
    if (!g->dev.hint_pending || !__atomic_load_n(&ns->idle, __ATOMIC_RELAXED) || gkl_contended(&g->gkl))
        return;                                      /* a taker will find it at its first trap */
    spin_lock_irq(&ns->lock);                        /* a hint is enough: the idle vCPU looks again */
    if (ns->idle && ns->idle != current_thread()) {
        ns->kicks++;
        thread_wake_napper(ns->idle, &ns->kick);
    }
    spin_unlock_irq(&ns->lock);
}

/* The guest ended: every vCPU asleep in a native wait wakes up and exits. */
static void guest_ended(struct guest *g)
{
    struct native_sched *ns = state(g);
    if (!ns)
        return;
    kprintf("guest %s: sched peel: %lu threads made, %lu sleeps, %lu yields; the idle vCPU came back %lu times "
            "(%lu kicks) and was away %lu ms\n", g->name, ns->spawns, ns->sleeps, ns->yields, ns->idles, ns->kicks,
            ns->idle_ns / 1000000);
    spin_lock_irq(&ns->lock);
    for (unsigned i = 0; i < NSLOTS; i++) {
        struct nthread *nt = &ns->t[i];
        if (nt->state != NT_LIVE)
            continue;
        spin_lock_irq(&nt->wq.lock);
        nt->woken = 1;
        waitq_wake_all_locked(&nt->wq);
        spin_unlock_irq(&nt->wq.lock);
    }
    if (ns->idle)
        thread_wake_napper(ns->idle, &ns->kick);
    spin_unlock_irq(&ns->lock);
}

/* By the last vCPU out: nothing runs the guest any more. */
static void release(struct guest *g, void *ns)
{
    for (unsigned i = 1; i < g->nvcpus; i++) {
        vcpu_add_counts(&g->vcpu, g->vcpus[i]);      /* `guest N stats` still adds up */
        kfree(g->vcpus[i]);
        g->vcpus[i] = 0;
    }
    g->nvcpus = g->nvcpus ? 1 : 0;
    kfree(ns);
}

/* The peel (boot-only, so never undone): the host-side state, the stub. */
static void changed(struct guest *g, bool peeled)
{
    if (!peeled || state(g))
        return;
    struct native_sched *ns = kzalloc(sizeof *ns);
    uint8_t *stub = guest_ptr(g, STUB(g), 1);
    if (!ns || !stub || !site_claim(g, STUB(g), stub_trap, ns)) {
        kfree(ns);
        guest_end(g, GUEST_DEAD, -1, "sched peel: out of memory");
        return;
    }
    spin_init(&ns->lock, "native sched");
    ns->t[0].state = NT_LIVE;
    ns->t[0].v = &g->vcpu;
    waitq_init(&ns->t[0].wq, "guest thread");
    ns->current_at = L_KEPT_U32(g, sched_current);
    *stub = TRAP_BYTE;
    native_state_install(g, &native_subsystem_sched, ns);
}

static const struct native natives[] = {
    { "sched_spawn", spawn, 0 },
    { "sched_exit", sched_exit_, 0 },
    { "sched_join", join, 0 },
    { "sched_yield", yield, 0 },
    { "sched_sleep", sleep, 0 },
    { "sched_wakeup", wakeup, 0 },
    { "sched_tick", tick, 0 },
    { "sched_idle", idle, 0 },
    { 0, 0, 0 },
};

/* Under the lock (its natives let go of it themselves where they block);
 * every guest thread a vCPU of its own. */
NATIVE_SUBSYSTEM(sched) = {
    .name = "sched",
    .natives = natives,
    .refuses = classic_layout_check,
    .threads_are_vcpus = true,
    .changed = changed,
    .lock_taken = running,
    .lock_released = kick_if_pending,
    .stack_top = stack_top,
    .ended = guest_ended,
    .release = release,
};
