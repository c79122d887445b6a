/* Host command-line parsing: known options, bad values, unknown words. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "kernel/cmdline.h"
#include "sched/capacity.h"

static char warned[512];
static void warn(const char *word, const char *why)
{
    strcat(warned, word);
    strcat(warned, ":");
    strcat(warned, why);
    strcat(warned, ";");
}

static struct cmdline parse(const char *s, int expect_bad)
{
    struct cmdline c;
    memset(&c, 0, sizeof c);
    warned[0] = 0;
    assert_int_equal(cmdline_parse(s, &c, warn), expect_bad);
    return c;
}

static void empty_and_spaces(void **s)
{
    (void)s;
    parse("", 0);
    parse("   \t ", 0);
    parse(NULL, 0);
}

static void known_options(void **s)
{
    (void)s;
    struct cmdline c = parse("nosmp smp=3 panic=exit ktest=all failalloc=100,7 duration=5 stress=locks,ipi", 0);
    assert_true(c.nosmp);
    assert_int_equal(c.max_cpus, 3);
    assert_true(c.panic_exit);
    assert_string_equal(c.ktest, "all");
    assert_int_equal(c.failalloc_rate, 100);
    assert_int_equal(c.failalloc_seed, 7);
    assert_int_equal(c.duration, 5);
    assert_string_equal(c.stress, "locks,ipi");
}

static void unknown_reported_not_fatal(void **s)
{
    (void)s;
    struct cmdline c = parse("bogus smp=2 frob=1 nosmp=yes", 3);
    assert_int_equal(c.max_cpus, 2);                  /* the good word still counts */
    assert_non_null(strstr(warned, "bogus:unknown option"));
    assert_non_null(strstr(warned, "frob=1:unknown option"));
    assert_non_null(strstr(warned, "nosmp=yes:"));
}

/* capacity=: a count, or all; the probe's 0 is not one a user can give. */
static void capacity_values(void **s)
{
    (void)s;
    assert_int_equal(parse("capacity=3", 0).capacity, 3);
    assert_int_equal(parse("capacity=all", 0).capacity, CAPACITY_ALL);
    struct cmdline c = parse("capacity=0 capacity=x capacity= capacity capacity=4294967295 capacity=-1", 6);
    assert_int_equal(c.capacity, 0);                 /* still measured */
    assert_non_null(strstr(warned, "capacity=0:wants all or a CPU count > 0"));
}

static void bad_values(void **s)
{
    (void)s;
    struct cmdline c = parse("smp=0 smp=x smp=99999999999 panic=maybe failalloc=5 failalloc=0,1 duration= ktest=", 8);
    assert_int_equal(c.max_cpus, 0);
    assert_false(c.panic_exit);
    assert_int_equal(c.failalloc_rate, 0);
}

/* Words registered from outside the core (the hypervisor's guest=, peel=):
 * two of this file's own, a valued one and a bare one. */
static char color[16];
static int loud;

static const char *set_color(const char *v, size_t n)
{
    if (!cmdline_is(v, n, "red") && !cmdline_is(v, n, "blue"))
        return "wants red or blue";
    return cmdline_copy(color, sizeof color, v, n) ? 0 : "too long";
}
CMDLINE_OPTION("color", true, set_color);

static const char *set_loud(const char *v, size_t n)
{
    (void)v, (void)n;
    loud++;
    return 0;
}
CMDLINE_OPTION("loud", false, set_loud);

static void registered_words(void **s)
{
    (void)s;
    color[0] = 0, loud = 0;
    struct cmdline c = parse("smp=2 color=red loud loud", 0);
    assert_int_equal(c.max_cpus, 2);
    assert_string_equal(color, "red");
    assert_int_equal(loud, 2);
    parse("color=green loud=yes color", 3);         /* bad value; a bare key that wants none; one that wants one */
    assert_string_equal(color, "red");
    assert_non_null(strstr(warned, "color=green:wants red or blue"));
    assert_non_null(strstr(warned, "loud=yes:unknown option"));
    assert_non_null(strstr(warned, "color:unknown option"));
}

static void append_words(void **s)
{
    (void)s;
    char line[12] = "";
    assert_true(cmdline_append(line, sizeof line, "a=1", 3));
    assert_true(cmdline_append(line, sizeof line, "bb=2", 4));
    assert_string_equal(line, "a=1 bb=2");
    assert_false(cmdline_append(line, sizeof line, "ccc", 3));   /* "a=1 bb=2 ccc" + NUL: 13 */
    assert_string_equal(line, "a=1 bb=2");
}

static void overlong_value_refused(void **s)
{
    (void)s;
    char line[400] = "ktest=";
    memset(line + 6, 'a', 300);
    line[306] = 0;
    struct cmdline c = parse(line, 1);
    assert_string_equal(c.ktest, "");
}

/* the helper alone: every unit, both cases, the 4 GiB cap, no unit, junk */
static void sizes_with_units(void **s)
{
    (void)s;
    static const struct { const char *v; bool ok; uint64_t bytes; } cases[] = {
        { "128M", true, 128ull << 20 }, { "128m", true, 128ull << 20 }, { "1G", true, 1ull << 30 },
        { "4G", true, 4ull << 30 }, { "4096M", true, 4ull << 30 }, { "4194304K", true, 4ull << 30 },
        { "0M", true, 0 }, { "5G", false, 0 }, { "4097M", false, 0 }, { "128", false, 0 },
        { "M", false, 0 }, { "", false, 0 }, { "12X", false, 0 }, { "1.5G", false, 0 },
        { "-1M", false, 0 }, { "99999999999M", false, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t got = 12345;
        bool ok = cmdline_size(cases[i].v, strlen(cases[i].v), &got);
        assert_int_equal(ok, cases[i].ok);
        assert_int_equal(got, ok ? cases[i].bytes : 12345);
    }
}

static void later_word_wins(void **s)
{
    (void)s;
    struct cmdline c = parse("panic=exit panic=halt smp=2 smp=4", 0);
    assert_false(c.panic_exit);
    assert_int_equal(c.max_cpus, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_and_spaces),
        cmocka_unit_test(known_options),
        cmocka_unit_test(unknown_reported_not_fatal),
        cmocka_unit_test(bad_values),
        cmocka_unit_test(capacity_values),
        cmocka_unit_test(registered_words),
        cmocka_unit_test(append_words),
        cmocka_unit_test(overlong_value_refused),
        cmocka_unit_test(later_word_wins),
        cmocka_unit_test(sizes_with_units),
    };
    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
