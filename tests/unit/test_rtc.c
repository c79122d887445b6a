/* Unit tests for the MC146818 RTC + CMOS model. */
#include "tests/unit/dev_harness.h"
#include "host/dev/rtc.h"
#include "host/dev/ports.h"

#define SEC 1000000000ull
#define MS  1000000ull
#define LEAP_EVE 1709251198     /* Thu 2024-02-29 23:59:58 UTC */

static struct rtc rtc;
static struct ports io;
static struct irq_log irqs;
static uint64_t T;

static uint8_t cmos(uint8_t idx) { ports_out(&io, 0x70, 1, idx, T); return (uint8_t)ports_in(&io, 0x71, 1, T); }
static void cmos_w(uint8_t idx, uint8_t v) { ports_out(&io, 0x70, 1, idx, T); ports_out(&io, 0x71, 1, v, T); }

static int setup(void **state)
{
    (void)state;
    memset(&irqs, 0, sizeof irqs);
    T = 5 * SEC;
    ports_init(&io);
    rtc_init(&rtc, (struct vdev_irq){ irq_log_set, &irqs }, 8, LEAP_EVE, 512ull << 20, T);
    assert_true(rtc_attach(&rtc, &io));
    return 0;
}

static void expect_time(const uint8_t want[8])
{
    static const uint8_t regs[8] = { 0, 2, 4, 6, 7, 8, 9, 0x32 };
    for (int i = 0; i < 8; i++)
        assert_int_equal(cmos(regs[i]), want[i]);
}

static void test_bcd_time_and_leap_rollover(void **state)
{
    static const uint8_t eve[8] = { 0x58, 0x59, 0x23, 0x05, 0x29, 0x02, 0x24, 0x20 };
    static const uint8_t march[8] = { 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24, 0x20 };
    (void)state;
    expect_time(eve);
    T += 2 * SEC;
    expect_time(march);
}

static void test_binary_and_12_hour(void **state)
{
    (void)state;
    cmos_w(0x0B, 0x04);                     /* binary, 12 hour */
    assert_int_equal(cmos(0x04), 0x80 | 11);
    assert_int_equal(cmos(0x00), 58);
    assert_int_equal(cmos(0x32), 20);
    T += 2 * SEC;
    assert_int_equal(cmos(0x04), 12);       /* midnight is 12 AM */
    cmos_w(0x0B, 0x06);
    assert_int_equal(cmos(0x04), 0);
}

/* Linux mc146818_get_time(): wait for UIP clear, read, check UIP again. */
static void test_uip_window(void **state)
{
    int spins = 0;
    (void)state;
    T += SEC - 200000;                      /* inside the 244 us window */
    assert_int_equal(cmos(0x0A) & 0x80, 0x80);
    while ((cmos(0x0A) & 0x80) && spins++ < 1000)
        T += 10000;
    assert_int_equal(cmos(0x00), 0x59);     /* the update happened */
    assert_int_equal(cmos(0x0A), 0x26);
}

static void test_set_time(void **state)
{
    static const uint8_t want[8] = { 0x30, 0x15, 0x09, 0x06, 0x31, 0x12, 0x99, 0x19 };
    static const uint8_t later[8] = { 0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20 };
    (void)state;
    cmos_w(0x0B, 0x82);                     /* SET: updates stop */
    cmos_w(0x00, 0x30);
    cmos_w(0x02, 0x15);
    cmos_w(0x04, 0x09);
    cmos_w(0x06, 0x06);
    cmos_w(0x07, 0x31);
    cmos_w(0x08, 0x12);
    cmos_w(0x09, 0x99);
    cmos_w(0x32, 0x19);
    T += 10 * SEC;
    expect_time(want);
    cmos_w(0x0B, 0x02);
    T += (14 * 3600 + 44 * 60 + 30) * SEC;  /* to the millennium */
    expect_time(later);
}

static void test_periodic_interrupt(void **state)
{
    int n = 0;
    uint64_t end;
    (void)state;
    cmos_w(0x0B, 0x42);                     /* PIE at the default 1024 Hz */
    end = T + SEC;
    for (int guard = 0; guard < 5000; guard++) {
        uint64_t due = rtc_next_irq(&rtc, T);
        if (due > end)
            break;
        T = due;
        rtc_advance(&rtc, T);
        assert_int_equal(irqs.level[8], 1);
        assert_int_equal(cmos(0x0C) & 0xC0, 0xC0);      /* IRQF | PF, and cleared */
        assert_int_equal(irqs.level[8], 0);
        n++;
    }
    assert_int_equal(n, 1024);
    cmos_w(0x0A, 0x2F);                     /* 2 Hz */
    T += SEC;
    rtc_advance(&rtc, T);
    T += SEC;
    rtc_advance(&rtc, T);
    assert_int_equal(irqs.rises[8], 1025);  /* C unread: one edge only */
}

static void test_update_and_alarm_interrupts(void **state)
{
    (void)state;
    cmos_w(0x01, 0x01);                     /* alarm at second 01, any minute and hour */
    cmos_w(0x03, 0xC0);
    cmos_w(0x05, 0xFF);
    cmos_w(0x0B, 0x32);                     /* AIE | UIE */
    assert_int_equal(rtc_next_irq(&rtc, T), T + SEC);
    T += SEC;
    rtc_advance(&rtc, T);
    /* PF sets too (the periodic rate runs), but only UF and AF are enabled. */
    assert_int_equal(cmos(0x0C) & 0xB0, 0x90);      /* IRQF | UF */
    T += 2 * SEC;
    assert_int_equal(cmos(0x0C) & 0xB0, 0xB0);      /* 00:00:01: alarm too */
    cmos_w(0x0B, 0xB2);
    assert_int_equal(cmos(0x0B), 0xA2);     /* SET cleared UIE */
}

static void test_cmos_memory_and_checksum(void **state)
{
    uint16_t sum = 0;
    (void)state;
    assert_int_equal(cmos(0x15) | cmos(0x16) << 8, 640);
    assert_int_equal(cmos(0x17) | cmos(0x18) << 8, 0xFFFF);
    assert_int_equal(cmos(0x30) | cmos(0x31) << 8, 0xFFFF);
    assert_int_equal(cmos(0x34) | cmos(0x35) << 8, (512 - 16) * 16);
    assert_int_equal(cmos(0x14), 0x02);     /* FPU, VGA; no floppy, no PS/2 mouse */
    assert_int_equal(cmos(0x10), 0x00);     /* floppy drive types: none */
    for (int i = 0x10; i <= 0x2D; i++)
        sum = (uint16_t)(sum + cmos((uint8_t)i));
    assert_int_equal(cmos(0x2E) << 8 | cmos(0x2F), sum);
    rtc_cmos_set(&rtc, 0x12, 0xF0);
    assert_int_equal(cmos(0x2E) << 8 | cmos(0x2F), sum + 0xF0);
    cmos_w(0x40, 0x77);                     /* general RAM */
    assert_int_equal(cmos(0x40), 0x77);
}

static void test_small_memory(void **state)
{
    struct rtc small;
    (void)state;
    rtc_init(&small, (struct vdev_irq){ 0 }, 8, 0, 8ull << 20, 0);
    assert_int_equal(small.cmos[0x17] | small.cmos[0x18] << 8, 7 * 1024);
    assert_int_equal(small.cmos[0x34] | small.cmos[0x35] << 8, 0);
    /* the sizes guestmem= allows: 64 MiB, 128 MiB (QEMU isapc -m 64 / -m 128 agree) */
    rtc_init(&small, (struct vdev_irq){ 0 }, 8, 0, 64ull << 20, 0);
    assert_int_equal(small.cmos[0x17] | small.cmos[0x18] << 8, 0xFC00);
    assert_int_equal(small.cmos[0x30] | small.cmos[0x31] << 8, 0xFC00);
    assert_int_equal(small.cmos[0x34] | small.cmos[0x35] << 8, 0x300);
    rtc_init(&small, (struct vdev_irq){ 0 }, 8, 0, 128ull << 20, 0);
    assert_int_equal(small.cmos[0x17] | small.cmos[0x18] << 8, 0xFFFF);
    assert_int_equal(small.cmos[0x34] | small.cmos[0x35] << 8, 0x700);
}

static void test_index_port_and_fixed_registers(void **state)
{
    (void)state;
    ports_out(&io, 0x70, 1, 0x8D, T);       /* NMI off, register D */
    assert_true(rtc.nmi_disabled);
    assert_int_equal(ports_in(&io, 0x71, 1, T), 0x80);
    assert_int_equal(ports_in(&io, 0x70, 1, T), 0xFF);
    cmos_w(0x0C, 0xFF);
    cmos_w(0x0D, 0x00);
    assert_int_equal(cmos(0x0C), 0x00);
    assert_int_equal(cmos(0x0D), 0x80);
    ports_out(&io, 0x70, 1, 0xFF, T);       /* index wraps into the 128 bytes */
    ports_out(&io, 0x71, 1, 0x42, T);
    assert_int_equal(cmos(0x7F), 0x42);
}

static void test_divider_reset_stops_clock(void **state)
{
    (void)state;
    cmos_w(0x0A, 0x70);                     /* divider reset */
    T += 100 * SEC;
    assert_int_equal(cmos(0x00), 0x58);
    cmos_w(0x0A, 0x26);
    T += SEC;
    assert_int_equal(cmos(0x00), 0x59);
}

static void test_hostile_writes(void **state)
{
    uint32_t x = 3;
    (void)state;
    for (int i = 0; i < 200000; i++) {
        x = x * 1103515245 + 12345;
        uint16_t port = 0x70 + ((x >> 8) & 1);
        if (x & 0x80000000)
            ports_out(&io, port, 1, x >> 16, T);
        else
            ports_in(&io, port, 1, T);
        T += (x >> 3) % (50 * MS);
        assert_true(rtc_next_irq(&rtc, T) >= T);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bcd_time_and_leap_rollover, setup),
        cmocka_unit_test_setup(test_binary_and_12_hour, setup),
        cmocka_unit_test_setup(test_uip_window, setup),
        cmocka_unit_test_setup(test_set_time, setup),
        cmocka_unit_test_setup(test_periodic_interrupt, setup),
        cmocka_unit_test_setup(test_update_and_alarm_interrupts, setup),
        cmocka_unit_test_setup(test_cmos_memory_and_checksum, setup),
        cmocka_unit_test_setup(test_small_memory, setup),
        cmocka_unit_test_setup(test_index_port_and_fixed_registers, setup),
        cmocka_unit_test_setup(test_divider_reset_stops_clock, setup),
        cmocka_unit_test_setup(test_hostile_writes, setup),
    };
    DEV_RUN_TESTS(tests, 11);
}
