/*
 * Native subsystems register themselves.  Each file of host/natives/IMAGE/
 * that replaces a subsystem of a guest image defines one record with
 * NATIVE_SUBSYSTEM, in the .natives section (boot/linker.ld), the way
 * ktests register in .ktests.  The peel framework finds a manifest's natives
 * there by name, and the VMM reaches a subsystem only through the generic
 * hooks below: nothing central names one, and a new subsystem adds a file
 * and its record, nothing else (docs/peel.md).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>

struct guest;
struct vcpu;
struct trapframe;

/* A native replacement: args are the guest's cdecl stack arguments.
 * Returns false to fall through to the guest's own code (for state the
 * replacement does not own): the host puts the displaced byte back, single-
 * steps it, and re-arms the trap. */
typedef bool (*native_fn_t)(struct guest *g, const uint32_t *args, uint32_t *ret);

/* An entry point, as a manifest's `fn SYMBOL NATIVE ARGS` names it. */
struct native {
    const char *name;
    native_fn_t fn;
    unsigned flags;                  /* NATIVE_QUICK, or 0 */
};

/* Mostly returns in far less time than a hand-off of the guest kernel lock
 * costs: it keeps the lock even in an outside-gkl subsystem.  Letting the
 * lock go around a call of a microsecond hands it to another vCPU, and the
 * caller must then wait for it back.  A quick native that must wait after
 * all (a busy buffer) calls native_may_wait first, holding no lock of its
 * own: waiting with the guest kernel lock could wait for ever. */
#define NATIVE_QUICK 1u

/* A subsystem's ops table.  Every hook may be NULL.  The VMM hooks (lock_taken, lock_released, stack_top, ended) are called only for a guest
 * in which the subsystem has state (native_state_install). */
struct native_subsystem {
    const char *name;                /* as the manifest names it: `subsystem NAME` */
    const struct native *natives;    /* its entry points, ended by a null name */
    /* Lock policy: its natives may run without the guest kernel lock —
     * concurrently with guest code and with themselves on other CPUs, and
     * may block — where a manifest says outside-gkl.  Without it a manifest
     * asking for that is refused. */
    bool may_leave_gkl;
    /* Once it has state in a guest, every guest thread is a vCPU of its
     * own: the guest's threads run on any CPU, and each one not holding the
     * lock shows its stack in its last trap frame (guest->threads_are_vcpus). */
    bool threads_are_vcpus;
    /* Quiescence, the native side's: objects it holds for the guest.  An
     * unpeel keeps the manifest's drain functions served while it is > 0.
     * (The guest side's are the manifest's idle words.) */
    uint64_t (*owned)(struct guest *g);
    /* At the safe point of a peel (true) or unpeel (false) of a manifest
     * subsystem using its natives, lock held, none of them in flight: take
     * over or hand back state (invalidate the guest's caches, say). */
    void (*changed)(struct guest *g, bool peeled);
    /* Why it cannot serve g at all (it reads guest layouts generated from
     * another build of the image, say), or NULL: asked before a peel using
     * its natives is applied, which is then refused with that reason. */
    const char *(*refuses)(struct guest *g);
    /* v has taken the guest kernel lock / a vCPU has let it go. */
    void (*lock_taken)(struct guest *g, struct vcpu *v);
    void (*lock_released)(struct guest *g);
    /* The top of v's guest stack if the subsystem made it, else 0. */
    uint32_t (*stack_top)(struct guest *g, const struct vcpu *v);
    /* The guest has ended: wake its vCPUs asleep in a native wait. */
    void (*ended)(struct guest *g);
    /* By the last vCPU out, nothing runs the guest: free state, made by
     * the subsystem and installed with native_state_install. */
    void (*release)(struct guest *g, void *state);
};

#define NATIVE_SUBSYSTEM(id)                                                   \
    const struct native_subsystem native_subsystem_##id                        \
        __attribute__((used, section(".natives"), aligned(8)))
#define NATIVE_SUBSYSTEM_DECLARE(id) extern const struct native_subsystem native_subsystem_##id

/* Per guest: one state pointer per registered subsystem, by its slot in
 * the section. */
#define NATIVES_MAX 16

struct natives {
    void *state[NATIVES_MAX];
    unsigned hooked;                 /* slots with state and a VMM hook, a bit each */
};

/* The native a manifest names, and the subsystem that registered it; NULL
 * if none did. */
const struct native *native_find(const char *name, const struct native_subsystem **owner);
const struct native_subsystem *native_subsystem_find(const char *name);
/* The registered subsystem whose state makes every guest thread a vCPU,
 * or NULL. */
const struct native_subsystem *native_subsystem_threading(void);

/* The subsystem's state in g, or NULL: the one way natives keep per-guest
 * state. */
void *native_state(struct guest *g, const struct native_subsystem *ns);
/* Install fresh unless another CPU was first: returns the state now
 * installed (not fresh: the caller frees its own). */
void *native_state_install(struct guest *g, const struct native_subsystem *ns, void *fresh);

/* The generic hooks the VMM calls; each costs one test for a guest
 * without hooked subsystems. */
/* From a quick native about to wait: it lets the guest kernel lock go (the
 * host takes it back after the call), as a native that is not quick runs. */
void native_may_wait(struct guest *g);
/* Does this native call hold the guest kernel lock (quick, not let go)? */
bool native_holds_lock(struct guest *g);
void natives_lock_taken(struct guest *g, struct vcpu *v);
void natives_lock_released(struct guest *g);
uint32_t natives_stack_top(struct guest *g, const struct vcpu *v);
void natives_guest_ended(struct guest *g);
/* Each subsystem's release of its state in g; the states are gone after. */
void natives_release(struct guest *g);
