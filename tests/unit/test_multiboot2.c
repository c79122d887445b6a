/* Multiboot2 boot-information parsing: hand-built blocks, good and bad. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "boot/multiboot2.h"

static uint8_t buf[4096] __attribute__((aligned(8)));
static size_t len;

static void begin(void) { memset(buf, 0, sizeof buf); len = 8; }
static void put32(size_t at, uint32_t v) { memcpy(buf + at, &v, 4); }
static void put64(size_t at, uint64_t v) { memcpy(buf + at, &v, 8); }

static size_t tag(uint32_t type, uint32_t size)
{
    size_t at = len;
    put32(at, type);
    put32(at + 4, size);
    len += (size + 7) & ~7u;
    return at;
}

static void end(void) { tag(0, 8); put32(0, len); }

static void mmap(const uint64_t (*e)[3], size_t n)
{
    size_t at = tag(6, 16 + 24 * n);
    put32(at + 8, 24);
    put32(at + 12, 0);
    for (size_t i = 0; i < n; i++) {
        put64(at + 16 + 24 * i, e[i][0]);
        put64(at + 24 + 24 * i, e[i][1]);
        put32(at + 32 + 24 * i, (uint32_t)e[i][2]);
    }
}

static void full_block(void **s)
{
    (void)s;
    begin();
    size_t c = tag(1, 8 + 12);
    memcpy(buf + c + 8, "nosmp smp=2", 12);
    const uint64_t e[][3] = { { 0, 0x9fc00, 1 }, { 0xf0000, 0x10000, 2 }, { 0x100000, 0x7ee0000, 1 } };
    mmap(e, 3);
    size_t m = tag(3, 16 + 6);
    put32(m + 8, 0x200000);
    put32(m + 12, 0x280000);
    memcpy(buf + m + 16, "guest", 6);
    size_t a = tag(14, 8 + 20);
    memcpy(buf + a + 8, "RSD PTR ", 8);
    end();
    struct bootinfo bi;
    assert_null(mb2_parse(buf, sizeof buf, &bi));
    assert_null(bi.warning);
    assert_string_equal(bi.cmdline, "nosmp smp=2");
    assert_int_equal(bi.nregions, 3);
    assert_false(bi.regions[1].usable);
    assert_int_equal(bi.top, 0x7fe0000);
    assert_int_equal(bi.nmodules, 1);
    assert_int_equal(bi.modules[0].start, 0x200000);
    assert_string_equal(bi.modules[0].cmdline, "guest");
    assert_non_null(bi.rsdp);
    assert_int_equal(bi.rsdp_len, 20);
}

static void acpi_new_preferred(void **s)
{
    (void)s;
    begin();
    size_t n = tag(15, 8 + 36);
    size_t o = tag(14, 8 + 20);
    end();
    struct bootinfo bi;
    assert_null(mb2_parse(buf, sizeof buf, &bi));
    assert_ptr_equal(bi.rsdp, buf + n + 8);
    (void)o;
}

static void no_acpi_no_mmap(void **s)
{
    (void)s;
    begin();
    end();
    struct bootinfo bi;
    assert_null(mb2_parse(buf, sizeof buf, &bi));
    assert_null(bi.rsdp);
    assert_int_equal(bi.nregions, 0);
    assert_string_equal(bi.cmdline, "");
}

static void impossible_sizes(void **s)
{
    (void)s;
    struct bootinfo bi;
    begin();
    end();
    assert_non_null(mb2_parse(buf, 4, &bi));
    put32(0, 8);
    assert_non_null(mb2_parse(buf, sizeof buf, &bi));
    put32(0, 1u << 30);
    assert_non_null(mb2_parse(buf, sizeof buf, &bi));
    assert_non_null(mb2_parse(NULL, 100, &bi));
}

static void tag_overruns_block(void **s)
{
    (void)s;
    begin();
    size_t c = tag(1, 8 + 4);
    memcpy(buf + c + 8, "abc", 4);
    size_t bad = tag(6, 16);
    end();
    put32(bad + 4, 4000);                             /* claims more than the block */
    struct bootinfo bi;
    assert_null(mb2_parse(buf, sizeof buf, &bi));
    assert_non_null(bi.warning);
    assert_string_equal(bi.cmdline, "abc");           /* what came before still counts */
}

static void unterminated_cmdline(void **s)
{
    (void)s;
    begin();
    size_t c = tag(1, 8 + 4);
    memcpy(buf + c + 8, "abcd", 4);
    end();
    struct bootinfo bi;
    assert_null(mb2_parse(buf, sizeof buf, &bi));
    assert_string_equal(bi.cmdline, "");
    assert_non_null(bi.warning);
}

static void mmap_zero_length_and_bad_entry_size(void **s)
{
    (void)s;
    begin();
    const uint64_t e[][3] = { { 0x1000, 0, 1 }, { 0x100000, 0x100000, 1 } };
    mmap(e, 2);
    end();
    struct bootinfo bi;
    assert_null(mb2_parse(buf, sizeof buf, &bi));
    assert_int_equal(bi.nregions, 1);                 /* the empty one dropped */
    begin();
    mmap(e, 2);
    put32(8 + 8, 20);                                 /* entry size not a multiple of 8 */
    end();
    assert_null(mb2_parse(buf, sizeof buf, &bi));
    assert_int_equal(bi.nregions, 0);
    assert_non_null(bi.warning);
}

static void missing_end_tag(void **s)
{
    (void)s;
    begin();
    tag(1, 9);
    put32(0, len);
    struct bootinfo bi;
    assert_null(mb2_parse(buf, sizeof buf, &bi));
    assert_non_null(bi.warning);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_block),
        cmocka_unit_test(acpi_new_preferred),
        cmocka_unit_test(no_acpi_no_mmap),
        cmocka_unit_test(impossible_sizes),
        cmocka_unit_test(tag_overruns_block),
        cmocka_unit_test(unterminated_cmdline),
        cmocka_unit_test(mmap_zero_length_and_bad_entry_size),
        cmocka_unit_test(missing_end_tag),
    };
    return cmocka_run_group_tests_name("multiboot2", tests, NULL, NULL);
}
