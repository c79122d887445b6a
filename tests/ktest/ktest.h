/*
 * In-kernel tests.  KTEST(name) defines a case in the .ktests section; the
 * runner (ktest.c) runs them by name or all, prints KTAP on the console,
 * checks that no case leaks pages or heap, and leaves QEMU through
 * isa-debug-exit.  A case fails with KT_FAIL or a false KT_ASSERT.
 */
#pragma once
#include <stdbool.h>
#include "kernel/console.h"

struct ktest {
    const char *name;
    void (*fn)(void);
    unsigned min_cpus;              /* skipped on fewer CPUs */
};

#define KTEST_CPUS(tname, cpus_needed)                                           \
    static void ktest_##tname(void);                                             \
    static const struct ktest ktest_desc_##tname                                 \
        __attribute__((used, section(".ktests"), aligned(8))) =                  \
        { #tname, ktest_##tname, cpus_needed };                                  \
    static void ktest_##tname(void)
#define KTEST(tname) KTEST_CPUS(tname, 1)

void ktest_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
extern bool ktest_failed;

#define KT_FAIL(...) do { ktest_fail(__FILE__, __LINE__, __VA_ARGS__); return; } while (0)
#define KT_ASSERT(cond) do { if (!(cond)) KT_FAIL("%s", #cond); } while (0)
#define KT_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    if (_a != _b) KT_FAIL("%s == %lld, expected %s == %lld", #a, _a, #b, _b); } while (0)

void ktest_main(const char *which) __attribute__((noreturn));
