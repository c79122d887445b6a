/* exit: the one way out.  On QEMU the debug-exit port ends the emulator;
 * anywhere else (real hardware, a host that drops the write) the CPU stops
 * with interrupts off, so a failed kernel never runs on half-dead. */
#include "exit.h"
#include "console.h"
#include "x86.h"

#define DEBUG_EXIT_PORT 0xf4

static const char *const exit_names[] = {
    "success", "bad command line", "bad boot", "no disk", "corrupt file system",
    "fsck errors", "watchdog", "panic", "workload failed",
};

API NORETURN void classic_exit(int code)
{
    cli();
    const char *what = code >= 0 && code <= EXIT_WORKLOAD ? exit_names[code] : "?";
    console_printf("classic: exit %d (%s)\n", code, what);
    outb(DEBUG_EXIT_PORT, (uint8_t)code);
    for (;;)
        hlt();
}

API NORETURN void classic_fail(int code, const char *fmt, ...)
{
    va_list ap;
    cli();
    va_start(ap, fmt);
    console_vprintf(fmt, ap);
    va_end(ap);
    classic_exit(code);
}

API NORETURN void panic(const char *fmt, ...)
{
    va_list ap;
    cli();
    console_printf("panic: ");
    va_start(ap, fmt);
    console_vprintf(fmt, ap);
    va_end(ap);
    console_printf("\n");
    classic_exit(EXIT_PANIC);
}
