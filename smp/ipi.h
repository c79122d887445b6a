/* Inter-processor interrupts: reschedule, call a function, TLB shootdown,
 * stop (panic). */
#pragma once
#include <stdint.h>
#include <stdbool.h>

typedef void (*ipi_fn_t)(void *arg);

void ipi_init(void);
void ipi_resched(unsigned cpu);
/* Run fn(arg) on `cpu` with interrupts off and wait until it has run. */
void ipi_call(unsigned cpu, ipi_fn_t fn, void *arg);
/* Run fn(arg) on every online CPU, this one included; wait for all. */
void ipi_call_all(ipi_fn_t fn, void *arg);
/* Invalidate [va, va + pages * 4 KiB) on every online CPU; wait for all. */
void tlb_shootdown(uint64_t va, unsigned pages);
void ipi_stop_others(void);
/* Send cpu a call that does nothing (false if the last one is still
 * unanswered); ipi_pong says whether it has run. */
bool ipi_ping(unsigned cpu);
bool ipi_pong(unsigned cpu);
uint64_t ipi_count(unsigned cpu);
