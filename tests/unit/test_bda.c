/* Unit tests for the BIOS data area (host/dev/bda.c): what SeaBIOS leaves
 * on QEMU's isapc with COM1 only (tests/guests/pcprobe.asm read it there),
 * but for the devices the hosted PC has. */
#include <stdlib.h>
#include "tests/unit/dev_harness.h"
#include "host/dev/bda.h"

#define LOW (640 * 1024)

static uint16_t w16(const uint8_t *low, uint32_t at) { return (uint16_t)(low[at] | low[at + 1] << 8); }

static const struct bda_pc peel_pc = {
    .com = { 0x3F8 }, .fpu = true, .vga_text = true, .base_kib = 640,
};

static void test_isapc_layout(void **state)
{
    (void)state;
    uint8_t *low = malloc(LOW);
    memset(low, 0xA5, LOW);
    assert_true(bda_fill(low, &peel_pc));
    assert_int_equal(w16(low, 0x400), 0x3F8);           /* COM1; COM2-4 absent */
    for (uint32_t a = 0x402; a < 0x40E; a += 2)
        assert_int_equal(w16(low, a), 0);               /* and no LPT */
    assert_int_equal(w16(low, 0x40E), 0x9FC0);          /* the EBDA at 0x9FC00, as SeaBIOS puts it */
    assert_int_equal(w16(low, 0x413), 639);
    assert_int_equal(w16(low, 0x410), 0x202);           /* one serial port, FPU, VGA; isapc's 0x206 adds its mouse */
    assert_int_equal(low[0x9FC00], 1);                  /* the EBDA's size, KiB */
    for (uint32_t a = 0x9FC01; a < 0xA0000; a++)
        assert_int_equal(low[a], 0);                    /* no "_MP_" or "RSD PTR " in it */
    assert_int_equal(low[0x449], 3);
    assert_int_equal(w16(low, 0x44A), 80);
    assert_int_equal(w16(low, 0x463), 0x3D4);
    assert_int_equal(low[0x484], 24);
    assert_int_equal(low[0x3FF], 0xA5);                 /* nothing below the BDA */
    assert_int_equal(low[0x9FBFF], 0xA5);               /* nor of base memory */
    free(low);
}

static void test_equipment_counts(void **state)
{
    (void)state;
    uint8_t *low = calloc(1, LOW);
    struct bda_pc pc = { .com = { 0x3F8, 0x2F8, 0, 0x2E8 }, .lpt = { 0x378, 0x278 },
                         .floppy = true, .ps2_mouse = true, .base_kib = 512 };
    assert_true(bda_fill(low, &pc));
    assert_int_equal(w16(low, 0x410), 3 << 9 | 2 << 14 | 0x5);
    assert_int_equal(w16(low, 0x406), 0x2E8);
    assert_int_equal(w16(low, 0x40A), 0x278);
    assert_int_equal(w16(low, 0x413), 511);
    assert_int_equal(w16(low, 0x40E), 511 * 64);
    assert_int_equal(low[0x449], 0);                    /* no VGA: the video fields stay */
    free(low);
}

static void test_bad_sizes_write_nothing(void **state)
{
    (void)state;
    uint8_t *low = calloc(1, LOW);
    struct bda_pc pc = peel_pc;
    static const uint32_t bad[] = { 0, 1, 641, 0xFFFFFFFF };
    for (size_t i = 0; i < NELEM(bad); i++) {
        pc.base_kib = bad[i];
        assert_false(bda_fill(low, &pc));
        for (uint32_t a = 0; a < LOW; a++)
            if (low[a])
                fail_msg("base_kib %u wrote 0x%x", bad[i], a);
    }
    free(low);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isapc_layout),
        cmocka_unit_test(test_equipment_counts),
        cmocka_unit_test(test_bad_sizes_write_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
