/*
 * A call at a peel site: the native replacement runs with the arguments
 * from the guest stack and the host returns as `ret` would; or the native
 * declines and the guest's own code runs the call, its displaced bytes
 * single-stepped (the fall-through).
 */
#include "host/peel/peel_priv.h"
#include "host/vmm/guest.h"
#include "host/peel/natives.h"
#include "host/peel/prof.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/gmem.h"
#include "host/decode/decode.h"
#include "kernel/clock.h"
#include "kernel/x86.h"
#include "sched/thread.h"

static struct peel_site *site_at(struct guest *g, uint32_t addr)
{
    const struct site *e = sites_find(&g->sites, addr, SITE_PEEL);
    return e ? e->owner : 0;
}

/* cdecl: [esp] return address, [esp + 4 * (i + 1)] argument i; the result
 * goes in EAX and the host returns as `ret` would (the caller pops the
 * arguments).  Every native runs with host interrupts on: it is host code
 * doing the guest's work, which may sleep (the sched natives) and must never
 * hold a CPU deaf to its timer and IPIs.  A native of an outside-gkl
 * subsystem also runs without the guest kernel lock — unless the caller has
 * its own interrupts off (then it is inside one of the guest's critical
 * sections, which the lock is all that protects), or the native is quick
 * (natives.h: the lock's hand-off would cost more than the call). */
/* The guest's own code runs the call: its first bytes back until it has
 * stepped past them (TF), then the patch again (peel_step_done). */
static void fall_through(struct guest *g, struct trapframe *tf, struct peel_site *s)
{
    s->fell_through++;
    peel_unarm(g, s);
    g->host_stepping_guest_tf = tf->rflags & EFLAGS_TF;
    tf->rflags |= EFLAGS_TF;
    g->host_stepping = (unsigned)(s - g->peels->sites) + 1;
}

/* The lock around a native of an outside-gkl subsystem: let go, and taken
 * back (pv->outside says which subsystem's native runs without it). */
static void go_outside(struct vcpu *v, struct peel_vcpu *pv, unsigned sub)
{
    __atomic_store_n(&pv->outside, (uint8_t)(sub + 1), __ATOMIC_RELEASE);
    vcpu_unlock(v);
}

static void come_back(struct vcpu *v, struct peel_vcpu *pv)
{
    __atomic_store_n(&pv->outside, 0, __ATOMIC_RELEASE);
    vcpu_lock(v);
}

void peel_call(struct guest *g, struct trapframe *tf, struct peel_site *s)
{
    struct peels *p = g->peels;
    if (peel_gate(g, s))
        return;                                      /* it waited: the call again, through what is there now */
    if (s->gate) {
        fall_through(g, tf, s);                      /* a gate passed: the guest's own function */
        return;
    }
    uint32_t eip = (uint32_t)tf->rip;
    struct vcpu *v = vcpu_current();
    const struct native *native = s->native;
    unsigned sub = s->subsystem, nargs = s->nargs;
    struct peel_vcpu *pv = &p->vcpu[v->index];
    bool outside = p->manifest.subsystems[sub].outside_gkl && v->vif;
    bool quick = outside && (native->flags & NATIVE_QUICK);
    bool served = false, counted = tf->vector != VEC_GUEST_ENTRY;   /* (a hlt site's #GP was sampled) */
    uint32_t gen = g->sites.gen;
    bool let_go = outside && !quick;                 /* the lock goes around the call */
    /* Under the lock the guest is stopped, and every instruction of the
     * host's there makes the other vCPUs wait: so a call that goes out
     * goes before its stack is read, where that read needs nothing the
     * lock guards (paging off: the stack is guest RAM, as the buffers the
     * natives read without it are), and counts its trap out there too. */
    bool out = let_go && !(v->cr0 & CR0_PG);
    if (out)
        go_outside(v, pv, sub);
    /* the return address and the arguments, read through SS and the
     * guest's paging as its own code would read them; a stack that cannot
     * be read falls through: the guest's code then takes the fault itself */
    uint32_t words[1 + 8] = { 0 }, args[8], ret = 0;
    struct gfault f;
    uint32_t bytes = 4 * (nargs + 1u);
    const void *flat = gmem_fast(v, vcpu_seg_cache(v, SEG_SS), (uint32_t)tf->rsp, bytes, GMEM_READ);
    if (!flat && out) {
        come_back(v, pv);                            /* the general read: the lock's */
        out = false;
    }
    bool stack = flat ? (__builtin_memcpy(words, flat, bytes), true)
                      : gmem_read(v, SEG_SS, (uint32_t)tf->rsp, words, bytes, GMEM_READ, &f);
    if (!counted)
        prof_count_trap(g, v, eip);
    uint32_t ret_addr = words[0];
    for (unsigned i = 0; i < nargs; i++)
        args[i] = words[1 + i];
    if (stack) {
        if (let_go && !out) {
            go_outside(v, pv, sub);
            out = true;
        }
        if (quick)
            pv->quick = (uint8_t)(sub + 1);
        uint64_t t0 = time_ns(), switches = current_thread()->switches;
        sti();
        served = native->fn(g, args, &ret);
        cli();
        if (served && current_thread()->switches == switches) {
            pv->native_ns[sub] += time_ns() - t0;    /* (a sleep or a preemption is not its cost) */
            pv->timed[sub]++;
        }
        if (quick && !pv->quick)
            out = true;                              /* it had to wait after all (native_may_wait) */
        pv->quick = 0;
    }
    if (out)
        come_back(v, pv);
    if (g->state != GUEST_RUNNING)
        return;                                      /* vcpu_trap ends this vCPU */
    if (g->sites.gen != gen)
        s = site_at(g, eip);                         /* the table changed meanwhile */
    if (!served) {
        if (s)
            fall_through(g, tf, s);                  /* (unpeeled meanwhile: the guest's code is back) */
        return;
    }
    pv->calls[sub]++;
    if (v->frame_set) {
        v->frame_set = false;                        /* the native placed the guest itself */
        return;
    }
    tf->rax = ret;
    tf->rip = ret_addr;
    tf->rsp = (uint32_t)(tf->rsp + 4);
}

uint64_t peel_calls(const struct peels *p, unsigned sub)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < PEEL_MAX_PARKED; i++)
        n += p->vcpu[i].calls[sub];
    return n;
}

uint64_t peel_native_ns(const struct peels *p, unsigned sub, uint64_t *timed)
{
    uint64_t ns = 0, n = 0;
    for (unsigned i = 0; i < PEEL_MAX_PARKED; i++) {
        ns += p->vcpu[i].native_ns[sub];
        n += p->vcpu[i].timed[sub];
    }
    *timed = n;
    return ns;
}

unsigned peel_calls_outside(const struct peels *p, unsigned sub)
{
    unsigned n = 0;
    for (unsigned i = 0; i < PEEL_MAX_PARKED; i++)
        n += __atomic_load_n(&p->vcpu[i].outside, __ATOMIC_ACQUIRE) == sub + 1;
    return n;
}

bool native_holds_lock(struct guest *g)
{
    struct vcpu *v = vcpu_current();
    return v && v->guest == g && g->peels->vcpu[v->index].quick;
}

void native_may_wait(struct guest *g)
{
    struct vcpu *v = vcpu_current();
    if (!native_holds_lock(g))
        return;
    struct peels *p = g->peels;
    struct peel_vcpu *pv = &p->vcpu[v->index];
    __atomic_store_n(&pv->outside, pv->quick, __ATOMIC_RELEASE);
    pv->quick = 0;
    cli();                                           /* as peel_call lets it go */
    vcpu_unlock(v);
    sti();
}

bool peel_step_done(struct guest *g, struct trapframe *tf)
{
    struct peels *p = g->peels;
    if (!g->host_stepping)
        return false;
    const struct peel_site *s = &p->sites[g->host_stepping - 1];
    if ((uint32_t)tf->rip - s->addr < s->len)
        return true;                                 /* still inside the patch's bytes: one more step */
    peel_arm(g, s);
    g->host_stepping = 0;
    if (g->host_stepping_guest_tf)
        return false;                                /* the guest's own #DB: one for the displaced bytes */
    tf->rflags &= ~(uint64_t)EFLAGS_TF;
    return true;
}
