/* The host profiler: every LAPIC timer tick records where the CPU was (a
 * host function, "guest" for ring 1, "idle" in the idle loop's halt), so
 * `hprof` can say where the host's own time goes. */
#pragma once
#include "kernel/trap.h"

void hprof_tick(const struct trapframe *tf);
void hprof_monitor_init(void);
