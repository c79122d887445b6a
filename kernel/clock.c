/* The TSC clock: calibrated once (smp/lapic.c), one scale for every CPU. */
#include "kernel/clock.h"
#include "kernel/x86.h"

static uint64_t tsc0, tsc_hz, ns_mult;       /* ns = (tsc delta * ns_mult) >> 32 */

void time_init(uint64_t hz)
{
    tsc_hz = hz;
    ns_mult = (1000000000ull << 32) / hz;
    tsc0 = rdtsc();
}

uint64_t time_tsc_hz(void) { return tsc_hz; }

uint64_t time_ns(void)
{
    return (uint64_t)(((unsigned __int128)(rdtsc() - tsc0) * ns_mult) >> 32);
}
