/*
 * panic(): every "should not happen" ends here.  It prints what and where,
 * a symbolized backtrace (frame pointers; the symbol table is linked into
 * the image by kernel/ksyms.sh), stops the other CPUs with an NMI and halts
 * — or, when the command line says panic=exit (tests), leaves QEMU with a
 * distinct status so a harness never mistakes a panic for a hang.
 */
#include <stdarg.h>
#include "kernel/panic.h"
#include "kernel/console.h"
#include "kernel/printf.h"
#include "kernel/sections.h"
#include "kernel/trap.h"
#include "kernel/power.h"
#include "kernel/x86.h"
#include "smp/percpu.h"
#include "smp/ipi.h"

volatile bool panicking;


const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
    uint64_t lo = 0, hi = ksyms.count;
    if (!hi || addr < ksyms.sym[0].addr)
        return 0;
    while (hi - lo > 1) {                 /* largest sym[i].addr <= addr */
        uint64_t mid = (lo + hi) / 2;
        if (ksyms.sym[mid].addr <= addr) lo = mid; else hi = mid;
    }
    if (addr >= (uint64_t)_etext)
        return 0;
    *offset = addr - ksyms.sym[lo].addr;
    return ksyms.sym[lo].name;
}

static void print_frame(int depth, uint64_t pc)
{
    uint64_t off = 0;
    const char *name = ksym_lookup(pc, &off);
    if (name)
        console_printf_unlocked("  #%d %p %s+0x%lx\n", depth, (void *)pc, name, off);
    else
        console_printf_unlocked("  #%d %p ?\n", depth, (void *)pc);
}

/* Walk saved frame pointers; stop at a null or implausible frame. */
void backtrace(uint64_t rbp, uint64_t rip)
{
    print_frame(0, rip);
    for (int depth = 1; depth < 32 && rbp; depth++) {
        if (rbp & 7 || rbp < 0xffff800000000000ul)
            break;
        uint64_t *frame = (uint64_t *)rbp;
        if (!frame[1])
            break;
        print_frame(depth, frame[1] - 1);   /* -1: the call, not the return site */
        if (frame[0] <= rbp)
            break;
        rbp = frame[0];
    }
}

static void __attribute__((noreturn)) stop(void)
{
    ipi_stop_others();
    power_panic_exit();
    for (;;) { cli(); hlt(); }
}

void panic(const char *fmt, ...)
{
    cli();
    if (__atomic_exchange_n(&panicking, true, __ATOMIC_SEQ_CST))
        for (;;) hlt();                     /* a second panic: the first one reports */
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    console_printf_unlocked("\nPANIC on cpu %u: %s\n", this_cpu()->id, msg);
    backtrace((uint64_t)__builtin_frame_address(0), (uint64_t)__builtin_return_address(0) - 1);
    stop();
}

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 error", "alignment check", "machine check",
    "SIMD error", "virtualization", "control protection",
};

void panic_trap(const struct trapframe *tf)
{
    cli();
    if (__atomic_exchange_n(&panicking, true, __ATOMIC_SEQ_CST))
        for (;;) hlt();
    const char *name = tf->vector < 32 && exception_names[tf->vector] ? exception_names[tf->vector] : "interrupt";
    console_printf_unlocked("\nPANIC on cpu %u: %s (vector %lu, error 0x%lx) at %p\n",
                            this_cpu()->id, name, tf->vector, tf->error, (void *)tf->rip);
    if (tf->vector == 14)
        console_printf_unlocked("  faulting address %p\n", (void *)read_cr2());
    trap_dump(tf);
    backtrace(tf->rbp, tf->rip);
    stop();
}
