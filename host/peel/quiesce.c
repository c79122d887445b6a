/*
 * Quiescence: may a subsystem change hands at run time now?  Not while a
 * native call of it runs without the lock, nor while a guest thread is
 * inside the guest's own version of it.
 */
#include "host/peel/peel_priv.h"
#include "host/vmm/guest.h"
#include "host/peel/natives.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/gmem.h"
#include "sched/sched.h"
#include "kernel/printf.h"
#include <stdarg.h>

/* Is some guest thread inside the subsystem's guest functions: executing
 * one, or with a return address into one on its stack?  Every thread is a
 * vCPU (guest->threads_are_vcpus), each one not holding the lock is in the
 * host with its guest state in its last trap frame, so all their stacks can
 * be seen.  The scan is conservative: a stale word that looks like a return
 * address only makes the change wait. */
#define BOOT_STACK_SCAN 16384u

/* What a change waits for, for the monitor's peels and the sentence of an
 * abandoned request (written by the lock holder, read by the monitor: a
 * line that changes as it is read is only a line of text). */
static void waiting(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void waiting(struct guest *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->peels->waiting, sizeof g->peels->waiting, fmt, ap);
    va_end(ap);
}

/* vCPU v is inside the subsystem at a (its EIP, or a return address on its
 * stack): said with the function's name. */
static bool inside(struct guest *g, unsigned idx, unsigned vcpu, uint32_t a, bool at_eip)
{
    int fn = peel_fn_at(g, idx, a);
    if (fn < 0)
        return false;
    waiting(g, "the guest thread on vCPU %u, %s %s (0x%x)", vcpu, at_eip ? "running in" : "called through",
            g->peels->manifest.subsystems[idx].fns[fn].symbol, a);
    return true;
}

static bool thread_inside(struct guest *g, unsigned idx)
{
    peel_learn_subsystem(g, idx);
    for (unsigned i = 0; i < g->nvcpus; i++) {
        struct vcpu *v = g->vcpus[i];
        if (!v || v->exited)
            continue;
        const struct trapframe *tf = v->tf ? v->tf : &v->boot;
        uint32_t esp = (uint32_t)tf->rsp, top = natives_stack_top(g, v);
        if (inside(g, idx, i, (uint32_t)tf->rip, true))
            return true;
        if (!top)
            top = esp + BOOT_STACK_SCAN;
        /* its stack through its SS and its paging, setting nothing (it is
         * stopped in the host, and this is the lock holder's safe point) */
        uint64_t ss = vcpu_descriptor(v, (uint16_t)tf->ss);
        for (uint32_t a = esp & ~3u; a >= esp && a + 4 <= top; a += 4) {
            uint32_t lin, w;
            struct gfault f;
            if (!gmem_linear_desc(ss, true, a, 4, GMEM_READ, &lin, &f) || !gmem_peek_lin(v, lin, &w, 4))
                break;
            if (inside(g, idx, i, w, false))
                return true;
        }
    }
    return false;
}

/* May the subsystem change hands now?  Not while one of its native calls
 * runs without the lock, nor while a guest thread is inside the guest's own
 * version (its idle words, locks, are not 0; a thread's stack goes
 * through it). */
bool peel_quiet(struct guest *g, unsigned idx)
{
    const struct manifest_subsystem *s = &g->peels->manifest.subsystems[idx];
    unsigned n = __atomic_load_n(&g->peels->inflight[idx], __ATOMIC_ACQUIRE);
    if (n) {
        waiting(g, "%u native call%s of it running outside the guest kernel lock", n, n == 1 ? "" : "s");
        return false;
    }
    peel_learn_subsystem(g, idx);
    for (unsigned i = 0; i < s->nidle; i++) {
        uint32_t at = g->peels->idle_at[idx][i];
        const uint32_t *w = at ? guest_ptr(g, at, 4) : 0;
        if (w && *w) {
            waiting(g, "its idle word %s (0x%x) to be 0: it holds 0x%x", s->idle[i], at, *w);
            return false;
        }
    }
    if (!s->nidle || g->state != GUEST_RUNNING)
        return true;
    if (!g->threads_are_vcpus)
        return false;
    uint64_t now = time_ns();                        /* the stack scan is not for every trap */
    if (now - g->peels->last_scan < 1000000ull)
        return false;
    g->peels->last_scan = now;
    return !thread_inside(g, idx);
}
