/*
 * Per-CPU data, reached in one step through GS: gs:0 holds the struct's own
 * address.  Touching another CPU's copy is an explicit cpu_of(id).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "kernel/list.h"
#include "smp/spinlock.h"
#include "smp/cpumask.h"

#define MAX_CPUS 64
#define CACHELINE 64

/* Hazards: deferred work checked on the way out of an interrupt (NOVA). */
#define HAZARD_RESCHED  (1u << 0)

struct thread;

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct cpu {
    struct cpu *self;               /* gs:0 */
    uint32_t id;                    /* dense logical index, 0 = boot CPU */
    uint32_t apic_id;
    struct thread *current;
    struct thread *idle;
    int ncli;                       /* pushcli depth */
    int intena;                     /* were interrupts on before the first pushcli? */
    int preempt;                    /* preempt_disable depth */
    volatile uint32_t hazard;
    volatile bool online;
    uint64_t ticks;                 /* LAPIC timer ticks on this CPU */
    uint64_t idle_ticks;
    uint64_t switches;
    uint64_t irqs;

    struct spinlock call_lock;      /* any CPU: queued call-function requests */
    struct list calls;

    uint64_t *gdt;
    struct tss tss;
    uint8_t *ist_stacks;            /* #DF and NMI run on their own stacks */
    uint64_t upper_cs, upper_ss;    /* what trap_return last gave ring 1-3 here (syscall_entry) */
    bool syscall_open;              /* EFER.SCE set here (kernel/trap.c trap_syscall_open) */
    uint64_t entry_scratch;         /* syscall_entry's scratch: the caller's RSP */
    uint64_t espfix_base;           /* this CPU's 4 GiB window of one page (kernel/espfix.h) */
    uint64_t espfix_top;            /* nonzero: trap_return leaves from this ministack */
    volatile uint64_t heartbeat;    /* bumped by the timer; watched by stress tests */
    volatile bool tick_stopped;     /* idle with nothing to time: no tick until it runs a thread */
} __attribute__((aligned(CACHELINE)));

_Static_assert(sizeof(struct cpu) % CACHELINE == 0, "struct cpu must fill whole cache lines");
_Static_assert(offsetof(struct cpu, self) == 0, "gs:0 must hold the self pointer");

extern struct cpu cpus[MAX_CPUS];
extern unsigned ncpus;              /* CPUs brought online */

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

static inline struct cpu *cpu_of(unsigned id) { return &cpus[id]; }

static inline struct thread *current_thread(void)
{
    struct thread *t;
    __asm__ volatile("mov %%gs:%c1, %0" : "=r"(t) : "i"(offsetof(struct cpu, current)));
    return t;
}

void percpu_init(unsigned id, uint32_t apic_id);
cpumask_t cpus_online(void);        /* a bit for each CPU that is up */
