/*
 * Peel sites: the trap a peel writes at a guest function's entry, in the
 * loaded copy only, and the bytes it displaced.
 */
#include "host/peel/peel_priv.h"
#include "host/vmm/guest.h"
#include "host/decode/decode.h"
#include "kernel/string.h"

/* A peeled function's first bytes become `int 15` (cd 0f) through the
 * host's one DPL-1 gate, on any CPU; or, where the CPU takes it from
 * compatibility mode (AMD; peelentry=syscall, host/peel/plug.c), `syscall` (0f 05), a
 * helper call under TCG (kernel/vectors.asm syscall_entry).  Either way the
 * host sees VEC_GUEST_ENTRY with EIP past the two bytes (host/vmm/emulate.c looks
 * the site up at EIP - 2).  int 15, like the hlt of the scanner's patches
 * (#GP(0) in ring 1), unwinds QEMU's CPU loop and delivers through the IDT:
 * a peeled call costs 1.4 times syscall's (docs/peel.md).  syscall clobbers
 * ECX, which no cdecl function reads on entry.  Two bytes must not cut an
 * instruction something jumps to: they go where the first instruction is at
 * least two bytes long, or is the frame prologue's `push %ebp` before `mov
 * %esp,%ebp` (nothing branches to the second half of a prologue); anywhere
 * else — or where the decoder is unsure — the one-byte hlt. */
static const uint8_t PATCH_SYSCALL[PEEL_PATCH_MAX] = { 0x0f, 0x05 }, PATCH_INT[PEEL_PATCH_MAX] = { 0xcd, VEC_GUEST_ENTRY },
                     PATCH_HLT[1] = { 0xf4 };

unsigned peel_patch_length(struct guest *g, uint32_t addr, uint32_t size)
{
    uint32_t n = size < 15 ? size : 15;
    const uint8_t *code = n >= 3 ? guest_ptr(g, addr, n) : 0;
    struct insn in;
    if (!code || decode(code, n, 32, &in) != DECODE_OK)
        return 1;
    bool prologue = code[0] == 0x55 && ((code[1] == 0x89 && code[2] == 0xe5) || (code[1] == 0x8b && code[2] == 0xec));
    return in.length >= 2 || prologue ? 2 : 1;
}

void peel_arm(struct guest *g, const struct peel_site *s)
{
    memcpy(&g->ram[s->addr], s->len == 1 ? PATCH_HLT : peel_by_syscall ? PATCH_SYSCALL : PATCH_INT, s->len);
}

void peel_unarm(struct guest *g, const struct peel_site *s)
{
    memcpy(&g->ram[s->addr], s->orig, s->len);
}

/* The VMM scans guest code, or puts back the bytes under its patches
 * (host/vmm/codepage.h: scan on execute, at any time): every site's trap
 * out while it does, so that the scanner decodes the guest's own
 * instructions (the one being stepped over is out already), then in again
 * with its displaced bytes taken anew from what the VMM left there: an
 * unpeel gives back the code as scanned now, patches and all. */
void peel_code_changing(struct guest *g, bool done)
{
    struct peels *p = g->peels;
    for (unsigned i = 0; p && i < p->nsites; i++) {
        struct peel_site *s = &p->sites[i];
        bool stepped = g->host_stepping == i + 1;
        if (done)
            memcpy(s->orig, &g->ram[s->addr], s->len);
        if (!stepped)
            (done ? peel_arm : peel_unarm)(g, s);
    }
}
