/*
 * Gates: a run-time peel or unpeel that finds its subsystem busy closes the
 * subsystem's entry points to new callers, so that the calls already inside
 * drain out and the change lands under any load.
 *
 * What is gated is the subsystem and every subsystem sharing one of its
 * idle words: a lock word names the code that runs under it (classic's
 * fs_mutex is taken by fs and guards its cache), so all of that code must
 * drain before the word reads 0.  An unpeeled entry gets a trap of its own, a
 * gate site (the same bytes as a peel's, host/peel/arm.c); a peeled or
 * draining one is gated where it already traps.  A caller at a gate:
 *
 *   - passes if it is inside the gated code already (a return address into
 *     it on its stack: fs_read calling cache_read), if its virtual IF is off
 *     (it is in one of the guest's critical sections, which only the guest
 *     kernel lock protects: it must not let the lock go), or if the guest's
 *     threads are not vCPUs of their own (one vCPU that multiplexes them
 *     cannot wait: it would hold them all);
 *   - else waits at the entry without the lock, and makes its call again
 *     when the gates open: into the native if the peel landed, the guest's
 *     code if the unpeel did, the same as before if the request was withdrawn
 *     or abandoned.
 *
 * A waiting caller is not inside (quiesce.c skips it), and its trap is a
 * safe point: the change is tried first thing.  The lowest-numbered waiter
 * also comes back for the lock every GATE_LOOK_NS to try again, so the
 * change lands (or times out) even when every thread waits here and no
 * interrupt comes.  A caller held at a gate that holds something the calls
 * inside need — a lock the guest took outside the gated functions — stops
 * the drain; the request's timeout then opens the gates and says who was
 * inside.
 */
#include "host/peel/peel_priv.h"
#include "host/vmm/guest.h"
#include "host/vmm/vcpu.h"
#include "kernel/string.h"
#include "kernel/x86.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "smp/percpu.h"

_Static_assert(GUEST_MAX_VCPUS <= PEEL_MAX_PARKED, "a parked slot per vCPU");
_Static_assert(MANIFEST_MAX_SUBSYSTEMS <= 32, "gated subsystems are bits of a word");

#define GATE_LOOK_NS 10000000ull

/* The subsystem and those sharing an idle word with it. */
static uint32_t gated_set(const struct manifest *m, unsigned idx)
{
    const struct manifest_subsystem *s = &m->subsystems[idx];
    uint32_t set = 1u << idx;
    for (unsigned j = 0; j < m->nsubsystems; j++)
        for (unsigned a = 0; a < s->nidle; a++)
            for (unsigned b = 0; b < m->subsystems[j].nidle; b++)
                if (!strcmp(s->idle[a], m->subsystems[j].idle[b]))
                    set |= 1u << j;
    return set;
}

static bool has_site(const struct peels *p, uint32_t addr)
{
    for (unsigned k = 0; k < p->nsites; k++)
        if (p->sites[k].addr == addr)
            return true;
    return false;
}

static bool is_gate(struct guest *g, const struct peel_site *s, void *arg)
{
    (void)g; (void)arg;
    return s->gate;
}

/* At a safe point, for request r on subsystem idx: false if the gates
 * cannot close (the guest's threads are not vCPUs, or no room). */
bool peel_gates_close(struct guest *g, unsigned idx, int r)
{
    struct peels *p = g->peels;
    if (p->gated || !g->threads_are_vcpus)
        return false;
    uint32_t set = gated_set(&p->manifest, idx);
    unsigned first = p->nsites;
    for (unsigned j = 0; j < p->manifest.nsubsystems; j++) {
        if (!(set & (1u << j)))
            continue;
        peel_learn_subsystem(g, j);
        for (unsigned i = 0; i < p->manifest.subsystems[j].nfns; i++) {
            uint32_t lo = p->code[j][i].lo, hi = p->code[j][i].hi;
            if (!lo || has_site(p, lo))
                continue;                            /* no such function, or it traps already */
            struct peel_site *s = &p->sites[p->nsites];
            if (p->nsites == PEEL_MAX_SITES || !guest_ptr(g, lo, PEEL_PATCH_MAX) ||
                !sites_add(&g->sites, &(struct site){ .addr = lo, .kind = SITE_PEEL, .owner = s })) {
                while (p->nsites > first)
                    sites_remove(&g->sites, p->sites[--p->nsites].addr, SITE_PEEL);
                return false;
            }
            *s = (struct peel_site){ .addr = lo, .len = (uint8_t)peel_patch_length(g, lo, hi - lo),
                                     .subsystem = (uint8_t)j, .gate = true };
            memcpy(s->orig, &g->ram[lo], s->len);
            p->nsites++;
        }
    }
    for (unsigned k = first; k < p->nsites; k++)
        peel_arm(g, &p->sites[k]);
    p->gated = set;
    p->gate_request = r;
    p->gates_ns = time_ns();
    p->gate_held = 0;
    return true;
}

/* Wake the waiters (gen bumped: for good; else only to look again). */
static void wake_parked(struct peels *p, bool open)
{
    spin_lock_irq(&p->gate_lock);
    if (open)
        p->gate_gen++;
    for (unsigned i = 0; i < PEEL_MAX_PARKED; i++)
        if (p->parked[i].t)
            thread_wake_napper(p->parked[i].t, &p->parked[i].kick);
    spin_unlock_irq(&p->gate_lock);
}

/* By the lock holder: gate sites out, every waiter calls again. */
void peel_gates_open(struct guest *g)
{
    struct peels *p = g->peels;
    if (!p->gated)
        return;
    peel_sites_remove(g, is_gate, 0);
    p->gated = 0;
    p->gate_request = 0;
    wake_parked(p, true);
}

/* From anywhere (peel cancel, the guest's end): the waiters look again. */
void peel_gates_kick(struct guest *g)
{
    if (g->peels)
        wake_parked(g->peels, false);
}

bool peel_parked(struct guest *g, const struct vcpu *v)
{
    return v->index < PEEL_MAX_PARKED && g->peels->parked[v->index].t;
}

/* The lowest-numbered waiter comes back to try the change. */
static bool warden(struct peels *p, unsigned me)
{
    for (unsigned i = 0; i < me; i++)
        if (p->parked[i].t)
            return false;
    return true;
}

/* Wait at the gate without the lock until the gates open (or the guest
 * ends); back with it.  A trap of the lock holder, so a safe point first. */
static void park(struct guest *g, struct vcpu *v)
{
    struct peels *p = g->peels;
    unsigned me = v->index;
    spin_lock_irq(&p->gate_lock);
    p->parked[me].t = current_thread();
    unsigned gen = p->gate_gen;
    spin_unlock_irq(&p->gate_lock);
    p->gate_held++;
    for (;;) {
        p->last_scan = 0;                            /* this check is worth a stack scan */
        peel_safe_point(g);
        if (__atomic_load_n(&p->gate_gen, __ATOMIC_ACQUIRE) != gen || g->state != GUEST_RUNNING)
            break;
        vcpu_unlock(v);
        sti();
        for (;;) {
            __atomic_store_n(&p->parked[me].kick, 0, __ATOMIC_RELEASE);
            if (__atomic_load_n(&p->gate_gen, __ATOMIC_ACQUIRE) != gen || g->state != GUEST_RUNNING)
                break;
            thread_nap_ns(GATE_LOOK_NS, &p->parked[me].kick);
            if (!__atomic_load_n(&p->parked[me].kick, __ATOMIC_ACQUIRE) && warden(p, me))
                break;                               /* a look without being asked */
        }
        cli();
        vcpu_lock(v);
        if (__atomic_load_n(&p->gate_gen, __ATOMIC_ACQUIRE) != gen || g->state != GUEST_RUNNING)
            break;
    }
    spin_lock_irq(&p->gate_lock);
    p->parked[me].t = 0;
    spin_unlock_irq(&p->gate_lock);
}

/* A call at site s while its subsystem may be gated: true if the caller
 * waited (or the gates opened), and makes the call again from s's entry;
 * false if it goes on through s now. */
bool peel_gate(struct guest *g, struct peel_site *s)
{
    struct peels *p = g->peels;
    if (!(p->gated & (1u << s->subsystem)))
        return false;
    if (__atomic_load_n(&p->request, __ATOMIC_ACQUIRE) != p->gate_request) {
        peel_gates_open(g);                          /* withdrawn: s may be gone with them */
        return true;
    }
    struct vcpu *v = vcpu_current();
    if (!v->vif || !g->threads_are_vcpus || v->index >= PEEL_MAX_PARKED || g->host_stepping ||
        peel_vcpu_inside(g, v, p->gated, false, false))
        return false;
    park(g, v);
    return true;
}
