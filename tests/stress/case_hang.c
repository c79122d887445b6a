/*
 * The watchdog's control: one CPU turns interrupts off and spins forever,
 * so its heartbeat stops.  The watchdog (kernel/watchdog.c) must notice,
 * print that CPU's registers and backtrace, and end the run with
 * EXIT_HANG.  Never part of stress=all: it ends the run by design.
 */
#include "tests/stress/stress.h"
#include "kernel/console.h"
#include "kernel/x86.h"

static void __attribute__((noinline)) spin_with_interrupts_off(void)
{
    cli();
    for (;;)
        cpu_relax();
}

static void hang(struct stress_run *r, unsigned cpu, unsigned slot)
{
    (void)slot;
    if (cpu != r->ncpus - 1)
        return;
    kprintf("# hang-control: cpu %u disables interrupts and spins; the watchdog must fire\n", cpu);
    spin_with_interrupts_off();
}

const struct stress_case stress_hang_control =
    { "hang-control", 2, 1, 0, true, true, 0, hang, 0 };
