/*
 * The virtual PC's ROM: 0xE0000-0xFFFFF, where a PC's system BIOS sits.
 * The hosted PC has no BIOS code (a Multiboot kernel never calls one), so
 * its ROM holds zeros, but it is ROM all the same: reads work, and a write
 * goes nowhere, as on a PC (QEMU's isapc maps its BIOS there read-only;
 * the bare oracle of tests/suites/pc.sh).  Kernels scan the area for
 * signatures ("_32_", "_MP_", "RSD PTR "); a kernel that wrote there and
 * read its bytes back would find a BIOS on a PC that has none.
 *
 * How a write is dropped.  The instruction that writes must still run (its
 * other effects — registers, flags, a RAM part of a write that straddles
 * into the ROM — are the CPU's), so the host single-steps it with the ROM
 * page writable, having kept the page's bytes, and puts them back at the
 * next trap, the step's #DB or anything sooner (rom_step_trap): the
 * write leaves no trace.  Only one vCPU runs guest code at a time (the
 * guest kernel lock), so none sees the page in between.  The host's own
 * writes for the guest (string I/O, pushes, stores of emulated
 * instructions: host/vmm/gmem.c) skip the ROM's bytes.
 *
 * Paging off: the guest's space (g->root) maps the ROM pages read-only;
 * rom_write_fault takes the write fault before scan-on-execute
 * (host/vmm/codepage.c) could, and the host's writes skip the ROM before
 * codepage_written hears of them, so scan-on-execute never drops a ROM
 * page's scan for a write (a drop maps a page writable); and a drop that
 * takes a ROM page along with its partner (an instruction straddling
 * 0xE0000) leaves it read-only: codepage.c's protect never grants a ROM
 * page PTE_W.  Paging on: the shadow (host/vmm/shadow.c)
 * maps a ROM page writable only while rom_writable says so, and hands a
 * write fault on it to rom_step_begin (after the guest's tables allowed
 * the write: a write they forbid is the guest's #PF, and sets Dirty as
 * the CPU's would); the step's end drops that one writable entry.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define ROM_BASE 0xE0000u
#define ROM_END  0x100000u
#define ROM_STEP_PAGES 2           /* one write touches at most two pages */

struct guest;
struct vcpu;
struct trapframe;

struct rom_step {
    uint8_t *save;                 /* ROM_STEP_PAGES pages: the bytes each stepped page had */
    uint32_t gpa[ROM_STEP_PAGES];  /* 1 + the guest-physical page, or 0 */
    uint32_t lin[ROM_STEP_PAGES];  /* its guest-linear page (paging on) */
    bool stepping, guest_tf;
    uint64_t steps, dropped;       /* steps made; writes whose bytes went back */
};

/* [gpa, gpa + len) touches the ROM */
static inline bool rom_overlaps(uint64_t gpa, uint64_t len)
{
    return gpa < ROM_END && gpa + len > ROM_BASE;
}

bool rom_init(struct guest *g);    /* at guest creation: the pages a step keeps */
void rom_free(struct guest *g);
/* A #PF from guest code with paging off: true if it was a write to the
 * ROM, now being stepped. */
bool rom_write_fault(struct vcpu *v, struct trapframe *tf, uint32_t cr2);
/* The guest's write at linear lin to ROM page gpa (paging on: the
 * shadow's): step it.  False if the step has no room (then the guest was
 * stopped with a sentence). */
bool rom_step_begin(struct vcpu *v, struct trapframe *tf, uint32_t lin, uint32_t gpa);
/* May the shadow map guest-physical gpa writable? (paging on) */
bool rom_writable(const struct guest *g, uint32_t gpa);
/* At every trap while a step is on (vcpu_trap): a #PF may be the stepped
 * instruction's next page and lets it go on; anything else ends the step.
 * True if the trap was the step's own #DB and nothing more. */
bool rom_step_trap(struct vcpu *v, struct trapframe *tf);
/* The host's write of src to guest-physical [gpa, gpa + len) at dst,
 * dropping its ROM bytes. */
static inline void rom_store(uint8_t *dst, const void *src, uint32_t gpa, uint32_t len)
{
    const uint8_t *s = src;
    for (uint32_t i = 0; i < len; i++)
        if (!rom_overlaps((uint64_t)gpa + i, 1))
            dst[i] = s[i];
}
