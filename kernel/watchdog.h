/*
 * The heartbeat watchdog.  Every CPU's timer tick bumps cpu->heartbeat, and
 * idle CPUs tick until they stop their timer (tick_stopped, sched/tick.c: then
 * they are halted, not watched), so a heartbeat that stops advancing means
 * that CPU runs with interrupts off (a spin with cli, a lost unlock) or is
 * dead.
 * One watcher thread per CPU checks every CPU, so any CPU that still
 * schedules can report any other.  On a stall the watcher asks the stuck
 * CPU for its registers and backtrace with an NMI (trap.c answers it) and
 * ends the run with qemu_exit(EXIT_HANG) instead of hanging.
 *
 * Started by the stress suite; it costs one wakeup per CPU every 500 ms.
 * With one CPU nobody is left to notice: the harness's timeout does.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define WATCHDOG_STALL_NS (5 * 1000000000ull)

unsigned watchdog_start(uint64_t stall_ns);    /* watchers started (0 on one CPU) */
/* For the NMI handler: was a dump asked of this CPU?  Clears the request. */
bool watchdog_dump_requested(unsigned cpu);
void watchdog_dump_done(void);
