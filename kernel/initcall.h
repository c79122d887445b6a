/*
 * Registration records (Linux's initcalls).  Code outside the core — the
 * hypervisor, the test runners — plugs itself into the boot order by
 * placing a record in the .initcalls linker section, as ktests do:
 *
 *     static void vmm_plug(void) { trap_set_client(&vmm_traps); ... }
 *     INITCALL(INIT_PLUG, vmm_plug);
 *
 * The init thread (kernel/main.c) runs each stage's records in link order
 * at that stage's place, naming none of them.  A record reads the command
 * line (kernel/cmdline.h) and does nothing if it was not asked for.
 */
#pragma once

enum initcall_stage {
    INIT_EARLY,                     /* on the boot CPU before memory and the APs: CPU-wide choices */
    INIT_PLUG,                      /* register hooks, trap clients, monitor commands */
    INIT_START,                     /* start what the command line names (guests) */
    INIT_TEST,                      /* ktest=, stress=: run and leave QEMU */
    INIT_WAIT,                      /* oneshot: wait for what was started, then power off */
};

struct initcall {
    enum initcall_stage stage;
    const char *name;
    void (*fn)(void);
};

#define INITCALL(st, f)                                                   \
    static const struct initcall initcall_##f                             \
        __attribute__((used, section(".initcalls"), aligned(8))) = { st, #f, f }

void initcalls_run(enum initcall_stage stage);
