#include "kernel/hprof.h"
#include "kernel/monitor.h"
#include "kernel/console.h"
#include "kernel/string.h"
#include "smp/percpu.h"
#include "sched/thread.h"

#define SLOTS 512                        /* open addressing, keyed by the symbol's name pointer */

const char *ksym_lookup(uint64_t addr, uint64_t *offset);   /* kernel/panic.c */

static struct { const char *volatile name; uint64_t count; } slots[SLOTS];
static uint64_t total, dropped;

static void count(const char *name)
{
    unsigned h = (unsigned)(((uintptr_t)name >> 3) * 2654435761u) % SLOTS;
    for (unsigned i = 0; i < SLOTS; i++, h = (h + 1) % SLOTS) {
        const char *cur = slots[h].name;
        if (!cur && __atomic_compare_exchange_n(&slots[h].name, &cur, name, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            cur = name;
        if (cur == name) {
            __atomic_add_fetch(&slots[h].count, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    __atomic_add_fetch(&dropped, 1, __ATOMIC_RELAXED);
}

void hprof_tick(const struct trapframe *tf)
{
    uint64_t off;
    __atomic_add_fetch(&total, 1, __ATOMIC_RELAXED);
    if (tf->cs & 3)
        count("(guest code, ring 1)");
    else if (this_cpu()->current && this_cpu()->current->idle)
        count("(idle)");
    else {
        const char *name = ksym_lookup(tf->rip, &off);
        /* A tick that waited for interrupts to come back on lands at the
         * sti: in popcli, or where a trap handler re-enables them.  The
         * time was spent in the interrupts-off stretch before, so charge
         * the function two frames up (the one that released the lock). */
        if (name && !strcmp(name, "popcli")) {
            const uint64_t *fp = (const uint64_t *)tf->rbp;
            if ((uint64_t)fp >= 0xffff800000000000ull && fp[0] >= 0xffff800000000000ull) {
                const char *up = ksym_lookup(((const uint64_t *)fp[0])[1], &off);
                if (up) name = up;
            }
        }
        count(name ? name : "(unknown)");
    }
}

/* hprof [N | reset]: the N hottest places, by share of timer ticks */
static void cmd_hprof(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "reset")) {
        for (unsigned i = 0; i < SLOTS; i++) slots[i].count = 0;
        total = dropped = 0;
        return;
    }
    unsigned top = monitor_uint(argc, argv, 1, 20);
    bool shown[SLOTS] = { false };
    kprintf("  %lu ticks on all CPUs\n", total);
    for (unsigned r = 0; r < top; r++) {
        int best = -1;
        for (unsigned i = 0; i < SLOTS; i++)
            if (slots[i].name && !shown[i] && slots[i].count && (best < 0 || slots[i].count > slots[best].count))
                best = (int)i;
        if (best < 0) break;
        shown[best] = true;
        kprintf("  %5lu.%lu%%  %s\n", slots[best].count * 100 / (total + !total),
                slots[best].count * 1000 / (total + !total) % 10, slots[best].name);
    }
}

void hprof_monitor_init(void)
{
    monitor_register("hprof", "hprof [N|reset]: where the host's CPUs spend their timer ticks", cmd_hprof);
}
