/* The clock: nanoseconds since boot from the TSC, calibrated once by the
 * local APIC against the PIT (smp/lapic.c), and the rate of the tick. */
#pragma once
#include <stdint.h>

#define HZ 100                      /* LAPIC timer ticks per second */

void time_init(uint64_t tsc_hz);
uint64_t time_ns(void);
uint64_t time_tsc_hz(void);
/* Under TCG a clock read takes a lock QEMU shares between all CPUs: a
 * spinner that read it every turn would slow the holder it waits for, so
 * spin loops look at the clock every SPIN_CLOCK_EVERY turns. */
#define SPIN_CLOCK_EVERY 32
