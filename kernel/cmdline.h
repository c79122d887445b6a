/* The host command line: GRUB's, then QEMU fw_cfg's opt/peel/cmdline. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAX 512

struct cmdline {
    bool nosmp;
    unsigned max_cpus;               /* smp=N; 0 = all */
    unsigned capacity;               /* capacity=N|all: CPUs guest threads keep to; 0 = measure (sched/capacity.h) */
    unsigned ap_silent;              /* apsilent=ID: that AP gets no startup IPIs (tests the timeout); ID + 1, 0 none */
    bool panic_exit;                 /* panic=exit: leave QEMU on panic */
    bool noacpi;                     /* pretend firmware gave no ACPI */
    bool acpidump;                   /* hex-dump the ACPI tables found */
    char ktest[256];                  /* ktest=all | name[,name] : run in-kernel tests, exit */
    uint32_t failalloc_rate, failalloc_seed;
    char stress[64];                 /* stress=all | case[,case] */
    unsigned duration;               /* seconds per stress case */
    char monitor_script[256];        /* monitor=cmd;cmd,arg : run at boot (tests); ',' is a space */
};

extern struct cmdline cmdline;

/* A word owned by code outside the core (the hypervisor's guest=, peel=):
 * registered in a linker section, as initcalls are, so the core parses
 * words it has no names for.  set() gets the value (empty for a bare key)
 * and says why not, or NULL.  A key may be registered once. */
struct cmdline_option {
    const char *key;
    bool has_value;                  /* key=VALUE; else a bare key */
    const char *(*set)(const char *v, size_t n);
};
#define CMDLINE_OPTION(k, value, f)                                       \
    static const struct cmdline_option cmdline_option_##f                 \
        __attribute__((used, section("cmdline_options"), aligned(8))) = { k, value, f }

/* Helpers for set(): the value compared, copied, appended as a word. */
bool cmdline_is(const char *v, size_t n, const char *lit);
bool cmdline_copy(char *dst, size_t size, const char *v, size_t n);
bool cmdline_append(char *dst, size_t size, const char *v, size_t n);

/* A size with its unit, K, M or G ("128M", "1G", "65536K"), in bytes, at
 * most 4 GiB: a bare number would be ambiguous (bytes? MiB?).  False if
 * v is not one. */
bool cmdline_size(const char *v, size_t n, uint64_t *bytes);

/* Parse space-separated words into out (defaults first).  Unknown or bad
 * words are reported through warn, never fatal.  Returns how many were bad. */
int cmdline_parse(const char *s, struct cmdline *out, void (*warn)(const char *word, const char *why));
