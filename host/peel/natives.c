/*
 * The registry of native subsystems (host/peel/natives.h): the records in
 * the .natives section, each subsystem's state per guest by its slot there,
 * and the generic hooks, which call only the subsystems with state in the
 * guest.
 */
#include "host/peel/natives.h"
#include "host/vmm/guest.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/string.h"

extern const struct native_subsystem __natives_start[], __natives_end[];

#define EACH_SUBSYSTEM(ns) for (const struct native_subsystem *ns = __natives_start; ns < __natives_end; ns++)

static unsigned slot(const struct native_subsystem *ns)
{
    unsigned i = (unsigned)(ns - __natives_start);
    if (ns < __natives_start || i >= NATIVES_MAX)
        panic("natives: %s is not one of the first %u registered subsystems (NATIVES_MAX)", ns->name, NATIVES_MAX);
    return i;
}

static bool hooks_vmm(const struct native_subsystem *ns)
{
    return ns->lock_taken || ns->lock_released || ns->stack_top || ns->ended;
}

const struct native *native_find(const char *name, const struct native_subsystem **owner)
{
    EACH_SUBSYSTEM(ns)
        for (const struct native *n = ns->natives; n && n->name; n++)
            if (!strcmp(n->name, name)) {
                if (owner)
                    *owner = ns;
                return n;
            }
    return 0;
}

const struct native_subsystem *native_subsystem_find(const char *name)
{
    EACH_SUBSYSTEM(ns)
        if (!strcmp(ns->name, name)) return ns;
    return 0;
}

const struct native_subsystem *native_subsystem_threading(void)
{
    EACH_SUBSYSTEM(ns)
        if (ns->threads_are_vcpus) return ns;
    return 0;
}

void *native_state(struct guest *g, const struct native_subsystem *ns)
{
    return __atomic_load_n(&g->natives->state[slot(ns)], __ATOMIC_ACQUIRE);
}

void *native_state_install(struct guest *g, const struct native_subsystem *ns, void *fresh)
{
    unsigned i = slot(ns);
    void *none = 0;
    if (!__atomic_compare_exchange_n(&g->natives->state[i], &none, fresh, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return none;                                 /* another CPU was first */
    if (hooks_vmm(ns)) {
        __atomic_or_fetch(&g->natives->hooked, 1u << i, __ATOMIC_ACQ_REL);
        if (ns->lock_taken || ns->lock_released)
            __atomic_store_n(&g->lock_hooks, true, __ATOMIC_RELEASE);   /* the VMM calls them from now on */
    }
    if (ns->threads_are_vcpus)
        g->threads_are_vcpus = true;
    return fresh;
}

/* The hooked subsystems of g, in slot order. */
#define EACH_HOOKED(g, ns)                                                                      \
    for (unsigned _m = __atomic_load_n(&(g)->natives->hooked, __ATOMIC_ACQUIRE), _i; _m; _m &= _m - 1) \
        for (const struct native_subsystem *ns = &__natives_start[_i = (unsigned)__builtin_ctz(_m)]; ns; ns = 0)

void natives_lock_taken(struct guest *g, struct vcpu *v)
{
    EACH_HOOKED(g, ns)
        if (ns->lock_taken) ns->lock_taken(g, v);
}

void natives_lock_released(struct guest *g)
{
    EACH_HOOKED(g, ns)
        if (ns->lock_released) ns->lock_released(g);
}

uint32_t natives_stack_top(struct guest *g, const struct vcpu *v)
{
    uint32_t top = 0;
    EACH_HOOKED(g, ns)
        if (!top && ns->stack_top) top = ns->stack_top(g, v);
    return top;
}

void natives_guest_ended(struct guest *g)
{
    EACH_HOOKED(g, ns)
        if (ns->ended) ns->ended(g);
}

void natives_release(struct guest *g)
{
    EACH_SUBSYSTEM(ns) {
        unsigned i = slot(ns);
        void *state = __atomic_exchange_n(&g->natives->state[i], 0, __ATOMIC_ACQ_REL);
        __atomic_and_fetch(&g->natives->hooked, ~(1u << i), __ATOMIC_ACQ_REL);
        if (state && ns->release)
            ns->release(g, state);
    }
}
