/* Unit tests for the 8042 keyboard controller model. */
#include "tests/unit/dev_harness.h"
#include "host/dev/kbc.h"
#include "host/dev/ports.h"

static struct kbc kbc;
static struct ports io;
static struct irq_log irqs;

static void outb(uint16_t port, uint8_t val) { ports_out(&io, port, 1, val, 0); }
static uint8_t inb(uint16_t port) { return (uint8_t)ports_in(&io, port, 1, 0); }

static int setup(void **state)
{
    (void)state;
    memset(&irqs, 0, sizeof irqs);
    ports_init(&io);
    kbc_init(&kbc, (struct vdev_irq){ irq_log_set, &irqs });
    assert_true(kbc_attach(&kbc, &io));
    return 0;
}

/* Poll OBF like every driver does, then read the byte. */
static int read_reply(void)
{
    if (!(inb(0x64) & 0x01))
        return -1;
    return inb(0x60);
}

static void expect_replies(const int *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(read_reply(), want[i]);
    assert_int_equal(read_reply(), -1);
}

/* Linux i8042_controller_check/selftest/init. */
static void test_linux_i8042_init(void **state)
{
    static const int ctr[] = { 0x65 }, ok[] = { 0x55 }, zero[] = { 0x00 };
    (void)state;
    assert_int_not_equal(inb(0x64), 0xFF);  /* "no controller" test */
    outb(0x64, 0x20);
    expect_replies(ctr, 1);
    outb(0x64, 0xAA);
    expect_replies(ok, 1);
    outb(0x64, 0x60);
    outb(0x60, 0x47);
    assert_int_equal(inb(0x64) & 0x08, 0x00);       /* last write was data */
    outb(0x64, 0x20);
    assert_int_equal(inb(0x64) & 0x0C, 0x0C);       /* SYS, last write command */
    assert_int_equal(inb(0x60), 0x47);
    outb(0x64, 0xAB);
    expect_replies(zero, 1);
}

static void test_a20(void **state)
{
    static const int outp[] = { 0xDD };
    (void)state;
    assert_true(kbc_a20(&kbc));
    outb(0x64, 0xD1);
    outb(0x60, 0xDD);                       /* classic "A20 off" */
    assert_false(kbc_a20(&kbc));
    outb(0x64, 0xD0);
    expect_replies(outp, 1);
    outb(0x64, 0xD1);
    outb(0x60, 0xDF);
    assert_true(kbc_a20(&kbc));
    outb(0x64, 0xDD);
    assert_false(kbc_a20(&kbc));
    outb(0x92, inb(0x92) | 0x02);           /* fast A20 */
    assert_true(kbc_a20(&kbc));
    assert_false(kbc.reset_requested);
}

static void test_reset_requests(void **state)
{
    (void)state;
    outb(0x64, 0xFF);                       /* pulse nothing */
    assert_int_equal(kbc.reset_requested, KBC_RESET_NONE);
    outb(0x64, 0xFE);
    assert_int_equal(kbc.reset_requested, KBC_RESET_PULSE);
    assert_int_equal(kbc.reset_command, 0xFE);
    kbc.reset_requested = KBC_RESET_NONE;
    outb(0x64, 0xF0);                       /* pulses bits 0-3: bit 0 among them */
    assert_int_equal(kbc.reset_requested, KBC_RESET_PULSE);
    assert_int_equal(kbc.reset_command, 0xF0);
    kbc.reset_requested = KBC_RESET_NONE;
    outb(0x64, 0xD1);
    outb(0x60, 0xDE);                       /* output port bit 0 low */
    assert_int_equal(kbc.reset_requested, KBC_RESET_OUTPORT);
    kbc.reset_requested = KBC_RESET_NONE;
    outb(0x92, 0x01);
    assert_int_equal(kbc.reset_requested, KBC_RESET_PORT92);
}

/* The first request is the one reported; port 0x92 resets on an edge only. */
static void test_reset_first_wins(void **state)
{
    (void)state;
    outb(0x92, 0x01);
    outb(0x64, 0xFE);
    assert_int_equal(kbc.reset_requested, KBC_RESET_PORT92);
    kbc.reset_requested = KBC_RESET_NONE;
    outb(0x92, 0x03);                       /* bit 0 stays 1: no new edge */
    assert_int_equal(kbc.reset_requested, KBC_RESET_NONE);
    assert_true(kbc_a20(&kbc));
    outb(0x92, 0x02);
    outb(0x92, 0x03);                       /* 0 then 1 again */
    assert_int_equal(kbc.reset_requested, KBC_RESET_PORT92);
}

static void test_typed_keys_raise_irq1(void **state)
{
    static const uint8_t keys[] = { 0x1E, 0x9E, 0x1C };
    (void)state;
    for (size_t i = 0; i < NELEM(keys); i++)
        assert_true(kbc_push_key(&kbc, keys[i]));
    assert_int_equal(irqs.rises[1], 1);
    for (size_t i = 0; i < NELEM(keys); i++) {
        assert_int_equal(irqs.level[1], 1);
        assert_int_equal(read_reply(), keys[i]);
    }
    assert_int_equal(irqs.rises[1], 3);     /* an edge per byte */
    assert_int_equal(irqs.level[1], 0);
    assert_int_equal(inb(0x60), 0x1C);      /* an empty buffer rereads */
}

static void test_keyboard_commands(void **state)
{
    static const int reset[] = { 0xFA, 0xAA }, id[] = { 0xFA, 0xAB, 0x41 };
    static const int leds[] = { 0xFA, 0xFA }, echo[] = { 0xEE };
    static const int set[] = { 0xFA, 0xFA, 0x02 }, bad[] = { 0xFE };
    (void)state;
    outb(0x60, 0xFF);
    expect_replies(reset, 2);
    outb(0x60, 0xF2);
    expect_replies(id, 3);
    outb(0x60, 0xED);
    outb(0x60, 0x07);
    expect_replies(leds, 2);
    assert_int_equal(kbc.leds, 7);
    outb(0x60, 0xEE);
    expect_replies(echo, 1);
    outb(0x60, 0xF0);
    outb(0x60, 0x00);
    expect_replies(set, 3);
    outb(0x60, 0x12);
    expect_replies(bad, 1);
}

static void test_disabled_keyboard_holds_keys(void **state)
{
    static const int key[] = { 0x2C };
    (void)state;
    outb(0x64, 0xAD);
    kbc_push_key(&kbc, 0x2C);
    assert_int_equal(read_reply(), -1);
    outb(0x64, 0xAE);
    expect_replies(key, 1);
    outb(0x60, 0xF5);                       /* keyboard stops scanning */
    assert_int_equal(read_reply(), 0xFA);
    kbc_push_key(&kbc, 0x2D);
    assert_int_equal(read_reply(), -1);
    outb(0x60, 0xF4);
    assert_int_equal(read_reply(), 0xFA);
    assert_int_equal(read_reply(), 0x2D);
}

static void test_polling_without_interrupts(void **state)
{
    (void)state;
    outb(0x64, 0x60);
    outb(0x60, 0x64);                       /* INT1 off */
    kbc_push_key(&kbc, 0x10);
    assert_int_equal(irqs.rises[1], 0);
    assert_int_equal(read_reply(), 0x10);
}

static void test_aux_loopback_irq12(void **state)
{
    (void)state;
    outb(0x64, 0x60);
    outb(0x60, 0x47);                       /* INT12 on, aux enabled */
    outb(0x64, 0xD3);
    outb(0x60, 0x5A);
    assert_int_equal(inb(0x64) & 0x21, 0x21);       /* OBF | AUXB */
    assert_int_equal(irqs.level[12], 1);
    assert_int_equal(irqs.level[1], 0);
    assert_int_equal(inb(0x60), 0x5A);
    outb(0x64, 0xD4);
    outb(0x60, 0xFF);                       /* no mouse answers */
    assert_int_equal(read_reply(), -1);
}

static void test_bounded_queues(void **state)
{
    int kept = 0;
    (void)state;
    for (int i = 0; i < 100; i++)
        kept += kbc_push_key(&kbc, (uint8_t)i);
    assert_int_equal(kept, KBC_KEYS + 1);   /* one sits in the output buffer */
    assert_int_equal(kbc.keys_dropped, 100 - kept);
    for (int i = 0; i < 100; i++)
        outb(0x64, 0x20);               /* replies beyond the buffer are lost */
    assert_int_equal(kbc.out_len, KBC_OUT_MAX);
}

static void test_hostile_writes(void **state)
{
    uint32_t x = 11;
    static const uint16_t ports[] = { 0x60, 0x64, 0x92 };
    (void)state;
    for (int i = 0; i < 200000; i++) {
        x = x * 1103515245 + 12345;
        uint16_t port = ports[(x >> 8) % 3];
        if (x & 0x80000000)
            outb(port, (uint8_t)(x >> 16));
        else
            inb(port);
        if ((x & 0x700) == 0)
            kbc_push_key(&kbc, (uint8_t)x);
        assert_true(kbc.out_len <= KBC_OUT_MAX && kbc.key_len <= KBC_KEYS);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_linux_i8042_init, setup),
        cmocka_unit_test_setup(test_a20, setup),
        cmocka_unit_test_setup(test_reset_requests, setup),
        cmocka_unit_test_setup(test_reset_first_wins, setup),
        cmocka_unit_test_setup(test_typed_keys_raise_irq1, setup),
        cmocka_unit_test_setup(test_keyboard_commands, setup),
        cmocka_unit_test_setup(test_disabled_keyboard_holds_keys, setup),
        cmocka_unit_test_setup(test_polling_without_interrupts, setup),
        cmocka_unit_test_setup(test_aux_loopback_irq12, setup),
        cmocka_unit_test_setup(test_bounded_queues, setup),
        cmocka_unit_test_setup(test_hostile_writes, setup),
    };
    DEV_RUN_TESTS(tests, 11);
}
