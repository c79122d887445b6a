#include "smp/percpu.h"
#include "kernel/x86.h"

struct cpu cpus[MAX_CPUS];
unsigned ncpus = 1;

cpumask_t cpus_online(void)
{
    cpumask_t m = 0;
    for (unsigned i = 0; i < ncpus; i++)
        if (cpus[i].online) m |= (cpumask_t)1 << i;
    return m;
}

/* Runs on the CPU itself: after this, this_cpu() works. */
void percpu_init(unsigned id, uint32_t apic_id)
{
    struct cpu *c = &cpus[id];
    c->self = c;
    c->id = id;
    c->apic_id = apic_id;
    list_init(&c->calls);
    spin_init(&c->call_lock, "calls");
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    wrmsr(MSR_KERNEL_GS, 0);
}
