/* The guest's x87 state and CR0.TS/EM/MP (host/vmm/fpu.h). */
#include "host/vmm/fpu.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/guest.h"
#include "host/vmm/gmem.h"
#include "host/decode/decode.h"
#include "kernel/string.h"
#include "kernel/x86.h"

static uint8_t *image(struct fpu *f)
{
    return (uint8_t *)(((uintptr_t)f->area + 15) & ~(uintptr_t)15);
}

void fpu_reset(struct fpu *f)
{
    memset(f, 0, sizeof *f);
    uint8_t *a = image(f);
    a[0] = 0x40;                                  /* FCW 0x0040 (SDM Vol. 3A, table 9-1); FTW 0: all empty */
    a[24] = 0x80; a[25] = 0x1f;                   /* MXCSR 0x1f80: fxrstor loads it, and #GPs on reserved bits */
}

static void set_ts(void)
{
    uint64_t cr0 = read_cr0();
    if (!(cr0 & CR0_TS))
        write_cr0(cr0 | CR0_TS);
}

static void clts(void)
{
    __asm__ volatile("clts" ::: "memory");
}

/* Into this CPU's registers.  fxsave/fxrstor without REX.W keep the
 * 32-bit format (FCS and FDS with the offsets), the guest's own. */
static void load(struct fpu *f)
{
    if (f->loaded)
        return;
    clts();
    __asm__ volatile("fxrstor %0" :: "m"(*(const uint8_t (*)[FPU_AREA])image(f)));
    f->loaded = true;
}

void fpu_switch_out(struct fpu *f)
{
    if (!f->loaded)
        return;
    clts();                                       /* the guest's TS may be keeping it set */
    __asm__ volatile("fxsave %0" : "=m"(*(uint8_t (*)[FPU_AREA])image(f)));
    /* the next owner starts from a clean control word, an empty stack and
     * zeroed instruction/data pointers, not this guest's (AMD's fxrstor
     * leaves FIP/FDP/FOP alone when no error is pending: CVE-2006-1056);
     * and a state that was not restored shows as such in
     * tests/guests/cpu.asm instead of surviving by luck */
    __asm__ volatile("fninit");
    f->loaded = false;
    set_ts();
}

void fpu_switch_in(struct fpu *f)
{
    (void)f;                                      /* not loaded: fpu_switch_out saw to that */
    set_ts();                                     /* (at boot the kernel set it too: kernel/cpufeat.c) */
}

void fpu_cr0_written(struct vcpu *v)
{
    if (!v->fpu.loaded)
        return;                                   /* TS is set already: the #NM decides */
    if (v->cr0 & (CR0_TS | CR0_EM))
        set_ts();
    else
        clts();
}

/* The instruction at EIP is wait/fwait (9B): its length, else 0. */
static unsigned wait_at(struct vcpu *v, struct trapframe *tf)
{
    uint8_t buf[15];
    unsigned got;
    struct gfault f;
    uint64_t cs = vcpu_seg_cache(v, SEG_CS);
    const uint8_t *code = gmem_fetch(v, cs, (uint32_t)tf->rip, buf, sizeof buf, &got, &f);
    struct insn in;
    if (!got || decode(code, got, desc_code_bits(cs), &in) != DECODE_OK)
        return 0;                                  /* not a wait: the #NM is the guest's */
    return in.map == MAP_ONE && in.opcode == 0x9b ? in.length : 0;
}

bool fpu_trap(struct vcpu *v, struct trapframe *tf)
{
    uint32_t cr0 = v->cr0;
    if (cr0 & (CR0_TS | CR0_EM)) {
        /* SDM Vol. 3A, table 2-2: an x87 instruction faults with TS or EM,
         * wait only with TS and MP; the real MP is set so that every wait
         * comes here while the real TS is */
        unsigned wait = wait_at(v, tf);
        if (!wait || ((cr0 & CR0_TS) && (cr0 & CR0_MP)))
            return false;
        /* a wait the guest's CR0 lets through: carried out by stepping
         * over it (with TS or EM set no x87 instruction has run since, so
         * only an error left pending from before could be missed) */
        tf->rip += wait;
        return true;
    }
    load(&v->fpu);
    clts();
    return true;
}

void fpu_error(struct vcpu *v, struct trapframe *tf)
{
    if (v->cr0 & CR0_NE) {
        vcpu_reflect(v, tf, VEC_MF, false, 0);
        return;
    }
    /* MS-DOS compatibility mode: FERR# raises IRQ 13; the instruction
     * waits (here: runs again, and faults again) until the guest's
     * handler has cleared the error */
    struct vdevs *d = &v->guest->dev;
    uint64_t now = vdevs_now(v->guest);
    spin_lock_irq(&d->lock);
    pic_set_irq(&d->pic, 13, 1);
    pic_set_irq(&d->pic, 13, 0);                  /* an edge: latched in the IRR */
    vdevs_unlock(d, now);
}
