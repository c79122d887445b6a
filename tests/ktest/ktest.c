#include <stdarg.h>
#include "tests/ktest/ktest.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/power.h"
#include "kernel/heap.h"
#include "kernel/pmm.h"
#include "smp/percpu.h"
#include "sched/sched.h"
#include "kernel/cmdline.h"
#include "kernel/initcall.h"

extern const struct ktest __ktest_start[], __ktest_end[];
bool ktest_failed;
static char reason[256];

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!ktest_failed)
        snprintf(reason, sizeof reason, "%s:%d: %s", file, line, msg);
    ktest_failed = true;
}

/* "all", or a comma-separated list of names */
static bool selected(const char *which, const char *name)
{
    if (!strcmp(which, "all"))
        return true;
    size_t n = strlen(name);
    for (const char *p = which; *p;) {
        const char *end = p;
        while (*end && *end != ',') end++;
        if ((size_t)(end - p) == n && !strncmp(p, name, n))
            return true;
        p = *end ? end + 1 : end;
    }
    return false;
}

/* Give exited threads' CPUs a moment to finish freeing them. */
static void settle(void)
{
    thread_sleep_ns(20 * 1000000ull);
}

static bool run_one(const struct ktest *t, unsigned num)
{
    if (ncpus < t->min_cpus) {
        kprintf("ok %u %s # SKIP needs %u CPUs\n", num, t->name, t->min_cpus);
        return true;
    }
    uint64_t pages0 = page_free_count(), live0, hp, a, f, live1;
    kmalloc_stats(&live0, &hp, &a, &f);
    ktest_failed = false;
    t->fn();
    settle();
    kmalloc_stats(&live1, &hp, &a, &f);
    uint64_t pages1 = page_free_count();
    if (!ktest_failed && (live1 != live0 || pages1 != pages0))
        ktest_fail(__FILE__, __LINE__, "leak: heap %ld bytes, %ld pages not returned",
                   (long)(live1 - live0), (long)(pages0 - pages1));
    if (ktest_failed)
        kprintf("not ok %u %s # %s\n", num, t->name, reason);
    else
        kprintf("ok %u %s\n", num, t->name);
    return !ktest_failed;
}

void ktest_main(const char *which)
{
    unsigned total = 0, ran = 0, failed = 0;
    for (const struct ktest *t = __ktest_start; t < __ktest_end; t++)
        total += selected(which, t->name);
    kprintf("KTAP version 1\n1..%u\n", total);
    for (const struct ktest *t = __ktest_start; t < __ktest_end; t++) {
        if (!selected(which, t->name))
            continue;
        ran++;
        failed += !run_one(t, ran);
    }
    if (ran != total || total == 0) {
        kprintf("not ok %u ktest-meta # ran %u of %u selected tests\n", total + 1, ran, total);
        failed++;
    }
    kprintf("# ktest: %u passed, %u failed on %u CPUs\n", ran - failed + (ran != total), failed, ncpus);
    qemu_exit(failed ? EXIT_FAIL : EXIT_PASS);
    power_off();
}

/* ktest=NAME[,NAME...] or ktest=all on the command line: run, then leave QEMU. */
static void ktest_run(void)
{
    if (cmdline.ktest[0])
        ktest_main(cmdline.ktest);
}
INITCALL(INIT_TEST, ktest_run);
