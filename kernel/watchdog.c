#include "kernel/watchdog.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "kernel/power.h"
#include "kernel/x86.h"
#include "smp/lapic.h"
#include "smp/percpu.h"
#include "sched/sched.h"
#include "sched/thread.h"

#define WATCH_PERIOD_NS (500 * 1000000ull)

static struct spinlock seen_lock = SPINLOCK_INIT("watchdog");
static struct { uint64_t heartbeat, since; } seen[MAX_CPUS];   /* last change seen */
static uint64_t stall_limit;
static volatile bool fired;
static volatile uint64_t dump_wanted;      /* bit n: CPU n owes us a dump */
static volatile bool dump_done;

bool watchdog_dump_requested(unsigned cpu)
{
    uint64_t bit = 1ull << cpu;
    return __atomic_fetch_and(&dump_wanted, ~bit, __ATOMIC_ACQ_REL) & bit;
}

void watchdog_dump_done(void) { __atomic_store_n(&dump_done, true, __ATOMIC_RELEASE); }

/* Only the first watcher to see a stall reports; the rest stand aside. */
static void __attribute__((noreturn)) report(unsigned cpu, uint64_t heartbeat, uint64_t stalled)
{
    if (__atomic_exchange_n(&fired, true, __ATOMIC_ACQ_REL))
        for (;;) thread_sleep_ns(WATCH_PERIOD_NS);
    /* unlocked: the stuck CPU may hold the console lock */
    console_printf_unlocked("watchdog: cpu %u heartbeat stuck at %lu for %lu ms; NMI for a backtrace\n",
                            cpu, heartbeat, stalled / 1000000);
    __atomic_or_fetch(&dump_wanted, 1ull << cpu, __ATOMIC_ACQ_REL);
    lapic_send(cpu_of(cpu)->apic_id, ICR_NMI);
    uint64_t until = time_ns() + 4 * WATCH_PERIOD_NS;
    while (!__atomic_load_n(&dump_done, __ATOMIC_ACQUIRE) && time_ns() < until)
        cpu_relax();
    if (!dump_done)
        console_printf_unlocked("watchdog: cpu %u did not answer the NMI\n", cpu);
    console_printf_unlocked("watchdog: hang on cpu %u, ending the run\n", cpu);
    qemu_exit(EXIT_HANG);
    panic("watchdog: cpu %u hung (no isa-debug-exit to leave through)", cpu);
}

/* Time is read under the lock: watchers on other CPUs update `since` too,
 * and a `now` read before theirs would make the stall look negative. */
static void check(unsigned cpu)
{
    spin_lock_irq(&seen_lock);
    uint64_t now = time_ns();
    uint64_t hb = __atomic_load_n(&cpu_of(cpu)->heartbeat, __ATOMIC_RELAXED);
    if (hb != seen[cpu].heartbeat || !seen[cpu].since || cpu_of(cpu)->tick_stopped) {
        seen[cpu].heartbeat = hb;
        seen[cpu].since = now;
    }
    uint64_t stalled = now - seen[cpu].since;
    spin_unlock_irq(&seen_lock);
    if (stalled >= stall_limit && cpu != this_cpu()->id)
        report(cpu, hb, stalled);
}

static void watch(void *arg)
{
    (void)arg;
    for (;;) {
        for (unsigned i = 0; i < ncpus; i++)
            if (cpu_of(i)->online)
                check(i);
        thread_sleep_ns(WATCH_PERIOD_NS);
    }
}

unsigned watchdog_start(uint64_t stall_ns)
{
    unsigned started = 0;
    stall_limit = stall_ns;
    if (ncpus < 2)
        return 0;
    for (unsigned i = 0; i < ncpus; i++)
        started += thread_create_on("watchdog", watch, 0, (cpumask_t)1 << i) != 0;
    return started;
}
