/*
 * Guest memory as the guest's CPU sees it: (segment, offset) -> guest-linear
 * (base + offset, wrapped at 4 GiB, limit and type checked as the CPU
 * checks them) -> guest-physical (identity while CR0.PG is clear, else the
 * guest's own page tables, host/vmm/gpt.h) -> host.  Every access the host
 * makes on the guest's behalf goes through here: the fetch for decode,
 * emulated memory operands, the pushes and pops of delivery and iret, the
 * guest's descriptor tables and TSS, string I/O buffers.  A failing call
 * fills a struct gfault with the fault the CPU would have raised; the
 * caller reflects it with gmem_reflect (which sets CR2 for #PF).
 *
 * What still reads guest memory by guest-physical address, on purpose
 * (`grep -n "guest_ptr\|->ram" host/vmm`): guest.c (guest_ptr itself, the
 * loader, which places the image where a boot loader would, physically),
 * this file (the last step, physical -> host), scan.c (the scanner patches
 * the loaded copy by guest-physical address: scan-on-execute hands it
 * physical addresses), and vdevs.c (the VGA model's window is the RAM at
 * physical 0xB8000, as on a PC); guest_monitor.c only asks whether the
 * memory exists.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/trap.h"

struct vcpu;

/* A fault as the CPU would raise it.  vector GFAULT_STOPPED: none, the
 * guest was stopped with a sentence instead (an address outside its RAM, a
 * page table it cannot have). */
struct gfault { uint8_t vector; bool has_error; uint32_t error; uint32_t cr2; };
#define GFAULT_STOPPED 0xff
#define GFAULT_SPLIT   0xfe     /* gmem_direct: not one run of guest RAM */

enum gmem_access { GMEM_READ, GMEM_WRITE, GMEM_FETCH };

/* seg: enum insn_seg (ES CS SS DS FS GS) of the vCPU's current descriptor
 * cache (inside a trap: the live registers, CS and SS from v->tf). */
bool gmem_linear(struct vcpu *v, unsigned seg, uint32_t off, uint32_t len,
                 enum gmem_access a, uint32_t *lin, struct gfault *f);
/* The same through an explicit descriptor d (0: a null selector); stack:
 * faults are #SS(0), as for accesses through SS. */
bool gmem_linear_desc(uint64_t d, bool stack, uint32_t off, uint32_t len,
                      enum gmem_access a, uint32_t *lin, struct gfault *f);
/* user: the access is made with ring-3 privilege (CPL 3, not implicit
 * supervisor accesses like descriptor tables and TSS) */
bool gmem_read_lin(struct vcpu *v, uint32_t lin, void *buf, uint32_t len,
                   enum gmem_access a, bool user, struct gfault *f);
bool gmem_write_lin(struct vcpu *v, uint32_t lin, const void *buf, uint32_t len,
                    bool user, struct gfault *f);
/* Through segment seg at the vCPU's CPL. */
bool gmem_read(struct vcpu *v, unsigned seg, uint32_t off, void *buf, uint32_t len,
               enum gmem_access a, struct gfault *f);
bool gmem_write(struct vcpu *v, unsigned seg, uint32_t off, const void *buf, uint32_t len,
                struct gfault *f);
/* linear -> guest-physical: identity while the guest's CR0.PG is clear,
 * else gpt_walk.  access: PF_W | PF_U (host/vmm/gpt.h). */
bool gmem_phys(struct vcpu *v, uint32_t lin, uint32_t access, uint32_t *gpa, struct gfault *f);
/* linear -> guest-physical as a lookup, not an access (gpt_env.peek: no
 * Accessed or Dirty set, nothing raised, the guest never stopped): false
 * if lin is not mapped present or lies outside guest RAM.  For the host's
 * own questions about code (which physical page EIP is on, where a scan
 * goes next): with paging off, the identity. */
bool gmem_phys_peek(struct vcpu *v, uint32_t lin, uint32_t *gpa);
/* Can [lin, lin + len) be written (or read) without a fault?  Translates
 * every page it touches (setting Accessed/Dirty as the CPU would), moves no
 * data: for an access whose other side effect (a port read) must not
 * happen if it faults. */
bool gmem_probe_lin(struct vcpu *v, uint32_t lin, uint32_t len, bool write, bool user, struct gfault *f);
/* A supervisor read of [lin, lin + len) that neither faults nor stops the
 * guest: false if any of it does not translate to guest RAM.  For copies
 * the host makes when no instruction is being executed (the GDT and LDT
 * mirrors at a switch-in): the CPU reads those tables only when a
 * selector is loaded, and faults then. */
bool gmem_peek_lin(struct vcpu *v, uint32_t lin, void *buf, uint32_t len);

/* The host bytes of [lin, lin + len), translated as an access is (a fault
 * in *f, NULL), if they are one run of guest RAM (paging off, or within
 * one page); else NULL with f->vector GFAULT_SPLIT: use the copying calls.
 * For string I/O, which moves up to a sector per trap. */
void *gmem_direct(struct vcpu *v, uint32_t lin, uint32_t len, bool write, bool user, struct gfault *f);

/* The instruction at CS:eip (cs: the descriptor CS holds), up to max
 * bytes (at most 15): *got bytes a fetch reaches before the CS limit or a
 * page it may not read (0 if not even the first: *f says why), at the
 * pointer returned (buf, or guest RAM itself). */
const uint8_t *gmem_fetch(struct vcpu *v, uint64_t cs, uint32_t eip, uint8_t *buf, unsigned max, unsigned *got,
                          struct gfault *f);

/* The path every trap's stack push and pop takes: with paging off, the
 * host bytes of [off, off + len) through a segment holding d, if the
 * access is allowed and in guest RAM; NULL otherwise, for the general
 * calls above to raise or refuse it exactly. */
void *gmem_fast(struct vcpu *v, uint64_t d, uint32_t off, uint32_t len, enum gmem_access a);

/* Deliver f to the guest as the CPU would (CR2 set for #PF); nothing if
 * the guest was stopped. */
void gmem_reflect(struct vcpu *v, struct trapframe *tf, const struct gfault *f);
