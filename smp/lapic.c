#include "smp/lapic.h"
#include "kernel/hprof.h"
#include "smp/percpu.h"
#include "kernel/clock.h"
#include "kernel/vm.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "kernel/console.h"
#include "kernel/panic.h"

enum {
    LAPIC_ID = 0x20, LAPIC_EOI = 0xb0, LAPIC_SVR = 0xf0, LAPIC_ESR = 0x280,
    LAPIC_ICR_LO = 0x300, LAPIC_ICR_HI = 0x310, LAPIC_LVT_TIMER = 0x320,
    LAPIC_LVT_LINT0 = 0x350, LAPIC_LVT_LINT1 = 0x360, LAPIC_LVT_ERROR = 0x370,
    LAPIC_TIMER_INIT = 0x380, LAPIC_TIMER_CUR = 0x390, LAPIC_TIMER_DIV = 0x3e0,
};
#define LVT_MASKED   (1u << 16)
#define TIMER_PERIODIC (1u << 17)
#define ICR_PENDING  (1u << 12)
#define ICR_ASSERT   (1u << 14)

static volatile uint32_t *lapic;
static uint32_t ticks_per_hz;           /* timer count for one 1/HZ period, divide by 16 */

static uint32_t rd(unsigned reg) { return lapic[reg / 4]; }
static void wr(unsigned reg, uint32_t v) { lapic[reg / 4] = v; (void)lapic[LAPIC_ID / 4]; }

uint32_t lapic_id(void) { return rd(LAPIC_ID) >> 24; }
void lapic_eoi(void) { wr(LAPIC_EOI, 0); }

/* PIT channel 2, gated through port 0x61, counts down once in mode 0: its
 * OUT (0x61 bit 5) rises at terminal count.  The classic calibration. */
static void pit_wait_start(uint16_t count)
{
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);     /* gate on, speaker off */
    outb(0x43, 0xb0);                           /* ch2, lo/hi, mode 0, binary */
    outb(0x42, count & 0xff);
    outb(0x42, count >> 8);
}

static bool pit_done(void) { return inb(0x61) & 0x20; }

static void (*tick_fn)(void);

void lapic_on_tick(void (*fn)(void))
{
    tick_fn = fn;
}

static void timer_handler(struct trapframe *tf)
{
    hprof_tick(tf);
    struct cpu *c = this_cpu();
    c->ticks++;
    c->heartbeat++;
    if (tick_fn)
        tick_fn();
}

static void calibrate(void)
{
    const uint16_t count = 11932;               /* 1193182 Hz / 100: 10 ms */
    wr(LAPIC_TIMER_DIV, 3);                     /* divide by 16 */
    wr(LAPIC_LVT_TIMER, LVT_MASKED);
    pit_wait_start(count);
    wr(LAPIC_TIMER_INIT, 0xffffffff);
    uint64_t t0 = rdtsc();
    for (uint64_t spin = 0; !pit_done(); spin++)
        if (spin > 100000000)
            panic("lapic: the PIT never counted down; cannot calibrate the timer");
    uint32_t elapsed = 0xffffffff - rd(LAPIC_TIMER_CUR);
    uint64_t tsc = rdtsc() - t0;
    wr(LAPIC_TIMER_INIT, 0);
    ticks_per_hz = elapsed * 100 / HZ;
    time_init(tsc * 100);
    kprintf("lapic: bus clock %u kHz, TSC %lu MHz\n", elapsed * 16 / 10, tsc / 10000);
}

void lapic_init_bsp(uint64_t phys)
{
    lapic = phys_to_virt(phys);
    trap_register(VEC_TIMER, timer_handler);
    calibrate();
}

void lapic_init_cpu(void)
{
    wr(LAPIC_SVR, 0x100 | VEC_SPURIOUS);        /* software enable */
    wr(LAPIC_LVT_LINT0, LVT_MASKED);            /* the 8259s are not used */
    wr(LAPIC_LVT_LINT1, 0x400);                 /* NMI */
    wr(LAPIC_LVT_ERROR, LVT_MASKED);
    wr(LAPIC_ESR, 0);
    wr(LAPIC_ESR, 0);
    wr(LAPIC_TIMER_DIV, 3);
    wr(LAPIC_LVT_TIMER, TIMER_PERIODIC | VEC_TIMER);
    wr(LAPIC_TIMER_INIT, ticks_per_hz);
    lapic_eoi();
}

void lapic_timer_stop(void) { wr(LAPIC_TIMER_INIT, 0); }
void lapic_timer_start(void) { wr(LAPIC_TIMER_INIT, ticks_per_hz); }

bool lapic_send(uint32_t apic_id, uint32_t icr_low)
{
    pushcli();                                  /* the two ICR writes must not interleave */
    wr(LAPIC_ICR_HI, apic_id << 24);
    wr(LAPIC_ICR_LO, icr_low | (icr_low & 0x700 ? ICR_ASSERT : 0));
    bool ok = false;
    for (int spin = 0; spin < 1000000; spin++) {
        if (!(rd(LAPIC_ICR_LO) & ICR_PENDING)) { ok = true; break; }
        cpu_relax();
    }
    popcli();
    return ok;
}

void udelay(uint64_t us)
{
    uint64_t end = time_ns() + us * 1000;
    while (time_ns() < end)
        cpu_relax();
}
