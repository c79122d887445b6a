/*
 * A deliberately broken lock for the lock-torture control (Linux's
 * lock_busted): its test-and-set is a separate load and store, so two CPUs
 * that see it free at the same moment both walk in.  The torture case must
 * catch it; if it ever stops doing so, the torture test has lost its teeth.
 */
#include "tests/stress/broken_lock.h"
#include "smp/spinlock.h"
#include "kernel/x86.h"

void broken_lock(struct broken_lock *l)
{
    preempt_disable();
    while (__atomic_load_n(&l->locked, __ATOMIC_ACQUIRE))
        cpu_relax();
    /* BUG on purpose: another CPU may have stored 1 since our load saw 0.
     * The pause between widens that window: under TCG on a busy 2-core host
     * vCPUs overlap rarely, and a control that catches the bug only
     * sometimes is no control. */
    for (int i = 0; i < 200; i++)
        cpu_relax();
    __atomic_store_n(&l->locked, 1, __ATOMIC_RELAXED);
}

void broken_unlock(struct broken_lock *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    preempt_enable();
}
