/* The local APIC (xAPIC, memory-mapped): EOI, IPIs, the per-CPU timer. */
#pragma once
#include <stdint.h>
#include <stdbool.h>

void lapic_init_bsp(uint64_t phys);     /* map it; calibrate timer and TSC against the PIT */
void lapic_init_cpu(void);              /* enable, mask LINT, start the periodic timer */
/* What each tick runs after counting it (cpu->ticks, ->heartbeat): the
 * scheduler's, registered once; smp/ names no scheduler. */
void lapic_on_tick(void (*fn)(void));
void lapic_timer_stop(void);            /* this CPU's tick: off while it idles (sched/tick.c) */
void lapic_timer_start(void);           /* and on again */
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Delivery modes for lapic_send */
#define ICR_FIXED   0x000
#define ICR_NMI     0x400
#define ICR_INIT    0x500
#define ICR_STARTUP 0x600
#define ICR_ALL_BUT_SELF (3u << 18)
bool lapic_send(uint32_t apic_id, uint32_t icr_low);   /* false if delivery stuck */
void udelay(uint64_t us);
