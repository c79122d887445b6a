/* timer: the PIT runs in mode 2 (rate generator): one IRQ 0 edge every
 * `divisor` input clocks of 1.193182 MHz, with no reprogramming per tick.
 * Each tick wakes timer sleepers, charges the running thread's slice and
 * checks the watchdog. */
#include "timer.h"
#include "exit.h"
#include "console.h"
#include "sched.h"
#include "trap.h"
#include "x86.h"

#define PIT_CH0   0x40
#define PIT_CMD   0x43
#define PIT_HZ    1193182u
#define PIT_MODE2 0x34      /* channel 0, lobyte/hibyte, mode 2, binary */

volatile uint32_t timer_ticks;
uint32_t timer_hz;
uint32_t timer_watchdog_deadline;

API __init void timer_init(uint32_t hz)
{
    uint32_t divisor = (PIT_HZ + hz / 2) / hz;
    timer_hz = hz;
    outb(PIT_CMD, PIT_MODE2);
    outb(PIT_CH0, divisor & 0xff);
    outb(PIT_CH0, divisor >> 8);
    trap_set_irq(0, timer_irq);
}

API void timer_irq(void)
{
    timer_ticks++;
    if (timer_watchdog_deadline && timer_ticks >= timer_watchdog_deadline)
        classic_fail(EXIT_WATCHDOG, "watchdog: workload not finished after %u ticks (%u s)\n",
                     timer_ticks, timer_ticks / timer_hz);
    sched_wakeup((void *)&timer_ticks);
    sched_tick();
}

API uint32_t timer_now(void)
{
    return timer_ticks;
}

API void timer_sleep(uint32_t ticks)
{
    uint32_t f = irq_save();
    uint32_t until = timer_ticks + ticks;
    while ((int32_t)(until - timer_ticks) > 0)
        sched_sleep((void *)&timer_ticks);
    irq_restore(f);
}

API void timer_watchdog_arm(uint32_t ticks_from_now)
{
    timer_watchdog_deadline = timer_ticks + ticks_from_now;
}

API void timer_watchdog_disarm(void)
{
    timer_watchdog_deadline = 0;
}
