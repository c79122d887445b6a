#include "host/vmm/gkl.h"
#include "host/vmm/vcpu.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "sched/sched.h"
#include "sched/thread.h"

#define SPIN_NS 30000ull                     /* about two guest trap round trips under TCG */

void gkl_init(struct gkl *l)
{
    l->holder = l->last = 0;
    l->sleepers = 0;
    waitq_init(&l->wq, "gkl");
    l->since = l->held_ns = l->acquisitions = l->handoffs = l->spun = l->slept = 0;
}

static bool try_take(struct gkl *l, struct vcpu *v)
{
    struct vcpu *none = 0;
    return !l->holder &&
           __atomic_compare_exchange_n(&l->holder, &none, v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

/* Is the holder on a CPU right now (so spinning for it makes sense)? */
static bool holder_running(const struct gkl *l)
{
    struct vcpu *h = l->holder;
    struct thread *t = h ? h->thread : 0;
    return t && thread_on_cpu(t);
}

void gkl_acquire(struct gkl *l, struct vcpu *v)
{
    if (l->holder == v)
        panic("gkl: vCPU %u takes the guest kernel lock twice", v->index);
    bool waited = false, slept = false;
    if (!try_take(l, v)) {
        waited = true;
        uint64_t until = time_ns() + SPIN_NS;
        for (unsigned spins = 1; !try_take(l, v); spins++) {
            spin_turn(spins);
            if (l->holder && (!holder_running(l) || (spins % SPIN_CLOCK_EVERY == 0 && time_ns() > until))) {
                spin_lock_irq(&l->wq.lock);
                __atomic_add_fetch(&l->sleepers, 1, __ATOMIC_SEQ_CST);
                while (!try_take(l, v)) {
                    slept = true;
                    waitq_sleep(&l->wq, &l->wq.lock);
                }
                __atomic_sub_fetch(&l->sleepers, 1, __ATOMIC_SEQ_CST);
                spin_unlock_irq(&l->wq.lock);
                break;
            }
        }
    }
    l->since = time_ns();
    l->paused = false;
    l->acquisitions++;
    l->spun += waited && !slept;
    l->slept += slept;
    if (l->last != v)
        l->handoffs++;
    l->last = v;
}

void gkl_release(struct gkl *l, struct vcpu *v)
{
    if (l->holder != v)
        panic("gkl: vCPU %u releases a guest kernel lock it does not hold", v->index);
    if (!l->paused)
        l->held_ns += time_ns() - l->since;
    l->paused = false;
    __atomic_store_n(&l->holder, 0, __ATOMIC_SEQ_CST);
    /* A taker counts itself among the sleepers before its last try: either
     * it sees the lock free, or we see it and wake it. */
    if (__atomic_load_n(&l->sleepers, __ATOMIC_SEQ_CST))
        waitq_wake_one(&l->wq);
}

bool gkl_held_by(const struct gkl *l, const struct vcpu *v)
{
    return l->holder == v;
}

void gkl_pause(struct gkl *l, const struct vcpu *v)
{
    if (l->holder == v && !l->paused) {
        l->held_ns += time_ns() - l->since;
        l->paused = true;
    }
}

void gkl_resume(struct gkl *l, const struct vcpu *v)
{
    if (l->holder == v && l->paused) {
        l->since = time_ns();
        l->paused = false;
    }
}

bool gkl_contended(const struct gkl *l)
{
    return __atomic_load_n(&l->sleepers, __ATOMIC_RELAXED) != 0;
}

uint64_t gkl_held_ns(const struct gkl *l)
{
    uint64_t since = l->since;
    return l->held_ns + (l->holder && !l->paused ? time_ns() - since : 0);
}
