/*
 * The host monitor.  Reads lines from the console (COM1 interrupt-driven,
 * so waiting costs no CPU) and runs commands from a table.  Commands
 * given with monitor=cmd;cmd on the command line run first, for scripted
 * runs.
 */
#include "kernel/monitor.h"
#include "kernel/hprof.h"
#include "kernel/console.h"
#include "kernel/cmdline.h"
#include "kernel/string.h"
#include "kernel/heap.h"
#include "kernel/pmm.h"
#include "kernel/power.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "smp/percpu.h"
#include "smp/ipi.h"
#include "sched/sched.h"
#include "sched/capacity.h"

#define MAX_COMMANDS 32
#define MAX_ARGS 8

struct command { const char *name, *help; monitor_fn_t fn; };
static struct command commands[MAX_COMMANDS];
static unsigned ncommands;

void monitor_register(const char *name, const char *help, monitor_fn_t fn)
{
    if (ncommands < MAX_COMMANDS)
        commands[ncommands++] = (struct command){ name, help, fn };
}

unsigned monitor_uint(int argc, char **argv, int i, unsigned dflt)
{
    if (i >= argc || argv[i][0] < '0' || argv[i][0] > '9')
        return dflt;
    unsigned v = 0;
    for (const char *c = argv[i]; *c >= '0' && *c <= '9' && v < 100000000u; c++)
        v = v * 10 + (*c - '0');
    return v;
}

static void cmd_help(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (unsigned i = 0; i < ncommands; i++)
        kprintf("  %-10s %s\n", commands[i].name, commands[i].help);
}

/* Every other CPU is pinged; one that has not taken the interrupt within
 * PING_NS is reported as not answering (stuck with interrupts off). */
#define PING_NS 200000000ull

static void cmd_cpus(int argc, char **argv)
{
    (void)argc; (void)argv;
    bool sent[MAX_CPUS] = { 0 }, answered[MAX_CPUS] = { 0 };
    preempt_disable();                          /* "this CPU" answers for itself */
    unsigned self = this_cpu()->id;
    for (unsigned i = 0; i < ncpus; i++) {
        if (i == self)
            answered[i] = true;
        else if (cpu_of(i)->online)
            sent[i] = ipi_ping(i);              /* false: the last ping is still unanswered */
    }
    for (uint64_t until = time_ns() + PING_NS; time_ns() < until;) {
        bool all = true;
        for (unsigned i = 0; i < ncpus; i++)
            if (sent[i] && !answered[i])
                all &= answered[i] = ipi_pong(i);
        if (all)
            break;
        cpu_relax();
    }
    preempt_enable();
    kprintf("  cpu apic online answers    ticks  idle%%  switches     irqs     ipis runq current\n");
    for (unsigned i = 0; i < ncpus; i++) {
        struct cpu *c = cpu_of(i);
        /* of the time since boot: a CPU stops ticking while idle (sched/tick.c),
         * so its busy ticks are all counted and its idle ones are not */
        uint64_t up = time_ns() / (1000000000ull / HZ), busy = c->ticks - c->idle_ticks;
        uint64_t idle = up > busy ? (up - busy) * 100 / up : 0;
        kprintf("  %3u %4u %6s %7s %8lu %5lu%% %9lu %8lu %8lu %4u %s\n", i, c->apic_id,
                c->online ? "yes" : "no", answered[i] ? "yes" : "NO", c->ticks, idle, c->switches, c->irqs,
                ipi_count(i), sched_queued(i), c->current ? c->current->name : "-");
    }
    kprintf("  capacity: %u of %u CPUs, mask %lx (where guest threads go)\n", sched_capacity(), ncpus,
            sched_capacity_mask());
}

static void show_thread(struct thread *t, void *arg)
{
    (void)arg;
    kprintf("  %4lu %-16s %-9s %3u %016lx %8lu %6lu %016lx\n", t->tid, t->name,
            thread_state_name(t->state), t->cpu, t->rq.affinity, t->switches, t->migrations, t->ran_on);
}

static void cmd_threads(int argc, char **argv)
{
    (void)argc; (void)argv;
    kprintf("   tid name             state     cpu affinity         switches  migr. ran on\n");
    thread_for_each(show_thread, 0);
}

static void cmd_mem(int argc, char **argv)
{
    (void)argc; (void)argv;
    uint64_t live, pages, allocs, frees;
    kmalloc_stats(&live, &pages, &allocs, &frees);
    kprintf("  pages: %lu total, %lu free (%lu MiB free)\n", page_total_count(), page_free_count(),
            page_free_count() * PAGE_SIZE >> 20);
    kprintf("  heap: %lu bytes live in %lu pages; %lu allocations, %lu frees\n", live, pages, allocs, frees);
}

static void cmd_uptime(int argc, char **argv)
{
    (void)argc; (void)argv;
    uint64_t ms = time_ns() / 1000000;
    kprintf("  up %lu.%03lu s, %u CPUs, %lu threads\n", ms / 1000, ms % 1000, ncpus, thread_count());
}

/* Debugging aids: both must end in a report with a symbolized backtrace. */
static void cmd_panic(int argc, char **argv)
{
    (void)argc; (void)argv;
    panic("requested from the monitor");
}

static void cmd_fault(int argc, char **argv)
{
    (void)argc; (void)argv;
    volatile uint64_t *lower_half = (volatile uint64_t *)8;   /* unmapped in the host */
    __asm__ volatile("" : "+r"(lower_half));                    /* hide the constant from gcc */
    *lower_half = 1;
}

static void cmd_sleep(int argc, char **argv)
{
    thread_sleep_ns(monitor_uint(argc, argv, 1, 0) * 1000000ull);
}

static void cmd_poweroff(int argc, char **argv)
{
    (void)argc; (void)argv;
    power_off();
}

void monitor_run_line(char *line)
{
    char *argv[MAX_ARGS];
    int argc = 0;
    for (char *p = line; *p && argc < MAX_ARGS;) {
        while (*p == ' ') *p++ = '\0';
        if (!*p) break;
        argv[argc++] = p;
        while (*p && *p != ' ') p++;
    }
    if (!argc)
        return;
    for (unsigned i = 0; i < ncommands; i++)
        if (!strcmp(argv[0], commands[i].name)) {
            commands[i].fn(argc, argv);
            return;
        }
    kprintf("unknown command '%s'; try help\n", argv[0]);
}

static void read_line(char *buf, size_t size)
{
    size_t n = 0;
    for (;;) {
        int c = console_getc();
        if (c == '\r' || c == '\n') {
            console_write("\n", 1);
            break;
        }
        if ((c == 0x7f || c == '\b') && n) {
            n--;
            console_write("\b \b", 3);
        } else if (c >= ' ' && c < 0x7f && n + 1 < size) {
            buf[n++] = c;
            char ch = c;
            console_write(&ch, 1);
        }
    }
    buf[n] = '\0';
}

static void run_script(const char *script)
{
    char line[128];
    while (*script) {
        size_t n = 0;
        while (script[n] && script[n] != ';' && n + 1 < sizeof line) {
            line[n] = script[n] == ',' ? ' ' : script[n];    /* the command line has no spaces */
            n++;
        }
        line[n] = '\0';
        script += n + (script[n] == ';');
        kprintf("peel> %s\n", line);
        monitor_run_line(line);
    }
}

void monitor_main(void)
{
    monitor_register("help", "list commands", cmd_help);
    monitor_register("cpus", "per-CPU state: answers an interrupt?, ticks, idle, switches, interrupts, run queue", cmd_cpus);
    monitor_register("threads", "every thread: state, CPU, affinity, migrations", cmd_threads);
    monitor_register("mem", "physical pages and heap", cmd_mem);
    monitor_register("uptime", "time since boot", cmd_uptime);
    monitor_register("sleep", "sleep MS: pause the monitor (scripts)", cmd_sleep);
    monitor_register("poweroff", "turn the machine off", cmd_poweroff);
    monitor_register("panic", "panic on purpose (shows the backtrace; stops the machine)", cmd_panic);
    monitor_register("fault", "touch an unmapped address (page fault in the host)", cmd_fault);
    hprof_monitor_init();
    if (cmdline.monitor_script[0])
        run_script(cmdline.monitor_script);
    kprintf("Peel monitor ready; type help\n");
    static char line[128];
    for (;;) {
        kprintf("peel> ");
        read_line(line, sizeof line);
        monitor_run_line(line);
    }
}
