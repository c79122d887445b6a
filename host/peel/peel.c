#include "host/peel/peel.h"
#include "host/vmm/guest.h"
#include "host/vmm/vcpu.h"
#include "host/natives/classic/sched.h"
#include "host/decode/decode.h"
#include "loader/elf32.h"
#include "kernel/console.h"
#include "kernel/monitor.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "sched/sched.h"
#include "kernel/x86.h"

#define EFLAGS_TF (1u << 8)

/* A peeled function's first bytes become `int 15` (cd 0f) through the
 * host's one DPL-1 gate, on any CPU; or, where the CPU takes it from
 * compatibility mode (AMD: kernel/trap.c chooses), `syscall` (0f 05), a
 * helper call under TCG (kernel/vectors.asm syscall_entry).  Either way the
 * host sees VEC_PEEL_ENTRY with EIP past the two bytes (host/vmm/emulate.c looks
 * the site up at EIP - 2 in the side table, host/vmm/sites.h, where every
 * armed site is entered).  int 15, like the hlt of the scanner's patches
 * (#GP(0) in ring 1), unwinds QEMU's CPU loop and delivers through the IDT:
 * a peeled call costs 1.4 times syscall's (docs/peel.md).  syscall clobbers
 * ECX, which no cdecl function reads on entry.  Two bytes must not cut an
 * instruction something jumps to: they go where the first instruction is at
 * least two bytes long, or is the frame prologue's `push %ebp` before `mov
 * %esp,%ebp` (nothing branches to the second half of a prologue); anywhere
 * else — or where the decoder is unsure — the one-byte hlt. */
static const uint8_t PATCH_SYSCALL[PEEL_PATCH_MAX] = { 0x0f, 0x05 }, PATCH_INT[PEEL_PATCH_MAX] = { 0xcd, VEC_PEEL_ENTRY },
                     PATCH_HLT[1] = { 0xf4 };

static unsigned patch_length(struct guest *g, uint32_t addr, uint32_t size)
{
    uint32_t n = size < 15 ? size : 15;
    const uint8_t *code = n >= 3 ? guest_ptr(g, addr, n) : 0;
    struct insn in;
    if (!code || decode(code, n, 32, &in) != DECODE_OK)
        return 1;
    bool prologue = code[0] == 0x55 && ((code[1] == 0x89 && code[2] == 0xe5) || (code[1] == 0x8b && code[2] == 0xec));
    return in.length >= 2 || prologue ? 2 : 1;
}

static void arm(struct guest *g, const struct peel_site *s)
{
    memcpy(&g->ram[s->addr], s->len == 1 ? PATCH_HLT : trap_peel_syscall ? PATCH_SYSCALL : PATCH_INT, s->len);
}

static void unarm(struct guest *g, const struct peel_site *s)
{
    memcpy(&g->ram[s->addr], s->orig, s->len);
}

void peel_load_manifest(struct guest *g, const char *text, size_t len)
{
    char err[96];
    const char *why = manifest_parse(text, len, &g->peels.manifest, err, sizeof err);
    if (why) {
        kprintf("guest %s: manifest refused (%s); it runs unpeeled\n", g->name, why);
        return;
    }
    g->peels.have_manifest = true;
    kprintf("guest %s: manifest names %u peelable subsystems\n", g->name, g->peels.manifest.nsubsystems);
}

/* Does the loaded code, with the scanner's patches undone, equal the
 * image file's bytes?  After an unpeel it must: peels leave no trace. */
static bool code_pristine(struct guest *g)
{
    const struct peels *p = &g->peels;
    if (p->code_file + (uint64_t)(p->code_hi - p->code_lo) > g->image_size)
        return false;
    for (uint32_t a = p->code_lo; a < p->code_hi; a++) {
        const struct site *scan = sites_find(&g->sites, a, SITE_PATCH);
        uint8_t byte = scan ? scan->orig[0] : g->ram[a];
        if (byte != g->image[p->code_file + (a - p->code_lo)])
            return false;
    }
    return true;
}

/* Every symbol and native of the subsystem must exist before anything is
 * written: a peel happens whole or not at all.  Fills the sites and the kept
 * variables' addresses. */
static const char *resolve(struct guest *g, const struct manifest_subsystem *s, unsigned idx,
                           struct peel_site *out, struct peel_kept *kept)
{
    static char why[96];
    for (unsigned i = 0; i < s->nfns; i++) {
        struct elf32_symbol sym;
        const struct native *n = native_find(s->fns[i].native);
        if (!guest_symbol(g, s->fns[i].symbol, &sym) || sym.type != ELF32_STT_FUNC) {
            snprintf(why, sizeof why, "the image has no function %s", s->fns[i].symbol);
            return why;
        }
        if (!n) {
            snprintf(why, sizeof why, "no native replacement called %s", s->fns[i].native);
            return why;
        }
        if (!guest_ptr(g, sym.value, 1)) {
            snprintf(why, sizeof why, "%s lies outside guest memory", s->fns[i].symbol);
            return why;
        }
        out[i] = (struct peel_site){ sym.value, { 0 }, (uint8_t)patch_length(g, sym.value, sym.size), (uint8_t)idx,
                                     (uint8_t)s->fns[i].nargs, s->fns[i].drain, n, 0, 0 };
    }
    for (unsigned i = 0; i < s->nidle; i++) {
        struct elf32_symbol sym;
        if (!guest_symbol(g, s->idle[i], &sym) || !guest_ptr(g, sym.value, 4)) {
            snprintf(why, sizeof why, "the image has no variable %s", s->idle[i]);
            return why;
        }
    }
    for (unsigned i = 0; i < s->nkeeps; i++) {
        struct elf32_symbol sym;
        if (!guest_symbol(g, s->keeps[i], &sym) || !guest_ptr(g, sym.value, 4)) {
            snprintf(why, sizeof why, "the image has no variable %s", s->keeps[i]);
            return why;
        }
        strncpy_safe(kept[i].symbol, s->keeps[i], MANIFEST_NAME);
        kept[i].addr = sym.value;
    }
    return 0;
}

static void remember_kept(struct peels *p, const struct peel_kept *kept, unsigned n)
{
    for (unsigned i = 0; i < n && p->nkept < sizeof p->kept / sizeof p->kept[0]; i++) {
        bool known = false;
        for (unsigned k = 0; k < p->nkept; k++)
            known |= !strcmp(p->kept[k].symbol, kept[i].symbol);
        if (!known)
            p->kept[p->nkept++] = kept[i];
    }
}

uint32_t peel_kept(struct guest *g, const char *symbol)
{
    for (unsigned i = 0; i < g->peels.nkept; i++)
        if (!strcmp(g->peels.kept[i].symbol, symbol)) return g->peels.kept[i].addr;
    return 0;
}

/* Each distinct changed() hook of the subsystem's natives, once. */
static void tell_natives(struct guest *g, unsigned idx, bool peeled)
{
    const struct manifest_subsystem *s = &g->peels.manifest.subsystems[idx];
    for (unsigned i = 0; i < s->nfns; i++) {
        const struct native *n = native_find(s->fns[i].native);
        bool seen = false;
        for (unsigned k = 0; k < i && n && n->changed; k++) {
            const struct native *m = native_find(s->fns[k].native);
            seen |= m && m->changed == n->changed;
        }
        if (n && n->changed && !seen)
            n->changed(g, peeled);
    }
}

static const char *peel_on(struct guest *g, unsigned idx)
{
    struct peels *p = &g->peels;
    const struct manifest_subsystem *s = &p->manifest.subsystems[idx];
    struct peel_site new_sites[MANIFEST_MAX_FNS];
    struct peel_kept kept[MANIFEST_MAX_KEEPS];
    if (p->draining[idx])
        return "its previous unpeel is still draining (the native side owns objects)";
    if (p->nsites + s->nfns > PEEL_MAX_SITES)
        return "too many peeled functions";
    const char *why = resolve(g, s, idx, new_sites, kept);
    if (why)
        return why;
    for (unsigned i = 0; i < s->nfns; i++)
        for (unsigned j = 0; j < p->nsites; j++)
            if (p->sites[j].addr == new_sites[i].addr)
                return "one of its functions is already peeled by another subsystem";
    for (unsigned i = 0; i < s->nfns; i++)          /* the side table first: no trap it cannot tell */
        if (!sites_add(&g->sites, &(struct site){ .addr = new_sites[i].addr, .kind = SITE_PEEL,
                                                  .owner = &p->sites[p->nsites + i] })) {
            while (i-- > 0) sites_remove(&g->sites, new_sites[i].addr, SITE_PEEL);
            return "out of memory for the side table of trap sites";
        }
    remember_kept(p, kept, s->nkeeps);
    for (unsigned i = 0; i < s->nfns; i++) {
        struct peel_site *site = &p->sites[p->nsites++];
        *site = new_sites[i];
        memcpy(site->orig, &g->ram[site->addr], site->len);
        arm(g, site);
    }
    p->peeled[idx] = true;
    tell_natives(g, idx, true);
    return 0;
}

static bool still_owns(struct guest *g, const struct peel_site *site)
{
    return site->drain && site->native->owned && site->native->owned(g) > 0;
}

/* Restore this subsystem's sites, except drain sites whose native side still
 * owns objects: those wait (peel_safe_point finishes the job). */
static void disarm(struct guest *g, unsigned idx, bool keep_draining)
{
    struct peels *p = &g->peels;
    unsigned kept = 0;
    for (unsigned i = 0; i < p->nsites; i++) {
        struct peel_site *site = &p->sites[i];
        if (site->subsystem == idx && !(keep_draining && still_owns(g, site))) {
            unarm(g, site);
            sites_remove(&g->sites, site->addr, SITE_PEEL);
        } else {
            p->sites[kept++] = *site;
        }
    }
    p->nsites = kept;
    for (unsigned i = 0; i < kept; i++)              /* moved down: their entries follow (no allocation) */
        sites_add(&g->sites, &(struct site){ .addr = p->sites[i].addr, .kind = SITE_PEEL, .owner = &p->sites[i] });
    p->draining[idx] = false;
    for (unsigned i = 0; i < p->nsites; i++)
        if (p->sites[i].subsystem == idx) p->draining[idx] = true;
    if (p->draining[idx]) {
        kprintf("guest %s: unpeel %s: draining: the native side still owns objects the guest will free\n",
                g->name, p->manifest.subsystems[idx].name);
        return;
    }
    bool others = false;
    for (unsigned i = 0; i < p->nsites; i++)
        others = true;                               /* other subsystems' traps are still in */
    kprintf("guest %s: unpeel %s: code bytes %s\n", g->name, p->manifest.subsystems[idx].name,
            others ? "restored (other peels remain in place)"
                   : code_pristine(g) ? "restored exactly: the code equals the image file's, but for the scanner's patches"
                                      : "DIFFER from the image file");
}

static const char *peel_off(struct guest *g, unsigned idx)
{
    if (g->peels.manifest.subsystems[idx].boot_only)
        return "it is boot-only: its natives hold state the guest's own code could not take back";
    g->peels.peeled[idx] = false;
    disarm(g, idx, true);
    tell_natives(g, idx, false);
    return 0;
}

const char *peel_apply(struct guest *g, unsigned idx, bool peel)
{
    if (peel == g->peels.peeled[idx])
        return peel ? "already peeled" : "not peeled";
    const char *why = peel ? peel_on(g, idx) : peel_off(g, idx);
    char how[48] = "";
    unsigned by[PEEL_PATCH_MAX + 1] = { 0 };
    for (unsigned i = 0; peel && !why && i < g->peels.nsites; i++)
        if (g->peels.sites[i].subsystem == idx) by[g->peels.sites[i].len]++;
    if (peel && !why)
        snprintf(how, sizeof how, " (entered by %s %u, by hlt %u)", trap_peel_syscall ? "syscall" : "int", by[2], by[1]);
    kprintf("guest %s: %s %s%s%s%s\n", g->name, peel ? "peel" : "unpeel", g->peels.manifest.subsystems[idx].name,
            why ? " refused: " : " done", why ? why : "", how);
    return why;
}

const char *peel_request(struct guest *g, const char *name, bool peel)
{
    struct peels *p = &g->peels;
    if (!p->have_manifest)
        return "this guest has no manifest";
    const struct manifest_subsystem *s = manifest_find(&p->manifest, name);
    if (!s)
        return "no such subsystem in the manifest";
    int idx = s - p->manifest.subsystems;
    if (g->state == GUEST_LOADING)
        return peel_apply(g, idx, peel);
    if (g->state != GUEST_RUNNING)
        return "the guest is not running";
    if (p->peeled[idx] == peel)
        return peel ? "already peeled" : "not peeled";
    if (s->boot_only)
        return peel ? "it is boot-only (peel=NAME on the command line): its natives cannot adopt what the guest's own code already made"
                    : "it is boot-only: its natives hold state the guest's own code could not take back";
    if (s->nidle && !g->native_sched)
        return "at run time it needs the sched peel: without it the host cannot see whether a guest thread is inside the subsystem";
    int want = peel ? idx + 1 : -(idx + 1);
    if (!__atomic_compare_exchange_n(&p->request, &(int){ 0 }, want, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return "another peel request is still pending";
    return 0;
}

static bool in_code(struct guest *g, unsigned idx, uint32_t a)
{
    const struct manifest_subsystem *s = &g->peels.manifest.subsystems[idx];
    if (a < g->peels.span[idx].lo || a >= g->peels.span[idx].hi)
        return false;                                /* most words: one comparison */
    for (unsigned i = 0; i < s->nfns; i++)
        if (a >= g->peels.code[idx][i].lo && a < g->peels.code[idx][i].hi)
            return true;
    return false;
}

/* Is some guest thread inside the subsystem's guest functions: executing
 * one, or with a return address into one on its stack?  Every thread is a
 * vCPU (the sched peel), each one not holding the lock is in the host with
 * its guest state in its last trap frame, so all their stacks can be seen.
 * The scan is conservative: a stale word that looks like a return address
 * only makes the change wait. */
#define BOOT_STACK_SCAN 16384u

/* A subsystem's functions' bytes and its idle words' addresses, looked up
 * once (a missing symbol stays 0: resolve refuses such a peel anyway). */
static void learn_subsystem(struct guest *g, unsigned idx)
{
    struct peels *p = &g->peels;
    const struct manifest_subsystem *s = &p->manifest.subsystems[idx];
    if (!p->code_known[idx]) {
        for (unsigned i = 0; i < s->nfns; i++) {
            struct elf32_symbol sym;
            bool ok = guest_symbol(g, s->fns[i].symbol, &sym);
            p->code[idx][i].lo = ok ? sym.value : 0;
            p->code[idx][i].hi = ok ? sym.value + (sym.size ? sym.size : 1) : 0;
            if (ok && (!p->span[idx].hi || p->code[idx][i].lo < p->span[idx].lo)) p->span[idx].lo = p->code[idx][i].lo;
            if (ok && p->code[idx][i].hi > p->span[idx].hi) p->span[idx].hi = p->code[idx][i].hi;
        }
        for (unsigned i = 0; i < s->nidle; i++) {
            struct elf32_symbol sym;
            p->idle_at[idx][i] = guest_symbol(g, s->idle[i], &sym) ? sym.value : 0;
        }
        p->code_known[idx] = true;
    }
}

int peel_subsystem_at(struct guest *g, uint32_t addr)
{
    for (unsigned i = 0; g->peels.have_manifest && i < g->peels.manifest.nsubsystems; i++) {
        learn_subsystem(g, i);
        if (in_code(g, i, addr))
            return (int)i;
    }
    return -1;
}

static bool thread_inside(struct guest *g, unsigned idx)
{
    learn_subsystem(g, idx);
    for (unsigned i = 0; i < g->nvcpus; i++) {
        const struct vcpu *v = g->vcpus[i];
        if (!v || v->exited)
            continue;
        const struct trapframe *tf = v->tf ? v->tf : &v->boot;
        uint32_t esp = (uint32_t)tf->rsp, top = native_sched_stack_top(g, v);
        if (in_code(g, idx, (uint32_t)tf->rip))
            return true;
        if (!top)
            top = esp + BOOT_STACK_SCAN;
        for (uint32_t a = esp & ~3u; a >= esp && a + 4 <= top; a += 4) {
            const uint32_t *w = guest_ptr(g, a, 4);
            if (!w)
                break;
            if (in_code(g, idx, *w))
                return true;
        }
    }
    return false;
}

/* May the subsystem change hands now?  Not while one of its native calls
 * runs without the lock, nor while a guest thread is inside the guest's own
 * version (its idle words, locks, are not 0; a thread's stack goes
 * through it). */
static bool quiet(struct guest *g, unsigned idx)
{
    const struct manifest_subsystem *s = &g->peels.manifest.subsystems[idx];
    if (__atomic_load_n(&g->peels.inflight[idx], __ATOMIC_ACQUIRE))
        return false;
    learn_subsystem(g, idx);
    for (unsigned i = 0; i < s->nidle; i++) {
        uint32_t at = g->peels.idle_at[idx][i];
        const uint32_t *w = at ? guest_ptr(g, at, 4) : 0;
        if (w && *w)
            return false;
    }
    if (!s->nidle || g->state != GUEST_RUNNING)
        return true;
    if (!g->native_sched)
        return false;
    uint64_t now = time_ns();                        /* the stack scan is not for every trap */
    if (now - g->peels.last_scan < 1000000ull)
        return false;
    g->peels.last_scan = now;
    return !thread_inside(g, idx);
}

bool peel_request_ready(struct guest *g)
{
    int r = __atomic_load_n(&g->peels.request, __ATOMIC_ACQUIRE);
    return r && !g->peels.stepping && quiet(g, (unsigned)(r > 0 ? r : -r) - 1);
}

/* At every trap of the lock holder: so a plain load first — a locked
 * instruction here cost the unpeeled guest 5% at -smp 2, where TCG makes
 * every atomic a call. */
void peel_safe_point(struct guest *g)
{
    int r = __atomic_load_n(&g->peels.request, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < g->peels.manifest.nsubsystems && !g->peels.stepping; i++) {
        bool owns = false;
        for (unsigned k = 0; g->peels.draining[i] && k < g->peels.nsites; k++)
            owns |= g->peels.sites[k].subsystem == i && still_owns(g, &g->peels.sites[k]);
        if (g->peels.draining[i] && !owns)
            disarm(g, i, false);                     /* drained: the last sites go */
    }
    if (!r)
        return;
    unsigned idx = (r > 0 ? r : -r) - 1;
    if (g->peels.stepping || !quiet(g, idx)) {
        g->peels.waited[idx]++;                      /* try again at the next safe point */
        return;
    }
    if (__atomic_compare_exchange_n(&g->peels.request, &r, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        peel_apply(g, idx, r > 0);
}

static struct peel_site *site_at(struct guest *g, uint32_t addr)
{
    const struct site *e = sites_find(&g->sites, addr, SITE_PEEL);
    return e ? e->owner : 0;
}

/* cdecl: [esp] return address, [esp + 4 * (i + 1)] argument i; the result
 * goes in EAX and the host returns as `ret` would (the caller pops the
 * arguments).  Every native runs with host interrupts on: it is host code
 * doing the guest's work, which may sleep (the sched natives) and must never
 * hold a CPU deaf to its timer and IPIs.  A native of an outside-gkl
 * subsystem also runs without the guest kernel lock — unless the caller has
 * its own interrupts off: then it is inside one of the guest's critical
 * sections, which the lock is all that protects. */
void peel_call(struct guest *g, struct trapframe *tf, struct peel_site *s)
{
    struct peels *p = &g->peels;
    uint32_t eip = (uint32_t)tf->rip;
    struct vcpu *v = vcpu_current();
    const struct native *native = s->native;
    unsigned sub = s->subsystem, nargs = s->nargs;
    const uint32_t *stack = guest_ptr(g, (uint32_t)tf->rsp, 4 * (nargs + 1u));
    uint32_t args[8], ret = 0, ret_addr = stack ? stack[0] : 0;
    for (unsigned i = 0; stack && i < nargs; i++)
        args[i] = stack[1 + i];
    bool outside = p->manifest.subsystems[sub].outside_gkl && v->vif;
    bool served = false;
    uint32_t gen = g->sites.gen;
    if (stack) {
        if (outside) {
            __atomic_add_fetch(&p->inflight[sub], 1, __ATOMIC_ACQ_REL);
            vcpu_unlock(v);
        }
        sti();
        served = native->fn(g, args, &ret);
        cli();
        if (outside) {
            __atomic_sub_fetch(&p->inflight[sub], 1, __ATOMIC_ACQ_REL);
            vcpu_lock(v);
        }
    }
    if (g->state != GUEST_RUNNING)
        return;                                      /* vcpu_trap ends this vCPU */
    if (g->sites.gen != gen)
        s = site_at(g, eip);                         /* the table changed meanwhile */
    if (!served) {
        if (!s)
            return;                                  /* unpeeled meanwhile: the guest's code is back */
        /* The guest's own code runs: its first bytes back until it has
         * stepped past them (TF), then the patch again (peel_step_done). */
        s->fell_through++;
        unarm(g, s);
        p->stepping_guest_tf = tf->rflags & EFLAGS_TF;
        tf->rflags |= EFLAGS_TF;
        p->stepping = (unsigned)(s - p->sites) + 1;
        return;
    }
    if (s)
        s->calls++;
    p->calls[sub]++;
    if (v->frame_set) {
        v->frame_set = false;                        /* the native placed the guest itself */
        return;
    }
    tf->rax = ret;
    tf->rip = ret_addr;
    tf->rsp = (uint32_t)(tf->rsp + 4);
}

bool peel_step_done(struct guest *g, struct trapframe *tf)
{
    struct peels *p = &g->peels;
    if (!p->stepping)
        return false;
    const struct peel_site *s = &p->sites[p->stepping - 1];
    if ((uint32_t)tf->rip - s->addr < s->len)
        return true;                                 /* still inside the patch's bytes: one more step */
    arm(g, s);
    p->stepping = 0;
    if (p->stepping_guest_tf)
        return false;                                /* the guest's own #DB: one for the displaced bytes */
    tf->rflags &= ~(uint64_t)EFLAGS_TF;
    return true;
}

/* ---- monitor -------------------------------------------------------------- */

static void cmd_peel(int argc, char **argv)
{
    struct guest *g = guest_of(0);
    bool peel = !strcmp(argv[0], "peel");
    if (argc < 2 || !g) {
        kprintf("usage: %s SUBSYSTEM (of guest 0)\n", argv[0]);
        return;
    }
    const char *why = peel_request(g, argv[1], peel);
    if (why)
        kprintf("  %s %s: %s\n", argv[0], argv[1], why);
    else
        kprintf("  %s %s: at the guest's next safe point\n", argv[0], argv[1]);
}

static void cmd_peels(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (unsigned gi = 0; gi < guest_count(); gi++) {
        struct guest *g = guest_of(gi);
        struct peels *p = &g->peels;
        if (!p->have_manifest) {
            kprintf("  guest %u %s: no manifest\n", gi, g->name);
            continue;
        }
        for (unsigned i = 0; i < p->manifest.nsubsystems; i++) {
            const struct manifest_subsystem *s = &p->manifest.subsystems[i];
            uint64_t fell = 0;
            for (unsigned k = 0; k < p->nsites; k++)
                if (p->sites[k].subsystem == i) fell += p->sites[k].fell_through;
            kprintf("  guest %u %-10s %-8s %s, %u functions, %lu native calls, %lu fell through\n", gi,
                    s->name, p->peeled[i] ? "peeled" : p->draining[i] ? "draining" : "guest",
                    s->outside_gkl ? "outside the GKL" : "under the GKL", s->nfns, p->calls[i], fell);
        }
    }
}

/* churn S A B ...: for S seconds, toggle a random one of the named
 * subsystems of guest 0 at random intervals (a fixed seed: a run can be
 * repeated), while the workload runs.  The stress suite's peel churn. */
static void cmd_churn(int argc, char **argv)
{
    struct guest *g = guest_of(0);
    unsigned secs = monitor_uint(argc, argv, 1, 0), peels = 0, unpeels = 0, refused = 0;
    if (argc < 3 || !g || !secs) {
        kprintf("usage: churn SECONDS SUBSYSTEM...\n");
        return;
    }
    uint64_t deadline = time_ns() + secs * 1000000000ull, x = 0x9e3779b97f4a7c15ull;
    while (time_ns() < deadline && g->state == GUEST_RUNNING) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        const char *name = argv[2 + x % (unsigned)(argc - 2)];
        const struct manifest_subsystem *s = g->peels.have_manifest ? manifest_find(&g->peels.manifest, name) : 0;
        bool peel = !s || !g->peels.peeled[s - g->peels.manifest.subsystems];
        if (peel_request(g, name, peel)) refused++;
        else if (peel) peels++;
        else unpeels++;
        thread_sleep_ns((50 + (x >> 32) % 250) * 1000000ull);
    }
    kprintf("  churn: %u peels, %u unpeels requested, %u refused (pending, draining or not running)\n",
            peels, unpeels, refused);
}

void peel_monitor_init(void)
{
    monitor_register("peel", "peel SUBSYSTEM: replace it by native code (guest 0)", cmd_peel);
    monitor_register("unpeel", "unpeel SUBSYSTEM: give it back to the guest's own code", cmd_peel);
    monitor_register("peels", "subsystems per guest: peeled or not, native calls", cmd_peels);
    monitor_register("churn", "churn S A B...: peel and unpeel those subsystems at random for S seconds", cmd_churn);
}
