/*
 * Quiescence: may a subsystem change hands at run time now?  Not while a
 * native call of it runs without the lock, nor while a guest thread is
 * inside the guest's own version of it.
 */
#include "host/peel/peel_priv.h"
#include "host/vmm/guest.h"
#include "host/vmm/vcpu.h"
#include "sched/sched.h"
#include "kernel/printf.h"
#include <stdarg.h>

/* Is some guest thread inside the subsystem's guest functions: executing
 * one, or with a return address into one on its stack?  Every thread is a
 * vCPU (guest->threads_are_vcpus), each one not holding the lock is in the
 * host with its guest state in its last trap frame, so all their stacks can
 * be seen (frames.c reads them: where it cannot follow the frames it errs
 * towards "inside", which only makes the change wait). */

/* What a change waits for (and when it last found it so), for the
 * monitor's peels, the landing's report and the sentence of an abandoned
 * request (written by the lock holder, read by the monitor: a
 * line that changes as it is read is only a line of text). */
static void waiting(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void waiting(struct guest *g, const char *fmt, ...)
{
    va_list ap;
    g->peels->busy_ns = time_ns();
    va_start(ap, fmt);
    vsnprintf(g->peels->waiting, sizeof g->peels->waiting, fmt, ap);
    va_end(ap);
}

struct looking { uint32_t set; unsigned vcpu; bool say; };

/* Is a, a vCPU's EIP or a return address on its stack, in one of the
 * subsystems of the set?  Said with the function's name when asked. */
static bool inside(struct guest *g, uint32_t a, bool at_eip, void *arg)
{
    const struct looking *l = arg;
    for (unsigned idx = 0; idx < g->peels->manifest.nsubsystems; idx++) {
        int fn = l->set & (1u << idx) ? peel_fn_at(g, idx, a) : -1;
        if (fn < 0)
            continue;
        if (l->say)
            waiting(g, "the guest thread on vCPU %u, %s %s (0x%x)", l->vcpu, at_eip ? "running in" : "called through",
                    g->peels->manifest.subsystems[idx].fns[fn].symbol, a);
        return true;
    }
    return false;
}

bool peel_vcpu_inside(struct guest *g, struct vcpu *v, uint32_t set, bool at_eip, bool say)
{
    for (unsigned idx = 0; idx < g->peels->manifest.nsubsystems; idx++)
        if (set & (1u << idx))
            peel_learn_subsystem(g, idx);
    return frames_visit(g, v, at_eip, inside, &(struct looking){ set, v->index, say });
}

/* A caller held at a gate (gate.c) is at a function's entry, but not
 * inside: it calls again when the gates open. */
static bool thread_inside(struct guest *g, unsigned idx)
{
    for (unsigned i = 0; i < g->nvcpus; i++) {
        struct vcpu *v = g->vcpus[i];
        if (v && !v->exited && !peel_parked(g, v) && peel_vcpu_inside(g, v, 1u << idx, true, true))
            return true;
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
    unsigned n = peel_calls_outside(g->peels, idx);
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
