/* Unit tests for the VGA text-mode model. */
#include <stdlib.h>
#include "tests/unit/dev_harness.h"
#include "host/dev/vga.h"
#include "host/dev/ports.h"

static struct vga vga;
static struct ports io;
static uint8_t *text;
static uint64_t T;

static void outb(uint16_t port, uint8_t val) { ports_out(&io, port, 1, val, T); }
static uint8_t inb(uint16_t port) { return (uint8_t)ports_in(&io, port, 1, T); }

static int setup(void **state)
{
    (void)state;
    T = 0;
    text = malloc(VGA_TEXT_BYTES);
    ports_init(&io);
    vga_init(&vga, text);
    assert_true(vga_attach(&vga, &io));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(text);
    return 0;
}

static void put(unsigned cell, const char *s)
{
    for (; *s; s++, cell++) {
        text[2 * cell] = (uint8_t)*s;
        text[2 * cell + 1] = 0x1F;
    }
}

/* xv6 console.c cgaputc(): cursor position through CRTC 14/15. */
static void test_xv6_cursor(void **state)
{
    unsigned pos;
    (void)state;
    outb(0x3D4, 14);
    pos = inb(0x3D5) << 8;
    outb(0x3D4, 15);
    pos |= inb(0x3D5);
    assert_int_equal(pos, 0);
    pos = 3 * 80 + 7;
    outb(0x3D4, 14);
    outb(0x3D5, (uint8_t)(pos >> 8));
    outb(0x3D4, 15);
    outb(0x3D5, (uint8_t)pos);
    assert_int_equal(vga_cursor(&vga), pos);
    ports_out(&io, 0x3D4, 2, 0x0E | 0x07 << 8, T);  /* Linux-style outw */
    assert_int_equal(vga_cursor(&vga), 0x700 | (pos & 0xFF));
}

static void test_row_text(void **state)
{
    char row[VGA_COLS + 1];
    (void)state;
    put(0, "Hello");
    put(24 * 80 + 75, "World");
    put(80, "a\x01\xB0z");
    assert_int_equal(vga_row_text(&vga, 0, row), 5);
    assert_string_equal(row, "Hello");
    assert_int_equal(vga_row_text(&vga, 24, row), 80);
    assert_string_equal(row + 75, "World");
    vga_row_text(&vga, 1, row);
    assert_string_equal(row, "a..z");
    assert_int_equal(vga_row_text(&vga, 2, row), 0);
    assert_int_equal(vga_row_text(&vga, 25, row), 0);
}

static void test_start_address_scrolls_and_wraps(void **state)
{
    char row[VGA_COLS + 1];
    (void)state;
    put(80, "second");
    outb(0x3D4, 0x0C);
    outb(0x3D5, 0x00);
    outb(0x3D4, 0x0D);
    outb(0x3D5, 80);
    vga_row_text(&vga, 0, row);
    assert_string_equal(row, "second");
    put(0, "wrapped");
    outb(0x3D4, 0x0C);
    outb(0x3D5, 0xFF);                      /* near the end of the 32 KiB window */
    outb(0x3D4, 0x0D);
    outb(0x3D5, 0xFF);
    assert_int_equal(vga_start(&vga), 0xFFFF);
    vga_row_text(&vga, 1, row);             /* (0xFFFF + 80) % 16384 = 79 */
    assert_int_equal(row[0], ' ');
}

static void test_mono_colour_decode(void **state)
{
    (void)state;
    assert_int_equal(inb(0x3CC), 0x67);
    assert_int_equal(inb(0x3B5), 0xFF);     /* colour mode: 0x3Bx floats */
    outb(0x3C2, 0x66);
    outb(0x3B4, 0x0F);
    outb(0x3B5, 0x42);
    assert_int_equal(vga_cursor(&vga) & 0xFF, 0x42);
    assert_int_equal(inb(0x3D5), 0xFF);
}

static void test_retrace_follows_time(void **state)
{
    int retraces = 0, prev = 0;
    (void)state;
    for (T = 0; T < 100000000; T += 10000) {        /* 100 ms */
        int now = inb(0x3DA) & 0x08;
        if (now && !prev)
            retraces++;
        if (now)
            assert_int_equal(inb(0x3DA) & 0x01, 0x01);      /* blanking too */
        prev = now;
    }
    assert_int_equal(retraces, 7);          /* 70 Hz */
}

static void test_attribute_flip_flop(void **state)
{
    (void)state;
    inb(0x3DA);                             /* reset to the index state */
    outb(0x3C0, 0x30);                      /* index 0x10 with PAS */
    outb(0x3C0, 0x08);
    assert_int_equal(inb(0x3C1), 0x08);
    outb(0x3C0, 0x31);                      /* index again: flip-flop toggled */
    assert_int_equal(inb(0x3C0), 0x31);
    inb(0x3DA);
    outb(0x3C0, 0x20);
    assert_int_equal(inb(0x3C1), 0x00);
}

static void test_dac_autoincrement(void **state)
{
    (void)state;
    outb(0x3C8, 7);
    for (int i = 0; i < 6; i++)
        outb(0x3C9, (uint8_t)(0x40 + i));       /* 6-bit DAC: top bits dropped */
    outb(0x3C7, 7);
    assert_int_equal(inb(0x3C7), 0x03);
    for (int i = 0; i < 6; i++)
        assert_int_equal(inb(0x3C9), i);
    assert_int_equal(inb(0x3C8), 9);
}

static void test_crtc_protect_and_cursor_shape(void **state)
{
    (void)state;
    outb(0x3D4, 0x11);
    outb(0x3D5, 0x8E);                      /* protect CR0-7 */
    outb(0x3D4, 0x01);
    outb(0x3D5, 0x00);
    assert_int_equal(inb(0x3D5), 0x4F);
    outb(0x3D4, 0x0A);
    outb(0x3D5, 0x20);                      /* cursor off */
    assert_false(vga_cursor_visible(&vga));
    outb(0x3D4, 0x3F);
    assert_int_equal(inb(0x3D5), 0xFF);     /* beyond the register file */
}

static void test_hostile_writes(void **state)
{
    char row[VGA_COLS + 1];
    uint32_t x = 5;
    (void)state;
    for (int i = 0; i < 200000; i++) {
        x = x * 1103515245 + 12345;
        uint16_t port = (uint16_t)(0x3B0 + (x >> 8) % 48);
        if (x & 0x80000000)
            ports_out(&io, port, 1 << ((x >> 4) % 3), x >> 12, T);
        else
            ports_in(&io, port, 1, T);
        T += x % 1000;
        if ((x & 0xF00) == 0)
            vga_row_text(&vga, (int)(x >> 20) % 30, row);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_xv6_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_address_scrolls_and_wraps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mono_colour_decode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retrace_follows_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attribute_flip_flop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dac_autoincrement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crtc_protect_and_cursor_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_writes, setup, teardown),
    };
    DEV_RUN_TESTS(tests, 9);
}
