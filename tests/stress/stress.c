/*
 * The stress runner: picks cases by name, runs each with its workers pinned
 * on every CPU, checks invariants and leaks, prints one STRESS line and one
 * KTAP line a case, and leaves QEMU through isa-debug-exit.
 */
#include <stdarg.h>
#include "tests/stress/stress.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/failalloc.h"
#include "kernel/initcall.h"
#include "kernel/heap.h"
#include "kernel/pmm.h"
#include "kernel/power.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/watchdog.h"
#include "smp/percpu.h"

#define DEFAULT_SECS 20
#define STUCK_GRACE_NS (30 * SEC)      /* past the deadline: a worker is stuck */

struct worker_arg { struct stress_run *r; unsigned cpu, slot; };

void stress_fail(struct stress_run *r, const char *fmt, ...)
{
    if (__atomic_exchange_n(&r->failed, true, __ATOMIC_ACQ_REL))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

void stress_note(struct stress_run *r, const char *fmt, ...)
{
    if (r->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

uint64_t stress_rand(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* "all" (every case not marked explicit_only), or a comma-separated list */
static bool selected(const char *which, const struct stress_case *c)
{
    if (!strcmp(which, "all"))
        return !c->explicit_only;
    size_t n = strlen(c->name);
    for (const char *p = which; *p;) {
        const char *end = p;
        while (*end && *end != ',') end++;
        if ((size_t)(end - p) == n && !strncmp(p, c->name, n))
            return true;
        p = *end ? end + 1 : end;
    }
    return false;
}

static void worker_main(void *arg)
{
    struct worker_arg *w = arg;
    struct stress_run *r = w->r;
    while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
        thread_sleep_ns(MS);
    r->c->worker(r, w->cpu, w->slot);
    __atomic_add_fetch(&r->finished, 1, __ATOMIC_RELEASE);
}

struct leak_mark { uint64_t pages, live, threads; };

static struct leak_mark leak_mark(void)
{
    struct leak_mark m;
    uint64_t hp, a, f;
    kmalloc_stats(&m.live, &hp, &a, &f);
    m.pages = page_free_count();
    m.threads = thread_count();
    return m;
}

/* Exited detached threads are freed by their CPU right after they switch
 * away: give that a bounded moment before calling anything a leak. */
static void check_leaks(struct stress_run *r, const struct leak_mark *before)
{
    struct leak_mark after;
    uint64_t until = time_ns() + 2 * SEC;
    do {
        thread_sleep_ns(10 * MS);
        after = leak_mark();
    } while ((after.threads != before->threads || after.pages != before->pages ||
              after.live != before->live) && time_ns() < until);
    kprintf("# %s: free pages %lu -> %lu, heap live bytes %lu -> %lu, threads %lu -> %lu\n",
            r->c->name, before->pages, after.pages, before->live, after.live,
            before->threads, after.threads);
    if (after.pages != before->pages || after.live != before->live || after.threads != before->threads)
        stress_fail(r, "leak: %ld pages, %ld heap bytes, %ld threads not returned",
                    (long)(before->pages - after.pages), (long)(after.live - before->live),
                    (long)(after.threads - before->threads));
}

/* A worker that never returns is a deadlock or a lost wakeup; its threads
 * cannot be reclaimed, so the run ends here, as a failure. */
static void wait_workers(struct stress_run *r)
{
    while (__atomic_load_n(&r->finished, __ATOMIC_ACQUIRE) < r->nworkers) {
        if (time_ns() > r->deadline_ns + STUCK_GRACE_NS) {
            kprintf("STRESS case=%s cpus=%u result=fail detail=\"%u of %u workers stuck %lu s past the deadline\"\n",
                    r->c->name, r->ncpus, r->nworkers - r->finished, r->nworkers, STUCK_GRACE_NS / SEC);
            kprintf("not ok - %s # workers stuck (deadlock or lost wakeup)\n", r->c->name);
            qemu_exit(EXIT_FAIL);
            power_off();
        }
        thread_sleep_ns(20 * MS);
    }
}

static bool start_workers(struct stress_run *r, struct thread **t, struct worker_arg *args)
{
    for (unsigned i = 0; i < r->nworkers; i++) {
        args[i] = (struct worker_arg){ r, i % r->ncpus, i / r->ncpus };
        t[i] = thread_create_on("stress", worker_main, &args[i], (cpumask_t)1 << args[i].cpu);
        if (!t[i]) {
            stress_fail(r, "cannot create worker %u", i);
            r->nworkers = i;       /* only those created will finish */
            return false;
        }
    }
    return true;
}

/* Workers are created before fault injection is armed: the case's own
 * allocations, not the harness's, are what failalloc is meant to hit. */
static void run_workers(struct stress_run *r, uint64_t secs)
{
    struct thread **t = kzalloc(r->nworkers * sizeof *t);
    struct worker_arg *args = kzalloc(r->nworkers * sizeof *args);
    if (!t || !args) {
        stress_fail(r, "no memory for %u workers", r->nworkers);
        kfree(t);
        kfree(args);
        return;
    }
    start_workers(r, t, args);
    failalloc_arm(true);
    r->start_ns = time_ns();
    r->deadline_ns = r->start_ns + secs * SEC;
    __atomic_store_n(&r->go, true, __ATOMIC_RELEASE);
    wait_workers(r);
    failalloc_arm(false);
    r->elapsed_ns = time_ns() - r->start_ns;
    for (unsigned i = 0; i < r->nworkers; i++)
        thread_join(t[i]);
    kfree(t);
    kfree(args);
}

static void print_result(const struct stress_run *r, unsigned num, bool pass, uint64_t elapsed,
                         uint64_t injected)
{
    uint64_t ms = elapsed / MS ? elapsed / MS : 1;
    kprintf("STRESS case=%s cpus=%u secs=%lu.%02lu ops=%lu ops_per_sec=%lu injected=%lu "
            "alloc_failures=%lu result=%s detail=\"%s\"\n",
            r->c->name, r->ncpus, ms / 1000, ms % 1000 / 10, r->ops, r->ops * 1000 / ms,
            injected, r->alloc_failures, pass ? "pass" : "fail", r->detail);
    if (pass)
        kprintf("ok %u %s\n", num, r->c->name);
    else
        kprintf("not ok %u %s # %s\n", num, r->c->name, r->detail);
}

/* A control passes when its broken variant was caught. */
static bool verdict(struct stress_run *r, bool leaked)
{
    if (!r->c->expect_fail)
        return !r->failed;
    if (leaked)
        return false;
    if (!r->failed) {
        snprintf(r->detail, sizeof r->detail, "broken variant NOT caught");
        return false;
    }
    char why[sizeof r->detail];
    snprintf(why, sizeof why, "caught: %s", r->detail);
    memcpy(r->detail, why, sizeof why);
    return true;
}

static bool run_case(const struct stress_case *c, unsigned num, unsigned secs)
{
    static struct stress_run run;
    struct stress_run *r = &run;
    memset(r, 0, sizeof *r);
    r->c = c;
    r->ncpus = ncpus;
    if (ncpus < c->min_cpus) {
        kprintf("STRESS case=%s cpus=%u result=skip detail=\"needs %u CPUs\"\n", c->name, ncpus, c->min_cpus);
        kprintf("ok %u %s # SKIP needs %u CPUs\n", num, c->name, c->min_cpus);
        return true;
    }
    if (c->max_secs && c->max_secs < secs)
        secs = c->max_secs;
    struct leak_mark before = leak_mark();
    uint64_t injected0 = failalloc_injected();
    r->nworkers = ncpus * c->per_cpu;
    if (!c->setup || c->setup(r))
        run_workers(r, secs);
    if (c->finish)
        c->finish(r);
    bool control_failed = r->failed;      /* leaks are judged on their own */
    r->failed = false;
    check_leaks(r, &before);
    bool leaked = r->failed;
    r->failed = r->failed || control_failed;
    bool pass = verdict(r, leaked);
    print_result(r, num, pass, r->elapsed_ns, failalloc_injected() - injected0);
    return pass;
}

/* Whole-run checks after the cases: nothing leaked across all of them, and
 * as many cases ran as were selected.  Returns the number that failed. */
static unsigned check_run(const struct leak_mark *run0, unsigned ran, unsigned total, const char *which)
{
    unsigned failed = 0;
    struct leak_mark run1 = leak_mark();
    kprintf("# stress: free pages %lu -> %lu, heap live bytes %lu -> %lu over the whole run\n",
            run0->pages, run1.pages, run0->live, run1.live);
    if (run1.pages != run0->pages || run1.live != run0->live) {
        kprintf("not ok %u stress-leaks # %ld pages, %ld heap bytes not returned\n", total + 1,
                (long)(run0->pages - run1.pages), (long)(run1.live - run0->live));
        failed++;
    }
    if (ran != total || total == 0) {
        kprintf("not ok %u stress-meta # ran %u of %u selected cases (asked for '%s')\n",
                total + 1, ran, total, which);
        failed++;
    }
    for (unsigned i = 0; i < ncpus; i++)
        kprintf("# cpu %u: heartbeat %lu, idle ticks %lu, switches %lu\n", i, cpu_of(i)->heartbeat,
                cpu_of(i)->idle_ticks, cpu_of(i)->switches);
    return failed;
}

void stress_main(const char *which)
{
    unsigned secs = cmdline.duration ? cmdline.duration : DEFAULT_SECS, total = 0, ran = 0, failed = 0;
    for (unsigned i = 0; i < stress_ncases; i++)
        total += selected(which, stress_cases[i]);
    unsigned watchers = watchdog_start(WATCHDOG_STALL_NS);
    kprintf("# stress: %u cases, %u s each, %u CPUs, %u watchdog threads, failalloc %s\n",
            total, secs, ncpus, watchers, cmdline.failalloc_rate ? "armed per case" : "off");
    struct leak_mark run0 = leak_mark();
    kprintf("KTAP version 1\n1..%u\n", total);
    for (unsigned i = 0; i < stress_ncases; i++) {
        if (!selected(which, stress_cases[i]))
            continue;
        ran++;
        failed += !run_case(stress_cases[i], ran, secs);
    }
    unsigned run_failed = check_run(&run0, ran, total, which);
    kprintf("# stress: %u of %u cases passed, %u whole-run checks failed, on %u CPUs, "
            "%lu allocations failed by injection\n",
            ran - failed, ran, run_failed, ncpus, failalloc_injected());
    qemu_exit(failed + run_failed ? EXIT_FAIL : EXIT_PASS);
    power_off();
}

/* stress=CASE[,CASE...] or stress=all on the command line: run, then leave QEMU. */
static void stress_run(void)
{
    if (cmdline.stress[0])
        stress_main(cmdline.stress);
}
INITCALL(INIT_TEST, stress_run);
