/*
 * The one formatter (kernel/fmt.c): where it means what libc's snprintf
 * means, the two must agree byte for byte; where it differs on purpose
 * (%p, an unknown conversion), it does what kernel/fmt.h says.  The
 * loader's and the line parsers' conventions are checked as they use them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/fmt.h"

/* Truncation is what some cases test. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* Ours and libc's, into buffers of `size`, text and return value equal. */
#define SAME(size, ...) do {                                            \
        char ours[size], libc[size];                                    \
        int a = fmt_snprintf(ours, sizeof ours, __VA_ARGS__);           \
        int b = snprintf(libc, sizeof libc, __VA_ARGS__);               \
        assert_string_equal(ours, libc);                                \
        assert_int_equal(a, b);                                         \
    } while (0)

static char out[128];
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    fmt_vsnprintf(out, sizeof out, f, ap);
    va_end(ap);
    return out;
}

static void integers_as_libc(void **state)
{
    (void)state;
    SAME(64, "%d %i %u", 0, -1, 4294967295u);
    SAME(64, "%d %d", 2147483647, (int)-2147483647 - 1);
    SAME(64, "%x %X %x", 0xabcdefu, 0xabcdefu, 0u);
    SAME(64, "%ld %lu %lx", (long)INT64_MIN, (unsigned long)UINT64_MAX, 0x123456789abcdefUL);
    SAME(64, "%lld %llu %llx", (long long)-5, 18446744073709551615ull, 0xfull);
    SAME(64, "%zu %zx", (size_t)123456789, (size_t)0xdead);
}

static void width_and_flags_as_libc(void **state)
{
    (void)state;
    SAME(64, "[%5d][%-5d][%05d]", 42, 42, 42);
    SAME(64, "[%5d][%-5d][%05d]", -42, -42, -42);
    SAME(64, "[%08x][%-8x][%8X]", 0xbeefu, 0xbeefu, 0xbeefu);
    SAME(64, "[%016lx][%2u]", 0x1234ul, 123456u);
    SAME(64, "[%5s][%-5s][%.2s][%-6.3s]", "ab", "ab", "abcdef", "abcdef");
    SAME(64, "[%c][%3c][%-3c]", 'z', 'y', 'x');
    SAME(64, "100%% [%s]", "");
    /* What ktest_kernel checks in the booted kernel. */
    SAME(64, "%d|%5u|%-4x|%08lx|%s|%c", -42, 7u, 0xabu, 0x1234ul, "ok", 'z');
}

static void truncation_as_libc(void **state)
{
    (void)state;
    SAME(4, "%s", "truncated");
    SAME(1, "%d", 12345);
    SAME(8, "%08x%08x", 0x1u, 0x2u);
    char canary[2] = { 'x', 'y' };
    assert_int_equal(fmt_snprintf(canary, 0, "%s", "nothing"), 7);
    assert_int_equal(canary[0], 'x');           /* size 0 writes nothing */
}

/* A format the compiler cannot see, for one it would refuse. */
static const char *unchecked(const char *f, int v)
{
    fmt_snprintf(out, sizeof out, f, v);
    return out;
}

static void on_purpose_not_libc(void **state)
{
    (void)state;
    assert_string_equal(fmt("%p", (void *)0x1234), "0x0000000000001234");
    assert_string_equal(fmt("[%s]", (char *)NULL), "[(null)]");
    assert_string_equal(unchecked("%q %d", 7), "%q 7");   /* an unknown conversion prints itself */
}

/* The loader's refusals: 0x and at least 8 digits for an address, the
 * shortest form for any other hex number. */
static void loader_conventions(void **state)
{
    (void)state;
    assert_string_equal(fmt("0x%08x+0x%x", 0x100000u, 0x1000u), "0x00100000+0x1000");
    assert_string_equal(fmt("0x%08lx", 0x123456789ul), "0x123456789");
    assert_string_equal(fmt("0x%x", 0u), "0x0");
    assert_string_equal(fmt("the %zu-byte file", (size_t)52), "the 52-byte file");
}

/* The manifest's and the symbol map's "PREFIX N: what". */
static void line_messages(void **state)
{
    (void)state;
    char err[24];
    fmt_snprintf(err, sizeof err, "symbol map line %u: %s", 5u, "ADDR is bad");
    assert_string_equal(err, "symbol map line 5: ADDR");
    assert_string_equal(fmt("manifest line %u: %s", 12u, "a subsystem without functions"),
                        "manifest line 12: a subsystem without functions");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_as_libc),
        cmocka_unit_test(width_and_flags_as_libc),
        cmocka_unit_test(truncation_as_libc),
        cmocka_unit_test(on_purpose_not_libc),
        cmocka_unit_test(loader_conventions),
        cmocka_unit_test(line_messages),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
