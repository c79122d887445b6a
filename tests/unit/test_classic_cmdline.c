/* Unit tests of classic's command-line parser (guest-image/classic/cmdline.c),
 * built for the host.  The kernel's console and snprintf are replaced by
 * stubs that keep the last message, so each case can check what the kernel
 * would have printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "guest-image/classic/boot.h"

static char last_msg[512];

int console_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static struct classic_config cfg;

static int parse(const char *line)
{
    last_msg[0] = 0;
    memset(&cfg, 0xa5, sizeof cfg);
    return cmdline_parse(line, &cfg);
}

static void defaults(void **state)
{
    (void)state;
    assert_int_equal(parse(""), 0);
    assert_int_equal(cfg.workers, 8);
    assert_int_equal(cfg.requests, 64);
    assert_int_equal(cfg.hz, 100);
    assert_int_equal(cfg.watchdog, 0);  /* automatic */
    assert_int_equal(cfg.fsck_only, 0);
}

/* GRUB and QEMU put the image path first; it is not an option. */
static void image_path_skipped(void **state)
{
    (void)state;
    assert_int_equal(parse("/boot/classic.elf workers=3 requests=40"), 0);
    assert_int_equal(cfg.workers, 3);
    assert_int_equal(cfg.requests, 40);
    assert_int_equal(parse("classic.elf  hz=1000\twatchdog=5 mode=fsck"), 0);
    assert_int_equal(cfg.hz, 1000);
    assert_int_equal(cfg.watchdog, 5);
    assert_int_equal(cfg.fsck_only, 1);
}

static void options_without_path(void **state)
{
    (void)state;
    assert_int_equal(parse("workers=32 requests=4096"), 0);
    assert_int_equal(cfg.workers, 32);
    assert_int_equal(cfg.requests, 4096);
}

static void workers_zero(void **state)
{
    (void)state;
    assert_int_equal(parse("k workers=0"), -1);
    assert_string_equal(last_msg, "cmdline: bad value for workers: '0' (expected 1..32)\n");
}

static void workers_not_a_number(void **state)
{
    (void)state;
    assert_int_equal(parse("k workers=abc"), -1);
    assert_non_null(strstr(last_msg, "bad value for workers: 'abc'"));
    assert_int_equal(parse("k workers="), -1);
    assert_int_equal(parse("k workers=99999999999"), -1);
    assert_int_equal(parse("k workers=-1"), -1);
}

static void out_of_range(void **state)
{
    (void)state;
    assert_int_equal(parse("k workers=33"), -1);
    assert_int_equal(parse("k requests=4097"), -1);
    assert_int_equal(parse("k hz=19"), -1);
    assert_int_equal(parse("k watchdog=0"), -1);
    assert_int_equal(parse("k mode=fast"), -1);
    assert_non_null(strstr(last_msg, "bad value for mode: 'fast'"));
}

static void unknown_options(void **state)
{
    (void)state;
    assert_int_equal(parse("k colour=blue"), -1);
    assert_string_equal(last_msg, "cmdline: unknown option 'colour'\n");
    assert_int_equal(parse("k workers=2 verbose"), -1);
    assert_non_null(strstr(last_msg, "unknown option 'verbose'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(image_path_skipped),
        cmocka_unit_test(options_without_path),
        cmocka_unit_test(workers_zero),
        cmocka_unit_test(workers_not_a_number),
        cmocka_unit_test(out_of_range),
        cmocka_unit_test(unknown_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
