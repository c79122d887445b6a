/*
 * Scan-and-patch.  pushf, popf and iret behave wrongly in ring 1 without
 * faulting (they see or set the real IF, or return to the wrong ring), so
 * they are found by following the guest's control flow — never by sweeping
 * over bytes that may be data — and replaced, in the loaded copy only, by
 * hlt (a #GP in ring 1).  The original bytes stay in the guest's side table
 * of trap sites (host/vmm/sites.h, kind SITE_PATCH, keyed by guest-physical
 * address) for the emulator and for undoing.  A scan starts where guest
 * code is first executed (host/vmm/codepage.h: scan-on-execute), and at
 * load from the image's entry point and function symbols, if any (a warm
 * start); what it has decoded is kept per page, by codepage.h.
 *
 * A page is executable once scanned, so code in it that no scan reached
 * would run unpatched.  Control reaches such code only through a transfer
 * whose target the scan could not see: an interrupt or exception (the
 * host delivers it and scans the handler), an iret, retf or call gate
 * (emulated: host/vmm/branch.c scans where they land), a near call or jmp
 * through a register or memory, and a ret to an address from data (a
 * context switch to a new thread's first frame, a retpoline).  The last
 * two are patched too, so that they trap and land through branch.c; a ret
 * counts as one when its path switched stacks or the instruction before
 * it wrote [esp] (stack_switch, return_set).  So a stripped image with no
 * symbols runs on scan-on-execute alone.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

struct patches {
    size_t n;                        /* patches made (their entries: host/vmm/sites.h) */
    uint64_t insns_seen;             /* instructions decoded by the scan */
    uint64_t undecodable;            /* paths that ran into bytes we could not decode */
};

struct guest;
struct codepage_space;
/* Scan from each root (guest-linear; sp translates, NULL with paging off)
 * and patch, decoding as code of `bits` (32, or 16: the CS it runs under
 * is 16-bit; then no patch blocks).  False if out of memory (then this
 * scan patched nothing).  A page's scan is one mode's: code a guest runs
 * both as 16-bit and 32-bit code keeps the first scan's patches. */
bool scan_run(struct guest *g, const uint32_t *roots, size_t nroots, const struct codepage_space *sp,
              unsigned bits);
/* Does a scanned instruction start at gpa?  Forget that it does (so that
 * the next scan from there decodes it again). */
bool scan_seen(struct guest *g, uint32_t gpa);
/* A patch block's head at head given back (host/vmm/blocks.h): its bytes
 * as they were, its sensitive instructions patched with hlt as a scan
 * without blocks would have; the page stays scanned.  False if out of
 * memory (then they run unpatched: the caller ends the guest). */
bool scan_withdraw(struct guest *g, uint32_t head);
void scan_unsee(struct guest *g, uint32_t gpa);
