/* Unit tests for the 8254 model: exact edge counts, latches, calibration loops. */
#include "tests/unit/dev_harness.h"
#include "host/dev/pit.h"
#include "host/dev/pic.h"
#include "host/dev/ports.h"

#define MS 1000000ull
#define US 1000ull

static struct pit pit;
static struct ports io;
static struct irq_log irqs;
static uint64_t T;                      /* virtual now */

static void outb(uint16_t port, uint8_t val) { ports_out(&io, port, 1, val, T); }
static uint8_t inb(uint16_t port) { return (uint8_t)ports_in(&io, port, 1, T); }
static uint64_t ticks_ns(uint64_t ticks) { return vdev_ns(ticks, PIT_HZ); }

static int setup(void **state)
{
    (void)state;
    memset(&irqs, 0, sizeof irqs);
    T = 1000 * MS;
    ports_init(&io);
    pit_init(&pit, (struct vdev_irq){ irq_log_set, &irqs }, T);
    assert_true(pit_attach(&pit, &io));
    return 0;
}

static void program(uint8_t control, uint16_t count)
{
    outb(0x43, control);
    outb(0x40 + (control >> 6), count & 0xFF);
    outb(0x40 + (control >> 6), count >> 8);
}

static uint16_t latch_read(int ch)
{
    outb(0x43, (uint8_t)(ch << 6));         /* counter latch command */
    uint8_t lo = inb(0x40 + ch);
    return (uint16_t)(lo | inb(0x40 + ch) << 8);
}

/* Linux's PIT clockevent, periodic at HZ=100: mode 2, LATCH = 11932. */
static void test_mode2_100hz_exact_edges(void **state)
{
    (void)state;
    program(0x34, 11932);
    unsigned before = irqs.rises[0];
    for (int i = 0; i < 2000; i++) {
        T += MS;
        pit_advance(&pit, T);
    }
    /* 2 s = 2386364 ticks; 2386364 / 11932 = 199.997: 199 edges. */
    assert_int_equal(irqs.rises[0] - before, 199);
    assert_int_equal(pit.irq0_missed, 0);
}

static void test_next_irq_walk(void **state)
{
    uint64_t t0;
    (void)state;
    program(0x34, 11932);
    t0 = T;
    for (uint64_t k = 1; k <= 50; k++) {
        uint64_t due = pit_next_irq(&pit, T);
        assert_int_equal(due, t0 + ticks_ns(k * 11932));
        pit_advance(&pit, due - 1);
        assert_int_equal(pit.irq0_edges, k - 1);        /* not yet */
        T = due;
        pit_advance(&pit, T);
        assert_int_equal(pit.irq0_edges, k);
    }
}

static void test_missed_ticks_fold_into_one(void **state)
{
    (void)state;
    program(0x34, 11932);
    unsigned before = irqs.rises[0];
    T += 1000 * MS;
    pit_advance(&pit, T);
    assert_int_equal(irqs.rises[0] - before, 1);
    assert_int_equal(pit.irq0_missed, 99 - 1);
}

static void test_latch_mid_count(void **state)
{
    (void)state;
    program(0x34, 11932);
    T += 5 * MS;                            /* 5965.91 ticks: 5965 whole */
    outb(0x43, 0x00);
    T += 3 * MS;                            /* the latch holds */
    assert_int_equal(inb(0x40), (11932 - 5965) & 0xFF);
    assert_int_equal(inb(0x40), (11932 - 5965) >> 8);
    outb(0x43, 0x00);
    outb(0x43, 0x00);                       /* a second latch before reading is ignored */
    T += MS;
    assert_int_equal(latch_read(0), 11932 - 9545);  /* latched at 8 ms */
    assert_int_equal(latch_read(0), 11932 - 10738); /* 9 ms: 10738.6 ticks */
}

static void test_readback_status(void **state)
{
    (void)state;
    outb(0x43, 0x34);
    outb(0x43, 0xE2);                       /* read-back: status only, ch0 */
    assert_int_equal(inb(0x40), 0xF4);      /* OUT high, null count, lohi, mode 2 */
    outb(0x40, 100);
    outb(0x40, 0);
    T += ticks_ns(40);
    outb(0x43, 0xC2);                       /* status and count */
    assert_int_equal(inb(0x40), 0xB4);      /* count loaded: null count clear */
    assert_int_equal(inb(0x40), 60);
    assert_int_equal(inb(0x40), 0);
    T += ticks_ns(59);                      /* count 1: OUT low for one clock */
    outb(0x43, 0xE2);
    assert_int_equal(inb(0x40) & 0x80, 0x00);
}

static void test_mode0_one_shot(void **state)
{
    uint64_t t0 = T;
    (void)state;
    unsigned before = irqs.rises[0];
    program(0x30, 1000);
    assert_int_equal(irqs.level[0], 0);     /* mode 0: OUT low after the control word */
    assert_int_equal(pit_next_irq(&pit, T), t0 + ticks_ns(1000));
    T += 10 * MS;
    pit_advance(&pit, T);
    assert_int_equal(irqs.rises[0] - before, 1);
    assert_int_equal(pit_next_irq(&pit, T), VDEV_NEVER);
    assert_int_equal(latch_read(0), (uint16_t)(1000 - vdev_ticks(10 * MS, PIT_HZ)));
}

/* Linux pit_calibrate_tsc(): ch2 mode 0, 50 ms, poll port 0x61 bit 5 (OUT2). */
static void test_linux_ch2_calibration(void **state)
{
    uint64_t t0;
    int polls = 0;
    (void)state;
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xB0);
    outb(0x42, 59659 & 0xFF);
    outb(0x42, 59659 >> 8);
    t0 = T;
    while ((inb(0x61) & 0x20) == 0 && polls++ < 100000)
        T += US;
    assert_int_equal(T - t0, (ticks_ns(59659) + US - 1) / US * US);
}

/* Linux quick_pit_calibrate(): mode 0, 0xFFFF, read the live MSB. */
static void test_linux_quick_calibrate_msb(void **state)
{
    (void)state;
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xB0);
    outb(0x42, 0xFF);
    outb(0x42, 0xFF);
    for (int i = 1; i <= 50; i++) {
        T += 214 * US;                  /* ~256 PIT clocks per step */
        inb(0x42);
        uint8_t msb = inb(0x42);
        assert_int_equal(msb, (0xFFFF - vdev_ticks(i * 214 * US, PIT_HZ)) >> 8);
    }
}

static void test_mode3_square_wave(void **state)
{
    (void)state;
    program(0x36, 1000);
    T += ticks_ns(10);
    assert_int_equal(latch_read(0), 980);   /* counts down by two */
    T += ticks_ns(490);                     /* half way: OUT falls */
    pit_advance(&pit, T);
    assert_int_equal(irqs.level[0], 0);
    unsigned before = irqs.rises[0];
    for (int i = 0; i < 100; i++) {
        T += ticks_ns(250) - ticks_ns(0);
        pit_advance(&pit, T);
    }
    assert_int_equal(irqs.rises[0] - before, 25);
}

static void test_count_zero_is_65536(void **state)
{
    uint64_t t0 = T;
    (void)state;
    program(0x34, 0);
    T += ticks_ns(1);
    assert_int_equal(latch_read(0), 65535);
    assert_int_equal(pit_next_irq(&pit, T), t0 + ticks_ns(65536));
}

static void test_new_count_waits_for_period_end(void **state)
{
    uint64_t t0 = T;
    (void)state;
    program(0x34, 1000);
    T += ticks_ns(300);
    outb(0x40, 500 & 0xFF);                 /* no control word: takes effect at 1000 */
    outb(0x40, 500 >> 8);
    outb(0x43, 0xE2);
    assert_int_equal(inb(0x40) & 0x40, 0x40);       /* null count until then */
    assert_int_equal(pit_next_irq(&pit, T), t0 + ticks_ns(1000));
    T = t0 + ticks_ns(1000);
    pit_advance(&pit, T);
    assert_int_equal(pit_next_irq(&pit, T), t0 + ticks_ns(1500));
    T = t0 + ticks_ns(1700);
    assert_int_equal(latch_read(0), 300);
}

static void test_lobyte_hibyte_access(void **state)
{
    (void)state;
    outb(0x43, 0x14);                       /* ch0 lobyte, mode 2 */
    outb(0x40, 100);
    T += ticks_ns(1);
    assert_int_equal(inb(0x40), 99);
    assert_int_equal(inb(0x40), 99);        /* no flip-flop in lobyte mode */
    outb(0x43, 0x24);                       /* ch0 hibyte */
    outb(0x40, 0x10);
    T += ticks_ns(0x100);
    assert_int_equal(inb(0x40), 0x0F);
}

static void test_bcd_counting(void **state)
{
    (void)state;
    program(0x35, 0x1000);                  /* BCD 1000 */
    T += ticks_ns(1);
    assert_int_equal(latch_read(0), 0x0999);
}

static void test_ch2_gate(void **state)
{
    (void)state;
    outb(0x61, 0x01);
    program(0xB0, 1000);                    /* ch2 mode 0 */
    T += ticks_ns(100);
    outb(0x61, 0x00);                       /* GATE low suspends counting */
    T += ticks_ns(500);
    assert_int_equal(latch_read(2), 900);
    outb(0x61, 0x01);
    T += ticks_ns(100);
    assert_int_equal(latch_read(2), 800);
    program(0xB4, 1000);                    /* mode 2: a rising GATE reloads */
    T += ticks_ns(300);
    outb(0x61, 0x00);
    outb(0x61, 0x01);
    T += ticks_ns(1);
    assert_int_equal(latch_read(2), 999);
}

static void test_bios_state_18hz(void **state)
{
    (void)state;
    assert_int_equal(pit_next_irq(&pit, T), T + ticks_ns(65536));
    assert_int_equal(inb(0x61) & 0x21, 0x00);      /* ch2 unprogrammed: GATE and OUT low */
}

static void test_port61_refresh_toggles(void **state)
{
    (void)state;
    uint8_t a = inb(0x61) & 0x10;
    T += ticks_ns(18);
    assert_int_not_equal(inb(0x61) & 0x10, a);
    outb(0x61, 0x0E);
    assert_int_equal(inb(0x61) & 0x0F, 0x0E);
}

/* The host loop: sleep until the PIT is due, advance, deliver through the PIC. */
static void test_irq0_through_pic(void **state)
{
    static const uint8_t init[][2] = {
        { 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 }, { 0x21, 0x01 },
        { 0xA0, 0x11 }, { 0xA1, 0x28 }, { 0xA1, 0x02 }, { 0xA1, 0x01 },
        { 0x21, 0xFE }, { 0xA1, 0xFF },
    };
    struct pic pic;
    uint64_t end;
    int delivered = 0;
    (void)state;
    pic_init(&pic);
    assert_true(pic_attach(&pic, &io));
    pit.irq = (struct vdev_irq){ pic_set_irq, &pic };
    for (size_t i = 0; i < NELEM(init); i++)
        outb(init[i][0], init[i][1]);
    program(0x34, 11932);
    end = T + 1000 * MS;
    for (int guard = 0; guard < 1000; guard++) {
        T = pit_next_irq(&pit, T);
        if (T > end)
            break;
        pit_advance(&pit, T);
        while (pic_pending(&pic)) {
            assert_int_equal(pic_ack(&pic), 0x20);
            delivered++;
            outb(0x20, 0x20);
        }
    }
    assert_int_equal(delivered, 99);
}

/* Garbage from a hostile guest must neither crash nor stall the model. */
static void test_hostile_writes(void **state)
{
    uint32_t x = 12345;
    (void)state;
    for (int i = 0; i < 200000; i++) {
        x = x * 1103515245 + 12345;
        uint16_t port = (x >> 8) % 5 == 4 ? 0x61 : 0x40 + (x >> 8) % 4;
        if (x & 0x80000000)
            outb(port, (uint8_t)(x >> 16));
        else
            inb(port);
        T += (x >> 4) % 5000;
        uint64_t due = pit_next_irq(&pit, T);
        assert_true(due >= T);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_mode2_100hz_exact_edges, setup),
        cmocka_unit_test_setup(test_next_irq_walk, setup),
        cmocka_unit_test_setup(test_missed_ticks_fold_into_one, setup),
        cmocka_unit_test_setup(test_latch_mid_count, setup),
        cmocka_unit_test_setup(test_readback_status, setup),
        cmocka_unit_test_setup(test_mode0_one_shot, setup),
        cmocka_unit_test_setup(test_linux_ch2_calibration, setup),
        cmocka_unit_test_setup(test_linux_quick_calibrate_msb, setup),
        cmocka_unit_test_setup(test_mode3_square_wave, setup),
        cmocka_unit_test_setup(test_count_zero_is_65536, setup),
        cmocka_unit_test_setup(test_new_count_waits_for_period_end, setup),
        cmocka_unit_test_setup(test_lobyte_hibyte_access, setup),
        cmocka_unit_test_setup(test_bcd_counting, setup),
        cmocka_unit_test_setup(test_ch2_gate, setup),
        cmocka_unit_test_setup(test_bios_state_18hz, setup),
        cmocka_unit_test_setup(test_port61_refresh_toggles, setup),
        cmocka_unit_test_setup(test_irq0_through_pic, setup),
        cmocka_unit_test_setup(test_hostile_writes, setup),
    };
    DEV_RUN_TESTS(tests, 18);
}
