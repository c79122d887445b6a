/*
 * Peeling: replace a subsystem of a hosted image, function by function, with
 * native host code — at boot (peel=a,b) or at run time (monitor: peel X,
 * unpeel X, peels).  A peel writes a trapping byte at each guest entry point
 * named by the image's manifest, in the loaded copy only; a call there traps,
 * the native replacement runs with the arguments from the guest stack, and
 * the host returns to the caller as `ret` would.  An unpeel writes the
 * original bytes back.  Changes are made by the guest's own thread at its
 * next trap, a safe point: no guest instruction runs meanwhile.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "host/peel/manifest.h"
#include "host/peel/natives.h"
#include "kernel/trap.h"
#include "smp/spinlock.h"
#include "smp/percpu.h"

/* Every function of every subsystem: peel sites and gates (gate.c) at once. */
#define PEEL_MAX_SITES (MANIFEST_MAX_SUBSYSTEMS * MANIFEST_MAX_FNS)
#define PEEL_MAX_PARKED 64               /* one slot per vCPU (GUEST_MAX_VCPUS) */

struct thread;
struct callchain_fn;

struct guest;

/* The guest address of a variable the subsystem `keeps` current (resolved
 * at peel time from the image's symbols), or 0. */
uint32_t peel_kept(struct guest *g, const char *symbol);
/* The same, remembered in *slot once the peel that keeps it has been
 * applied (the address never changes after): for a native that counts in
 * a kept word at every call, peel_kept being a search by name. */
uint32_t peel_kept_once(struct guest *g, uint32_t *slot, const char *symbol);

#define PEEL_PATCH_MAX 2

struct peel_site {
    uint32_t addr;                   /* the guest function's entry */
    uint8_t orig[PEEL_PATCH_MAX];    /* the bytes the patch replaced */
    uint8_t len;                     /* 2: int 15 or syscall; 1: hlt, where two bytes cannot go (arm.c) */
    uint8_t subsystem;
    uint8_t nargs;
    bool drain;                      /* stays after an unpeel while the native owns objects */
    bool gate;                       /* no native: a gate at an unpeeled entry (gate.c); passing it falls through */
    const struct native *native;
    const struct native_subsystem *owner;   /* the native's registration */
    uint64_t fell_through;
};

/* What one vCPU's native calls change, on a cache line of its own: it is
 * written at every call, and a line the guest kernel lock's last holder
 * wrote on another CPU costs the next holder a miss (docs/bench.md,
 * session 19). */
struct peel_vcpu {
    uint64_t calls[MANIFEST_MAX_SUBSYSTEMS];   /* native calls served, by subsystem */
    /* the time those natives took, counted for the calls that ran through
     * on their thread (not asleep, not preempted): what the code costs */
    uint64_t native_ns[MANIFEST_MAX_SUBSYSTEMS], timed[MANIFEST_MAX_SUBSYSTEMS];
    uint8_t outside;                 /* subsystem + 1 of the native it runs without the lock now */
    uint8_t quick;                   /* subsystem + 1 of the quick native it runs holding the lock */
} __attribute__((aligned(CACHELINE)));

struct peel_kept { char symbol[MANIFEST_NAME]; uint32_t addr; };

struct peels {
    struct manifest manifest;
    bool have_manifest;
    bool peeled[MANIFEST_MAX_SUBSYSTEMS];
    bool draining[MANIFEST_MAX_SUBSYSTEMS];   /* unpeeled, its drain sites still armed */
    struct peel_kept kept[MANIFEST_MAX_SUBSYSTEMS * MANIFEST_MAX_KEEPS];
    unsigned nkept;
    uint64_t waited[MANIFEST_MAX_SUBSYSTEMS];     /* safe points a change had to let pass */
    uint32_t idle_at[MANIFEST_MAX_SUBSYSTEMS][MANIFEST_MAX_IDLE];   /* the idle words' addresses */
    struct { uint32_t lo, hi; } code[MANIFEST_MAX_SUBSYSTEMS][MANIFEST_MAX_FNS];   /* its functions' bytes */
    struct { uint32_t lo, hi; } span[MANIFEST_MAX_SUBSYSTEMS];   /* lowest to highest of them */
    bool code_known[MANIFEST_MAX_SUBSYSTEMS];
    uint64_t last_scan;              /* ns: stacks are scanned at most once a millisecond */
    uint32_t code_lo, code_hi;       /* the executable segment, for the restore check */
    uint32_t code_file;              /* its offset in the image file */
    struct peel_site sites[PEEL_MAX_SITES];
    unsigned nsites;
    volatile int request;            /* subsystem index + 1, negative to unpeel, 0 none */
    uint64_t request_ns;             /* when it was posted (time_ns) */
    uint64_t request_tries;          /* safe points that found it not quiet */
    volatile bool landing;
    struct peel_vcpu vcpu[PEEL_MAX_PARKED];
    char waiting[128];               /* what the last of them waited for (quiesce.c) */
    unsigned stepping;               /* site index + 1 while its displaced bytes are single-stepped */
    bool stepping_guest_tf;          /* the guest had TF set itself: its #DB follows the step */
    struct callchain_fn *fns;        /* the image's functions, sorted, for reading call chains (frames.c) */
    size_t nfns;
    bool frame_pointers;             /* most functions set up a frame: follow EBP */
    uint64_t busy_ns;                /* when a check last found the request's subsystem busy */
    /* Gates (gate.c): written by the lock holder; the parked slots and the
     * generation also under gate_lock, which the waits and wakeups take. */
    uint32_t gated;                  /* subsystems (bit = index) whose entries hold new callers */
    int gate_request;                /* the request the gates were closed for */
    uint64_t gates_ns;               /* when they closed */
    uint64_t gate_held;              /* callers held at them since */
    struct spinlock gate_lock;
    unsigned gate_gen;               /* bumped when they open: the parked call again */
    struct { struct thread *t; volatile int kick; } parked[PEEL_MAX_PARKED];
};

/* Read NAME.manifest among the boot modules, if there is one. */
void peel_load_manifest(struct guest *g, const char *module_text, size_t len);
/* Ask for a change; the guest thread makes it at its next trap.  Returns a
 * message when the request is impossible (it is then not made). */
const char *peel_request(struct guest *g, const char *subsystem, bool peel);
/* Apply now: only when no guest instruction can run (before start, or on the
 * guest's own thread). */
const char *peel_apply(struct guest *g, unsigned subsystem, bool peel);
void peel_safe_point(struct guest *g);
/* A request not carried out within this long is abandoned, with a sentence
 * naming what it waited for (a thread and the function it was in, say). */
#define PEEL_REQUEST_TIMEOUT_NS (10 * 1000000000ull)
/* Withdraw the pending request: NULL and "peel fs withdrawn" in buf, or
 * why not. */
const char *peel_cancel(struct guest *g, char *buf, size_t len);
/* A request is pending, or being carried out. */
bool peel_busy(struct guest *g);
/* The pending request and what it waits for, in buf; "" if none. */
void peel_pending(struct guest *g, char *buf, size_t len);
/* The subsystem one of whose functions holds addr, or -1. */
int peel_subsystem_at(struct guest *g, uint32_t addr);
/* A request is waiting and could be carried out at a safe point now (an
 * idle vCPU should come back to make one). */
bool peel_request_ready(struct guest *g);
/* A trap at armed site s (tf->rip at it; host/vmm/emulate.c found it in the
 * side table): served natively, or by falling through to the guest's code. */
void peel_call(struct guest *g, struct trapframe *tf, struct peel_site *s);
/* Native calls of subsystem sub served so far, on every vCPU; and how many
 * of them run without the guest kernel lock now. */
uint64_t peel_calls(const struct peels *p, unsigned sub);
unsigned peel_calls_outside(const struct peels *p, unsigned sub);
/* The time subsystem sub's natives took, in ns, over *timed calls (those
 * that ran through on their thread), on every vCPU. */
uint64_t peel_native_ns(const struct peels *p, unsigned sub, uint64_t *timed);
/* "guest NAME: native time: ..." for every subsystem that served a timed
 * call: the natives' own cost, and a measure of the machine's speed in
 * this run (docs/bench.md). */
void peel_print_native_time(struct guest *g);
/* The debug trap after a fall-through's single step (or an emulated
 * instruction during one): true if it was the host's alone; false if the
 * host was not stepping, or the guest had TF set itself and gets its #DB. */
bool peel_step_done(struct guest *g, struct trapframe *tf);
/* The VMM reads or rewrites guest code (guest_hooks.code_changing): the
 * sites' traps out (done false), then in again over what it left. */
void peel_code_changing(struct guest *g, bool done);
void peel_monitor_init(void);
