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
#include "host/vmm/sites.h"
#include "host/peel/peel.h"
#include "host/peel/natives.h"
#include "host/peel/prof.h"
#include "host/vmm/gkl.h"
#include "loader/symmap.h"
#include "loader/elf32.h"

#define GUEST_NAME 32              /* "classic-stripped" and the like */
/* The top of guest RAM, marked reserved in the guest's memory map: memory
 * for native replacements (host/natives/classic/mm.c) that the guest never hands out. */
#define GUEST_RAM       (64u << 20)
#define GUEST_POOL_SIZE (8u << 20)
#define GUEST_POOL_BASE (GUEST_RAM - GUEST_POOL_SIZE)
/* Split between the natives that hand guest code memory of their own: the
 * mm peel's objects (host/natives/classic/mm.c), the sched peel's thread stacks
 * (host/natives/classic/sched.c), then the buffer cache's buffers
 * (host/natives/classic/cache.c). */
#define GUEST_POOL_MM_SIZE     (5u << 20)
#define GUEST_POOL_STACKS_BASE (GUEST_POOL_BASE + GUEST_POOL_MM_SIZE)
#define GUEST_POOL_STACKS_SIZE (1u << 20)
#define GUEST_POOL_CACHE_BASE  (GUEST_POOL_STACKS_BASE + GUEST_POOL_STACKS_SIZE)
#define GUEST_POOL_CACHE_SIZE  (GUEST_POOL_BASE + GUEST_POOL_SIZE - GUEST_POOL_CACHE_BASE)
#define GUEST_MAX 8
#define GUEST_MAX_VCPUS 64         /* the boot vCPU and the sched peel's threads */

enum guest_state { GUEST_LOADING, GUEST_RUNNING, GUEST_EXITED, GUEST_DEAD };

struct thread;

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
    uint64_t ram_size;
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
    struct vdevs dev;
    struct patches patches;
    struct sites sites;              /* trap sites by address: patches, peel entries, claims */
    struct peels peels;
    struct prof prof;
    struct natives natives;          /* each native subsystem's host-side state (host/peel/natives.h) */
    bool threads_are_vcpus;          /* set by a native subsystem: every guest thread is a vCPU of its own */
    struct thread *thread;
    int exit_status;                 /* the guest's isa-debug-exit value, or -1 */
    char why[128];                   /* how it ended */
};

/* Create guest `name` from the GRUB modules NAME.elf (and NAME-disk.img if
 * present), load it and start it.  NULL, with a message, if it cannot. */
struct guest *guest_start(const char *name, const char *guest_cmdline, const char *peel_list);
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
/* Blocks until every started guest has ended; returns the first one's status. */
int guest_wait_all(void);
