/* timer: 8254 PIT channel 0 on IRQ 0, the kernel's only clock. */
#ifndef CLASSIC_TIMER_H
#define CLASSIC_TIMER_H
#include "types.h"

void timer_init(uint32_t hz);
void timer_irq(void);
uint32_t timer_now(void);
void timer_sleep(uint32_t ticks);
void timer_watchdog_arm(uint32_t ticks_from_now);
void timer_watchdog_disarm(void);

extern volatile uint32_t timer_ticks;
extern uint32_t timer_hz;
extern uint32_t timer_watchdog_deadline;   /* 0 = disarmed */

#endif
