/* Unit tests for the 8259A pair model, driven the way guest kernels do. */
#include "tests/unit/dev_harness.h"
#include "host/dev/pic.h"
#include "host/dev/ports.h"

static struct pic pic;
static struct ports io;

static void outb(uint16_t port, uint8_t val) { ports_out(&io, port, 1, val, 0); }
static uint8_t inb(uint16_t port) { return (uint8_t)ports_in(&io, port, 1, 0); }

static int setup(void **state)
{
    (void)state;
    ports_init(&io);
    pic_init(&pic);
    assert_true(pic_attach(&pic, &io));
    return 0;
}

/* Linux arch/x86/kernel/i8259.c init_8259A(0): vectors 0x30/0x38, no AEOI. */
static void linux_init(void)
{
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    outb(0x20, 0x11);
    outb(0x21, 0x30);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    outb(0xA0, 0x11);
    outb(0xA1, 0x38);
    outb(0xA1, 0x02);
    outb(0xA1, 0x01);
    outb(0x21, 0x00);
    outb(0xA1, 0x00);
}

static void test_bios_state(void **state)
{
    (void)state;
    assert_int_equal(inb(0x21), 0xF8);
    assert_int_equal(inb(0xA1), 0xFF);
    pic_set_irq(&pic, 0, 1);
    assert_true(pic_pending(&pic));
    assert_int_equal(pic_ack(&pic), 0x08);
}

static void test_linux_init_and_specific_eoi(void **state)
{
    (void)state;
    linux_init();
    pic_set_irq(&pic, 0, 1);
    assert_int_equal(pic_ack(&pic), 0x30);
    assert_false(pic_pending(&pic));
    outb(0x20, 0x0B);                       /* OCW3: read ISR */
    assert_int_equal(inb(0x20), 0x01);
    outb(0x20, 0x60);                       /* specific EOI, IRQ0 */
    assert_int_equal(inb(0x20), 0x00);
    pic_set_irq(&pic, 0, 0);
    pic_set_irq(&pic, 0, 1);
    assert_int_equal(pic_ack(&pic), 0x30);
}

/* xv6 picirq.c: AEOI, then OCW3 0x68 (special mask) and 0x0a (read IRR). */
static void test_xv6_init_aeoi(void **state)
{
    static const uint8_t seq[][2] = {
        { 0x21, 0xFF }, { 0xA1, 0xFF },
        { 0x20, 0x11 }, { 0x21, 32 }, { 0x21, 1 << 2 }, { 0x21, 0x3 },
        { 0xA0, 0x11 }, { 0xA1, 40 }, { 0xA1, 2 }, { 0xA1, 0x3 },
        { 0x20, 0x68 }, { 0x20, 0x0A }, { 0xA0, 0x68 }, { 0xA0, 0x0A },
        { 0x21, 0xFA }, { 0xA1, 0xFF },
    };
    (void)state;
    for (size_t i = 0; i < NELEM(seq); i++)
        outb(seq[i][0], seq[i][1]);
    pic_set_irq(&pic, 0, 1);
    assert_int_equal(inb(0x20), 0x01);      /* IRR */
    assert_int_equal(pic_ack(&pic), 32);
    outb(0x20, 0x0B);
    assert_int_equal(inb(0x20), 0x00);      /* AEOI: nothing in service */
    pic_set_irq(&pic, 0, 0);
    pic_set_irq(&pic, 0, 1);
    assert_int_equal(pic_ack(&pic), 32);
}

static void test_priority_and_nesting(void **state)
{
    (void)state;
    linux_init();
    pic_set_irq(&pic, 3, 1);
    assert_int_equal(pic_ack(&pic), 0x33);
    pic_set_irq(&pic, 5, 1);
    assert_false(pic_pending(&pic));        /* lower than IRQ3 in service */
    pic_set_irq(&pic, 1, 1);
    assert_int_equal(pic_ack(&pic), 0x31);  /* higher nests */
    outb(0x20, 0x20);                       /* non-specific EOI ends IRQ1 */
    assert_false(pic_pending(&pic));
    outb(0x20, 0x20);                       /* ... then IRQ3 */
    assert_int_equal(pic_ack(&pic), 0x35);
}

static void test_slave_cascade(void **state)
{
    (void)state;
    linux_init();
    pic_set_irq(&pic, 14, 1);
    assert_true(pic_pending(&pic));
    assert_int_equal(pic_ack(&pic), 0x3E);
    outb(0x20, 0x0B);
    outb(0xA0, 0x0B);
    assert_int_equal(inb(0x20), 0x04);
    assert_int_equal(inb(0xA0), 0x40);
    pic_set_irq(&pic, 12, 1);
    assert_false(pic_pending(&pic));        /* IRQ12 < IRQ14 on the slave */
    outb(0xA0, 0x66);                       /* Linux: specific EOI slave ... */
    outb(0x20, 0x62);                       /* ... then the cascade */
    assert_int_equal(pic_ack(&pic), 0x3C);
}

static void test_spurious_irq7(void **state)
{
    (void)state;
    linux_init();
    pic_set_irq(&pic, 4, 1);
    assert_true(pic_pending(&pic));
    outb(0x21, 0x10);                       /* masked before INTA */
    assert_int_equal(pic_ack(&pic), 0x37);
    outb(0x20, 0x0B);
    assert_int_equal(inb(0x20), 0x00);      /* no ISR bit for a spurious IRQ */
    assert_int_equal(pic.spurious, 1);
}

static void test_spurious_irq15(void **state)
{
    (void)state;
    linux_init();
    pic_set_irq(&pic, 9, 1);
    assert_true(pic_pending(&pic));
    outb(0xA1, 0x02);                       /* slave masks it, master already latched IR2 */
    assert_int_equal(pic_ack(&pic), 0x3F);
    outb(0x20, 0x0B);
    outb(0xA0, 0x0B);
    assert_int_equal(inb(0x20), 0x04);      /* master still needs its EOI */
    assert_int_equal(inb(0xA0), 0x00);
}

static void test_mask_holds_request(void **state)
{
    (void)state;
    linux_init();
    outb(0x21, 0x02);
    pic_set_irq(&pic, 1, 1);
    pic_set_irq(&pic, 1, 0);
    assert_false(pic_pending(&pic));
    assert_int_equal(inb(0x20), 0x02);      /* IRR latched the edge */
    outb(0x21, 0x00);
    assert_int_equal(pic_ack(&pic), 0x31);
}

static void test_edge_needs_new_edge(void **state)
{
    (void)state;
    linux_init();
    pic_set_irq(&pic, 6, 1);
    assert_int_equal(pic_ack(&pic), 0x36);
    outb(0x20, 0x20);
    pic_set_irq(&pic, 6, 1);                /* still high: no new request */
    assert_false(pic_pending(&pic));
    pic_set_irq(&pic, 6, 0);
    pic_set_irq(&pic, 6, 1);
    assert_true(pic_pending(&pic));
}

static void test_elcr_level(void **state)
{
    (void)state;
    linux_init();
    outb(0x4D0, 0xFF);
    outb(0x4D1, 0xFF);
    assert_int_equal(inb(0x4D0), 0xF8);
    assert_int_equal(inb(0x4D1), 0xDE);
    pic_set_irq(&pic, 11, 1);
    assert_int_equal(pic_ack(&pic), 0x3B);
    outb(0xA0, 0x20);
    outb(0x20, 0x20);
    assert_int_equal(pic_ack(&pic), 0x3B);  /* level still high: again */
    pic_set_irq(&pic, 11, 0);               /* the driver quiets the device, then EOIs */
    outb(0xA0, 0x20);
    outb(0x20, 0x20);
    assert_false(pic_pending(&pic));
}

static void test_rotate_on_eoi(void **state)
{
    (void)state;
    linux_init();
    pic_set_irq(&pic, 0, 1);
    assert_int_equal(pic_ack(&pic), 0x30);
    outb(0x20, 0xA0);                       /* rotate on non-specific EOI */
    pic_set_irq(&pic, 0, 0);
    pic_set_irq(&pic, 0, 1);
    pic_set_irq(&pic, 1, 1);
    assert_int_equal(pic_ack(&pic), 0x31);  /* IRQ0 is now the lowest */
    outb(0x20, 0xC4);                       /* set priority: IRQ4 lowest */
    outb(0x20, 0x20);
    assert_int_equal(pic_ack(&pic), 0x30);
}

static void test_icw1_resets(void **state)
{
    (void)state;
    linux_init();
    pic_set_irq(&pic, 5, 1);
    assert_int_equal(pic_ack(&pic), 0x35);
    outb(0x21, 0x55);
    outb(0x20, 0x11);
    outb(0x21, 0x50);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    assert_int_equal(inb(0x21), 0x00);      /* IMR cleared */
    outb(0x20, 0x0B);
    assert_int_equal(inb(0x20), 0x00);      /* ISR cleared */
    pic_set_irq(&pic, 5, 1);                /* "must make a low-to-high transition" */
    assert_false(pic_pending(&pic));
    pic_set_irq(&pic, 5, 0);
    pic_set_irq(&pic, 5, 1);
    assert_int_equal(pic_ack(&pic), 0x55);
}

static void test_poll_command(void **state)
{
    (void)state;
    linux_init();
    pic_set_irq(&pic, 3, 1);
    outb(0x20, 0x0C);
    assert_int_equal(inb(0x20), 0x83);
    outb(0x20, 0x0C);
    assert_int_equal(inb(0x20), 0x00);      /* in service now */
}

static void test_special_mask_mode(void **state)
{
    (void)state;
    linux_init();
    pic_set_irq(&pic, 2 + 1, 1);
    assert_int_equal(pic_ack(&pic), 0x33);
    pic_set_irq(&pic, 6, 1);
    assert_false(pic_pending(&pic));
    outb(0x21, 0x08);                       /* mask the level in service */
    outb(0x20, 0x68);                       /* enter special mask mode */
    assert_int_equal(pic_ack(&pic), 0x36);
    outb(0x20, 0x48);                       /* leave it */
}

static void test_wrong_width(void **state)
{
    (void)state;
    linux_init();
    /* A 16-bit read of 0x20 is two byte reads: IRR at 0x20, IMR at 0x21. */
    outb(0x21, 0x5A);
    assert_int_equal(ports_in(&io, 0x20, 2, 0), 0x5A00);
    ports_out(&io, 0x20, 2, 0xA50B, 0);     /* OCW3 then IMR */
    assert_int_equal(inb(0x21), 0xA5);
}

/* One random step of the walks below: a line change, a mask, an EOI
 * (non-specific or specific), now and then a new init (AEOI with rotation,
 * or plain); false for the step the walk checks instead. */
static bool random_step(unsigned r)
{
    switch (r % 8) {
    case 0: case 1: case 2:
        pic_set_irq(&pic, (int)(r >> 4) % 16, (r >> 9) & 1);
        return true;
    case 3:
        outb((r >> 4) & 1 ? 0xA1 : 0x21, (uint8_t)((r >> 5) & (r >> 13)));    /* masks, mostly clear */
        return true;
    case 4:
        outb((r >> 4) & 1 ? 0xA0 : 0x20, (r >> 5) & 1 ? 0x20 : (uint8_t)(0x60 | ((r >> 6) & 7)));
        return true;
    case 5:
        if ((r >> 4) % 64 == 0) {    /* now and then: AEOI with rotation, or a plain init */
            outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04);
            outb(0x21, (r >> 10) & 1 ? 0x03 : 0x01);
            outb(0x20, (r >> 11) & 1 ? 0x80 : 0x00);
        }
        return true;
    default:
        return false;
    }
}

/* Two random walks of 20,000 steps, from the BIOS's init and from Linux's,
 * calling check at each step random_step leaves to it; on the way, every
 * step that changes the state must change gen (a forecast kept by gen is
 * never stale). */
static void walk(uint32_t seed, void (*check)(void *ctx, uint32_t r), void *ctx)
{
    for (unsigned round = 0; round < 2; round++) {
        setup(0);
        if (round)
            linux_init();
        for (unsigned step = 0; step < 20000; step++) {
            seed = seed * 1103515245u + 12345u;
            struct pic before = pic;
            if (!random_step(seed >> 8)) {
                check(ctx, seed);
                continue;
            }
            if (memcmp(before.chip, pic.chip, sizeof pic.chip))
                assert_int_not_equal(before.gen, pic.gen);
        }
    }
}

/* pic_peek, pic_vector and a later pic_ack_irq (a patch block delivered
 * the interrupt meanwhile: host/vmm/blocks.h) do what one pic_ack does,
 * over random line changes, masks, EOIs and modes (AEOI, rotation, the
 * slave's IRQs through the cascade). */
struct peek_counts { unsigned compared, slave, none; };

static void peek_then_ack(void *ctx, uint32_t r)
{
    struct peek_counts *n = ctx;
    (void)r;
    struct pic copy = pic;
    int irq = pic_peek(&pic);
    if (irq < 0) {
        n->none++;
        return;
    }
    int vector = pic_vector(&pic, irq);
    assert_memory_equal(&copy, &pic, sizeof pic);     /* peeking changed nothing */
    assert_int_equal(pic_ack(&copy), vector);
    pic_ack_irq(&pic, irq);
    assert_memory_equal(&copy, &pic, sizeof pic);
    n->compared++;
    n->slave += irq >= 8;
}

static void test_peek_then_ack_is_ack(void **state)
{
    (void)state;
    struct peek_counts n = { 0 };
    walk(12345, peek_then_ack, &n);
    assert_true(n.compared > 1000 && n.slave > 100 && n.none > 100);
}

/* pic_forecast says what the EOIs would do, each made on a copy (master,
 * slave, slave then master), its shortcut (nothing requested and unmasked)
 * included. */
struct forecast_counts { unsigned checked, shortcut, let_through; };

static void forecast_is_eois(void *ctx, uint32_t r)
{
    struct forecast_counts *n = ctx;
    if ((r >> 20) & 1 && pic_pending(&pic))
        pic_ack(&pic);                                /* put something in service */
    struct pic m = pic, s = pic;
    pic_out(&m, 0x20, 1, 0x20, 0);
    pic_out(&s, 0xA0, 1, 0x20, 0);
    bool want_slave = pic_pending(&s);
    pic_out(&s, 0x20, 1, 0x20, 0);
    struct pic_forecast f = pic_forecast(&pic);
    assert_int_equal(f.master, pic_pending(&m));
    assert_int_equal(f.slave, want_slave);
    assert_int_equal(f.both, pic_pending(&s));
    n->checked++;
    n->shortcut += !((pic.chip[0].irr & ~pic.chip[0].imr) | (pic.chip[1].irr & ~pic.chip[1].imr));
    n->let_through += f.master != pic_pending(&pic) || f.both != pic_pending(&pic);
}

static void test_forecast_is_eois_on_a_copy(void **state)
{
    (void)state;
    struct forecast_counts n = { 0 };
    walk(777, forecast_is_eois, &n);
    assert_true(n.checked > 5000 && n.shortcut > 50 && n.let_through > 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bios_state, setup),
        cmocka_unit_test_setup(test_linux_init_and_specific_eoi, setup),
        cmocka_unit_test_setup(test_xv6_init_aeoi, setup),
        cmocka_unit_test_setup(test_priority_and_nesting, setup),
        cmocka_unit_test_setup(test_slave_cascade, setup),
        cmocka_unit_test_setup(test_spurious_irq7, setup),
        cmocka_unit_test_setup(test_spurious_irq15, setup),
        cmocka_unit_test_setup(test_mask_holds_request, setup),
        cmocka_unit_test_setup(test_edge_needs_new_edge, setup),
        cmocka_unit_test_setup(test_elcr_level, setup),
        cmocka_unit_test_setup(test_rotate_on_eoi, setup),
        cmocka_unit_test_setup(test_icw1_resets, setup),
        cmocka_unit_test_setup(test_poll_command, setup),
        cmocka_unit_test_setup(test_special_mask_mode, setup),
        cmocka_unit_test_setup(test_wrong_width, setup),
        cmocka_unit_test_setup(test_peek_then_ack_is_ack, setup),
        cmocka_unit_test_setup(test_forecast_is_eois_on_a_copy, setup),
    };
    DEV_RUN_TESTS(tests, 17);
}
