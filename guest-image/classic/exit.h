/* How classic ends: through QEMU's isa-debug-exit device at port 0xf4.
 * QEMU exits with status (code << 1) | 1, so success is status 1. */
#ifndef CLASSIC_EXIT_H
#define CLASSIC_EXIT_H
#include "types.h"

enum classic_exit_code {
    EXIT_OK       = 0,  /* status 1:  workload done, digest printed, fsck clean */
    EXIT_CMDLINE  = 1,  /* status 3:  bad command line */
    EXIT_BOOT     = 2,  /* status 5:  not booted by Multiboot v1, or too little memory */
    EXIT_NODISK   = 3,  /* status 7:  no ATA disk on the primary master */
    EXIT_BADFS    = 4,  /* status 9:  corrupt file system (superblock, block numbers, ...) */
    EXIT_FSCK     = 5,  /* status 11: fsck found errors after the workload */
    EXIT_WATCHDOG = 6,  /* status 13: workload did not finish within watchdog= seconds */
    EXIT_PANIC    = 7,  /* status 15: CPU exception or internal error */
    EXIT_WORKLOAD = 8,  /* status 17: a workload file operation failed or read back wrong data */
};

NORETURN void classic_exit(int code);
NORETURN void panic(const char *fmt, ...) PRINTF(1, 2);
NORETURN void classic_fail(int code, const char *fmt, ...) PRINTF(2, 3);

#endif
