/* /init of the linux guest's initramfs: a static i386 program with no libc,
 * which says who it is, checks a few things a hosted kernel must get right
 * from user mode, and powers the machine off.  Each check prints one line,
 * "peel-init: ok ..." or "peel-init: FAIL ...", and a failure still goes
 * on to "peel-init: done" and the power-off, so a transcript shows them all
 * (tests/linux/bare.sh fails a run with a FAIL line).
 * No /proc is mounted: everything comes from system calls.
 *
 *   gcc -m32 -static -nostdlib -ffreestanding -fno-pic -fno-pie -no-pie -Os init.c
 */

/* i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
enum {
    SYS_exit = 1, SYS_fork = 2, SYS_write = 4, SYS_waitpid = 7, SYS_getpid = 20, SYS_reboot = 88, SYS_ioperm = 101,
    SYS_uname = 122, SYS_nanosleep = 162, SYS_set_thread_area = 243, SYS_clock_gettime = 265,
};
#define CLOCK_MONOTONIC 1
#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc

struct timespec32 { long sec, nsec; };
struct utsname { char sysname[65], nodename[65], release[65], version[65], machine[65], domain[65]; };

static long sys(long n, long a, long b, long c)
{
    long r;
    asm volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

static unsigned long len(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

/* say("a", "b", 0) writes "peel-init: ab\n" to the console */
static void say(const char *first, ...)
{
    __builtin_va_list ap;
    const char *s = first;
    sys(SYS_write, 1, (long)"peel-init: ", 11);
    __builtin_va_start(ap, first);
    for (; s; s = __builtin_va_arg(ap, const char *))
        sys(SYS_write, 1, (long)s, len(s));
    __builtin_va_end(ap);
    sys(SYS_write, 1, (long)"\n", 1);
}

static const char *decimal(unsigned long v)
{
    static char buf[12];
    char *p = buf + sizeof buf - 1;
    *p = 0;
    do
        *--p = '0' + v % 10;
    while (v /= 10);
    return p;
}

static void check(int ok, const char *what)
{
    say(ok ? "ok " : "FAIL ", what, (const char *)0);
}

/* 4 MiB of bss: no page of it is touched before the check, so each first
 * touch is a user-mode page fault the kernel must resolve */
static unsigned char bss[4 << 20];

static int fresh_page(void)
{
    volatile unsigned char *page = bss + (2 << 20);
    int i, ok = 1;

    for (i = 0; i < 4096; i++)          /* a read fault: the zero page */
        ok &= page[i] == 0;
    for (i = 0; i < 4096; i++)          /* a write fault: a page of its own */
        page[i] = (unsigned char)(i * 7 + 1);
    for (i = 0; i < 4096; i++)
        ok &= page[i] == (unsigned char)(i * 7 + 1);
    return ok;
}

/* outb to a port ioperm allowed goes through the TSS's I/O bitmap: a
 * wrong bitmap is a #GP, and init would die of SIGSEGV (a kernel panic) */
static int port_80(void)
{
    if (sys(SYS_ioperm, 0x80, 1, 1) != 0)
        return 0;
    asm volatile("outb %%al, $0x80" : : "a"(0));
    return 1;
}

/* a 10 ms sleep must end, and the monotonic clock see it pass: timer interrupts */
static int sleep_10ms(void)
{
    struct timespec32 t0, t1, d = { 0, 10 * 1000 * 1000 };
    if (sys(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&t0, 0) != 0 || sys(SYS_nanosleep, (long)&d, 0, 0) != 0 ||
        sys(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&t1, 0) != 0)
        return 0;
    return (t1.sec - t0.sec) * 1000000000L + (t1.nsec - t0.nsec) >= d.nsec;
}

/* A thread-local storage descriptor, as glibc makes one: set_thread_area
 * writes it into a GDT entry in place (no lgdt), and GS is loaded from it
 * by user mode; a second call rewrites the entry, and a sleep (a context
 * switch, which writes the TLS entries again) must keep it. */
struct user_desc {
    unsigned entry_number, base_addr, limit;
    unsigned seg_32bit : 1, contents : 2, read_exec_only : 1, limit_in_pages : 1, seg_not_present : 1,
        useable : 1;
};

static unsigned gs_word(void)
{
    unsigned v;
    asm volatile("movl %%gs:0, %0" : "=r"(v));
    return v;
}

static int tls(void)
{
    static unsigned first = 0x11111111, second = 0x22222222;
    struct user_desc d = { ~0u, (unsigned)&first, 0xfffff, 1, 0, 0, 1, 0, 1 };
    struct timespec32 t = { 0, 1000 * 1000 };
    if (sys(SYS_set_thread_area, (long)&d, 0, 0) != 0)
        return 0;
    unsigned sel = d.entry_number << 3 | 3;
    asm volatile("movw %w0, %%gs" : : "r"(sel));
    int ok = gs_word() == first;
    d.base_addr = (unsigned)&second;                 /* the same entry, rewritten */
    if (sys(SYS_set_thread_area, (long)&d, 0, 0) != 0)
        return 0;
    asm volatile("movw %w0, %%gs" : : "r"(sel));
    ok &= gs_word() == second;
    ok &= sys(SYS_nanosleep, (long)&t, 0, 0) == 0 && gs_word() == second;
    /* a child writes its own TLS into the same entry, then empties it;
     * back in the parent (the kernel wrote the parent's entry again, and
     * reloaded GS from it on the way out) GS must read the parent's word */
    long pid = sys(SYS_fork, 0, 0, 0);
    if (pid == 0) {
        static unsigned mine = 0x33333333;
        d.base_addr = (unsigned)&mine;
        int good = sys(SYS_set_thread_area, (long)&d, 0, 0) == 0;
        asm volatile("movw %w0, %%gs" : : "r"(sel));
        good &= gs_word() == mine && sys(SYS_nanosleep, (long)&t, 0, 0) == 0 && gs_word() == mine;
        /* and empties it: the parent's GS is reloaded (popl %gs) from the
         * entry the switch back writes, never from the empty one */
        struct user_desc empty = { d.entry_number, 0, 0, 0, 0, 1, 0, 1, 0 };
        asm volatile("movw %w0, %%gs" : : "r"(0));
        good &= sys(SYS_set_thread_area, (long)&empty, 0, 0) == 0;
        sys(SYS_exit, !good, 0, 0);
    }
    int status = -1;
    ok &= pid > 0 && sys(SYS_waitpid, pid, (long)&status, 0) == pid && status == 0 && gs_word() == second;
    asm volatile("movw %w0, %%gs" : : "r"(0));
    return ok;
}

__attribute__((noreturn)) void _start(void)
{
    static struct utsname u;

    say("hello from /init, pid ", decimal(sys(SYS_getpid, 0, 0, 0)), (const char *)0);
    if (sys(SYS_uname, (long)&u, 0, 0) == 0)
        say("uname ", u.sysname, " ", u.release, " ", u.machine, (const char *)0);
    else
        check(0, "uname");
    check(fresh_page(), "page fault: a fresh bss page read zero, then kept what was written");
    check(port_80(), "ioperm(0x80, 1, 1): outb to port 0x80 survived");
    check(sleep_10ms(), "nanosleep: 10 ms passed on CLOCK_MONOTONIC");
    check(tls(), "set_thread_area: GS reads the TLS word, rewritten, after a sleep, and after a child's own");
    say("done", (const char *)0);
    /* with acpi=off and no APM there is nothing to power off with: Linux
     * halts instead ("reboot: System halted") */
    sys(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF);
    check(0, "reboot: power-off returned");
    for (;;)                            /* init's exit is a kernel panic: the run stops there */
        sys(SYS_exit, 1, 0, 0);
}
