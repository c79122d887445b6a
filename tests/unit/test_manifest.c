/* Peel manifests: good ones parse field by field; bad ones name the line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "host/peel/manifest.h"

static struct manifest m;
static char err[96];

static const char *parse(const char *text)
{
    return manifest_parse(text, strlen(text), &m, err, sizeof err);
}

static void classic_manifest(void **s)
{
    (void)s;
    assert_null(parse("# comment\n\nsubsystem checksum outside-gkl\n"
                      "    fn svc_checksum fnv1a 2   # trailing comment\n"
                      "    fn svc_hash_rounds fnv1a_rounds 4\n"
                      "subsystem mm\n  fn kmalloc native_kmalloc 1\n  fn kfree native_kfree 1 drain\n  keeps mm_free_pages\n"));
    assert_int_equal(m.nsubsystems, 2);
    const struct manifest_subsystem *c = manifest_find(&m, "checksum");
    assert_non_null(c);
    assert_true(c->outside_gkl);
    assert_int_equal(c->nfns, 2);
    assert_string_equal(c->fns[1].symbol, "svc_hash_rounds");
    assert_string_equal(c->fns[1].native, "fnv1a_rounds");
    assert_int_equal(c->fns[1].nargs, 4);
    const struct manifest_subsystem *mm = manifest_find(&m, "mm");
    assert_false(mm->outside_gkl);
    assert_false(mm->fns[0].drain);
    assert_true(mm->fns[1].drain);
    assert_int_equal(mm->nkeeps, 1);
    assert_string_equal(mm->keeps[0], "mm_free_pages");
    assert_null(manifest_find(&m, "fs"));
}

static void options_and_idle(void **s)
{
    (void)s;
    assert_null(parse("subsystem sched boot-only outside-gkl\n fn sched_yield yield 0\n"
                      "subsystem fs outside-gkl\n fn fs_read read 4\n idle fs_mutex\n idle other_lock\n"));
    const struct manifest_subsystem *sc = manifest_find(&m, "sched"), *fs = manifest_find(&m, "fs");
    assert_true(sc->boot_only);
    assert_true(sc->outside_gkl);
    assert_int_equal(sc->nidle, 0);
    assert_false(fs->boot_only);
    assert_int_equal(fs->nidle, 2);
    assert_string_equal(fs->idle[0], "fs_mutex");
    assert_string_equal(fs->idle[1], "other_lock");
    assert_string_equal(parse("idle x\n"), "manifest line 1: idle before any subsystem");
    assert_string_equal(parse("subsystem a\n fn f g 1\n idle\n"), "manifest line 3: idle needs a symbol");
}

static void no_newline_at_end(void **s)
{
    (void)s;
    assert_null(parse("subsystem a\nfn f g 0"));
    assert_int_equal(m.subsystems[0].nfns, 1);
}

static void errors_name_the_line(void **s)
{
    (void)s;
    static const struct { const char *text, *want; } bad[] = {
        { "fn f g 1\n", "manifest line 1: fn before any subsystem" },
        { "subsystem a\n fn f g\n", "manifest line 2: fn needs SYMBOL NATIVE ARGS" },
        { "subsystem a\n fn f g two\n", "manifest line 2: fn ARGS must be a number from 0 to 8" },
        { "subsystem a\n fn f g 9\n", "manifest line 2: fn ARGS must be a number from 0 to 8" },
        { "subsystem a inside\n fn f g 1\n", "manifest line 1: subsystem takes only the words outside-gkl and boot-only after its name" },
        { "subsystem a\n\n\n frob x\n", "manifest line 4: unknown keyword (want subsystem, fn, keeps or idle)" },
        { "subsystem a\n fn f g 1 extra\n", "manifest line 2: fn takes only the word drain after ARGS" },
        { "subsystem a\n fn f g 1 drain more\n", "manifest line 2: unexpected words at the end of the line" },
        { "subsystem a\n", "manifest line 2: a subsystem without functions" },
        { "subsystem\n", "manifest line 1: subsystem needs a name" },
        { "keeps x\n", "manifest line 1: keeps before any subsystem" },
        { "subsystem aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n fn f g 1\n", "manifest line 1: a name longer than 31 characters" },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = parse(bad[i].text);
        if (!why) fail_msg("case %u parsed: %s", i, bad[i].text);
        assert_string_equal(why, bad[i].want);
    }
}

static void limits(void **s)
{
    (void)s;
    char text[4096] = "subsystem a\n";
    for (int i = 0; i < MANIFEST_MAX_FNS + 1; i++)
        strcat(text, " fn f g 1\n");
    assert_string_equal(parse(text), "manifest line 18: too many functions in one subsystem");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classic_manifest),
        cmocka_unit_test(options_and_idle),
        cmocka_unit_test(no_newline_at_end),
        cmocka_unit_test(errors_name_the_line),
        cmocka_unit_test(limits),
    };
    return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
