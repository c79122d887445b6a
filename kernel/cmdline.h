/* The host command line: GRUB's, then QEMU fw_cfg's opt/peel/cmdline. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAX 512

/* peelentry=int|syscall: how a peel site enters the host (kernel/trap.c) */
enum peelentry { PEELENTRY_BY_CPU, PEELENTRY_INT, PEELENTRY_SYSCALL };

struct cmdline {
    bool nosmp;
    unsigned max_cpus;               /* smp=N; 0 = all */
    unsigned ap_silent;              /* apsilent=ID: that AP gets no startup IPIs (tests the timeout); ID + 1, 0 none */
    bool panic_exit;                 /* panic=exit: leave QEMU on panic */
    bool noacpi;                     /* pretend firmware gave no ACPI */
    bool acpidump;                   /* hex-dump the ACPI tables found */
    char ktest[256];                  /* ktest=all | name[,name] : run in-kernel tests, exit */
    uint32_t failalloc_rate, failalloc_seed;
    char stress[64];                 /* stress=all | case[,case] */
    unsigned duration;               /* seconds per stress case */
    char monitor_script[256];        /* monitor=cmd;cmd,arg : run at boot (tests); ',' is a space */
    char guest[32];                  /* guest=NAME: run NAME.elf from the boot modules (GUEST_NAME) */
    char guest_args[256];            /* guestarg=WORD, repeatable: the guest's command line */
    uint64_t guest_mem;              /* guestmem=SIZE (128M, 1G): its RAM in bytes; 0 = the host's default */
    bool oneshot;                    /* power off with the guest's status when it ends */
    char peel[128];                  /* peel=a,b: subsystems of the guest replaced from the start */
    enum peelentry peel_entry;       /* peelentry=int|syscall; else by the CPU's vendor */
};

extern struct cmdline cmdline;

/* A size with its unit, K, M or G ("128M", "1G", "65536K"), in bytes, at
 * most 4 GiB: a bare number would be ambiguous (bytes? MiB?).  False if
 * v is not one. */
bool cmdline_size(const char *v, size_t n, uint64_t *bytes);

/* Parse space-separated words into out (defaults first).  Unknown or bad
 * words are reported through warn, never fatal.  Returns how many were bad. */
int cmdline_parse(const char *s, struct cmdline *out, void (*warn)(const char *word, const char *why));
