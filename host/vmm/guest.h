/*
 * A hosted guest: an unmodified legacy 32-bit kernel image run as one task.
 * It gets guest "physical" memory (host frames mapped at guest addresses
 * below 4 GiB in its own address space), a virtual CPU that runs in ring 1
 * compatibility mode (host/vmm/vcpu.c), and virtual devices (host/vmm/vdevs.c).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "host/vmm/vcpu.h"
#include "host/vmm/vdevs.h"
#include "host/vmm/scan.h"
#include "host/vmm/codepage.h"
#include "host/vmm/rom.h"
#include "host/vmm/sites.h"
#include "host/vmm/gkl.h"
#include "host/vmm/blocks.h"
#include "loader/symmap.h"
#include "loader/elf32.h"

#define GUEST_NAME 32              /* "classic-stripped" and the like */
/* Guest RAM (g->ram_size): guestmem=SIZE on the host command line
 * (make GUESTMEM=SIZE), else GUEST_RAM_DEFAULT; whole MiB, from
 * GUEST_RAM_MIN (the first MiB, the image, the pool) to GUEST_RAM_MAX
 * (below 4 GiB, where a PC keeps its ROM and device windows). */
#define GUEST_RAM_UNIT    (1u << 20)
#define GUEST_RAM_DEFAULT (64u << 20)
#define GUEST_RAM_MIN     (16u << 20)
#define GUEST_RAM_MAX     (3u << 30)
/* The top GUEST_POOL_SIZE bytes of guest RAM (g->pool_base), marked
 * reserved in the guest's memory map: memory for native replacements
 * (host/natives/classic/mm.c) that the guest never hands out, and the
 * patch blocks' arena (host/vmm/blocks.h) at the very top. */
#define GUEST_POOL_SIZE ((8u << 20) + BLOCKS_SIZE)
#define GUEST_POOL_BASE(g) ((g)->pool_base)
/* Split between the natives that hand guest code memory of their own: the
 * mm peel's objects (host/natives/classic/mm.c), the sched peel's thread stacks
 * (host/natives/classic/sched.c), then the buffer cache's buffers
 * (host/natives/classic/cache.c). */
#define GUEST_POOL_MM_SIZE     (5u << 20)
#define GUEST_POOL_STACKS_BASE(g) (GUEST_POOL_BASE(g) + GUEST_POOL_MM_SIZE)
#define GUEST_POOL_STACKS_SIZE (1u << 20)
#define GUEST_POOL_CACHE_BASE(g) (GUEST_POOL_STACKS_BASE(g) + GUEST_POOL_STACKS_SIZE)
#define GUEST_POOL_CACHE_SIZE  (2u << 20)
#define GUEST_POOL_BLOCKS_BASE(g) (GUEST_POOL_CACHE_BASE(g) + GUEST_POOL_CACHE_SIZE)
_Static_assert(GUEST_POOL_MM_SIZE + GUEST_POOL_STACKS_SIZE + GUEST_POOL_CACHE_SIZE + BLOCKS_SIZE == GUEST_POOL_SIZE,
               "the pool's parts fill it");
#define GUEST_MAX 8
#define GUEST_MAX_VCPUS 64         /* the boot vCPU and the sched peel's threads */

enum guest_state { GUEST_LOADING, GUEST_RUNNING, GUEST_EXITED, GUEST_DEAD };

struct thread;
struct peels;                        /* the peel framework's, host/peel/: opaque here */
struct prof;
struct natives;

struct guest {
    unsigned id;
    char name[GUEST_NAME];
    volatile enum guest_state state;
    bool ending;                     /* guest_end has begun: the first caller ends it */
    char sha256[65];                 /* of the image module, as GRUB loaded it */
    const uint8_t *image;            /* the module: read-only, never modified */
    size_t image_size;
    struct elf32_image elf;          /* the image, checked once */
    struct symmap syms;              /* from NAME.map, for an image without a symbol table */
    uint8_t *ram;                    /* guest-physical 0 .. ram_size, in the direct map */
    uint64_t ram_size;               /* guestmem=, or GUEST_RAM_DEFAULT; 0 once released */
    uint32_t pool_base;              /* ram_size - GUEST_POOL_SIZE, kept after the release */
    uint64_t root;                   /* the guest address space's PML4 (physical) */
    uint8_t *disk;                   /* a writable copy of the disk module */
    uint64_t disk_size;
    uint64_t start_ns, end_ns;
    struct vcpu vcpu;                /* the boot vCPU */
    struct vcpu *vcpus[GUEST_MAX_VCPUS];   /* [0] = &vcpu; the rest made by the sched peel */
    unsigned nvcpus;
    unsigned live_vcpus;             /* threads still running it: the last frees the guest */
    bool released;                   /* guest_release has given its memory and native state back */
    struct gkl gkl;
    uint64_t gdt_gen;                /* bumped by lgdt: CPUs' mirrors older than it are stale */
    uint64_t shadow_gen;             /* bumped by shadow_flush_guest: older vCPU shadows are dropped */
    uint64_t ldt_gen;                /* bumped by lldt: the same for the LDT mirrors */
    struct vdevs dev;
    struct patches patches;
    struct codepages codepages;      /* which pages are scanned: host/vmm/codepage.h */
    struct rom_step rom;             /* a write to its ROM being stepped: host/vmm/rom.h */
    struct sites sites;              /* trap sites by address: patches, peel entries, claims */
    struct blocks blocks;            /* patch blocks: host/vmm/blocks.h */
    uint32_t code_lo, code_hi;       /* the image's executable segment, in guest memory */
    uint32_t code_file;              /* and its offset in the image file */
    /* While the host single-steps guest code for itself (a fall-through's
     * displaced bytes): nonzero, and the guest's own TF is kept apart. */
    unsigned host_stepping;
    bool host_stepping_guest_tf;
    bool lock_hooks;                 /* the layer above wants the lock_taken/released hooks */
    /* Set by the layer above while its safe_point hook has work (a request
     * pending, a subsystem draining): every trap reads it, so only then does
     * a trap pay for the call. */
    bool wants_safe_points;
    /* The layer above's own state, made by its start hook, freed by its release */
    struct peels *peels;
    struct prof *prof;
    struct natives *natives;
    bool threads_are_vcpus;          /* set by a native subsystem: every guest thread is a vCPU of its own */
    /* The layer above may write syscall entries into this guest (it has a
     * manifest, and the entry is allowed: kernel/trap.h), decided before
     * the first scan: the entry is open (trap_syscall_open) while it runs
     * ring 1 code, closed for every other guest and in ring 3, its own
     * syscall is patched to raise the #UD a CPU would, and its far jmp,
     * call and retf are patched for the host to make, so that the CS the
     * entry assumes is always the one the guest runs in (scan.c far_seen). */
    bool syscall_entry;
    struct thread *thread;
    int exit_status;                 /* the guest's isa-debug-exit value, or -1 */
    char why[128];                   /* how it ended */
};

/* Create guest `name` from the GRUB modules NAME.elf (or NAME.bzImage) and
 * its disk, module `disk` (empty: NAME-disk.img, if present), with
 * ram_bytes of RAM (0: GUEST_RAM_DEFAULT), load it and start it.  NULL,
 * with a message, if it cannot. */
struct guest *guest_start(const char *name, const char *disk, const char *guest_cmdline, uint64_t ram_bytes);
void guest_end(struct guest *g, enum guest_state how, int status, const char *why);
void guest_release(struct guest *g);
/* Every vCPU's counters added up (exits, emulated instructions, port I/O). */
void guest_vcpu_totals(struct guest *g, struct vcpu *sum);
struct guest *guest_of(unsigned id);
unsigned guest_count(void);
bool guest_any_running(void);
/* A guest whose memory or native state is not yet given back (running, or ended
 * with a vCPU still on its way out). */
bool guest_any_unreleased(void);
/* The guest's symbols (host/vmm/guest_syms.c): the image's own ELF symbol table,
 * or NAME.map if the image is stripped, chosen once at load and said which. */
void guest_symbols_load(struct guest *g, const char *map, size_t len);
bool guest_symbol(const struct guest *g, const char *name, struct elf32_symbol *out);
size_t guest_symbol_count(const struct guest *g);
bool guest_symbol_at(const struct guest *g, size_t i, struct elf32_symbol *out);
/* Guest-physical [gpa, gpa + len) as a host pointer, or NULL if not all RAM. */
void *guest_ptr(struct guest *g, uint64_t gpa, uint64_t len);
void guest_monitor_init(void);

/* The layer above the VMM (the peel framework, host/peel/plug.c) plugs in
 * here, once, before a guest starts; the VMM names none of it.  `site` is
 * the owner of a SITE_PEEL entry of the side table (host/vmm/sites.h). */
struct guest_hooks {
    /* Before the guest's first instruction: its manifest (or NULL).  A
     * reason if the guest cannot start, else NULL. */
    const char *(*start)(struct guest *g, const void *manifest, size_t len);
    bool (*site_armed)(struct guest *g, void *site);             /* not being stepped over */
    /* A peel site's trap, EIP at the site.  One entered by the peel entry's
     * vector (int 15 or syscall) has had no sample: the layer counts it in
     * its profile itself (outside the GKL, where the call goes out). */
    void (*site_trap)(struct guest *g, struct trapframe *tf, void *site);
    bool (*step_done)(struct guest *g, struct trapframe *tf);     /* the host's own #DB */
    void (*lock_taken)(struct guest *g, struct vcpu *v);          /* if g->lock_hooks */
    void (*lock_released)(struct guest *g);
    void (*sample)(struct guest *g, uint32_t eip, uint32_t esp, bool trapped);
    bool (*request_ready)(struct guest *g);                       /* a safe point is wanted */
    void (*safe_point)(struct guest *g);          /* no guest instruction runs; if g->wants_safe_points */
    /* The VMM is about to read the guest's code for a scan, or put back
     * the bytes under its patches (done false), and is done (true): the
     * layer's own trap bytes in guest code out of the way meanwhile, and
     * afterwards in again over what the VMM left (its displaced bytes
     * taken anew).  Anywhere in guest RAM. */
    void (*code_changing)(struct guest *g, bool done);
    void (*ended)(struct guest *g);                               /* wake its vCPUs asleep above */
    void (*release)(struct guest *g);                             /* free what start made */
};
void guest_set_hooks(const struct guest_hooks *hooks);
extern const struct guest_hooks *guest_hooks;
/* Blocks until every started guest has ended; returns the first one's status. */
int guest_wait_all(void);
