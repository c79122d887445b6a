/*
 * Two vCPUs' x87 states on one CPU (host/vmm/fpu.c), switched as the
 * scheduler's hooks switch them: each #NM loads its own vCPU's state, a
 * switch-out saves it and leaves TS set, and neither sees the other's
 * registers or control word.  The vCPUs are bare records (no guest): with
 * their CR0.TS and EM clear, fpu_trap only loads.  Interrupts stay off
 * throughout, so no real switch gets between (this CPU's FPU is the
 * test's); the checks come after.
 */
#include "tests/ktest/ktest.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/fpu.h"
#include "kernel/x86.h"
#include "smp/spinlock.h"

struct seen {
    uint64_t ts_in, ts_loaded, ts_out;
    uint16_t b_cw, b_tags, a_cw;
    int32_t a1, a2, b1;
};

static void fild(int32_t v) { __asm__ volatile("fildl %0" :: "m"(v)); }
static int32_t fistp(void) { int32_t v; __asm__ volatile("fistpl %0" : "=m"(v)); return v; }
static uint16_t fnstcw(void) { uint16_t v; __asm__ volatile("fnstcw %0" : "=m"(v)); return v; }

static void run(struct vcpu *a, struct vcpu *b, struct seen *s)
{
    struct trapframe tf = { 0 };
    uint16_t cw = 0x0e7f, env[14];
    fpu_switch_in(&a->fpu);
    s->ts_in = read_cr0() & CR0_TS;
    fpu_trap(a, &tf);                                    /* a's first x87 instruction */
    s->ts_loaded = read_cr0() & CR0_TS;
    __asm__ volatile("fldcw %0" :: "m"(cw));
    fild(1234567);
    fild(-7654321);
    fpu_switch_out(&a->fpu);
    s->ts_out = read_cr0() & CR0_TS;
    fpu_switch_in(&b->fpu);                              /* b on the same CPU: its own, fresh state */
    fpu_trap(b, &tf);
    s->b_cw = fnstcw();
    __asm__ volatile("fnstenv %0" : "=m"(env));
    s->b_tags = env[4];                                  /* 32-bit protected-mode layout: FTW at byte 8 */
    __asm__ volatile("fldcw %0" :: "m"(env[0]));         /* fnstenv masked all exceptions: b's own again */
    fild(42);
    fpu_switch_out(&b->fpu);
    fpu_switch_in(&a->fpu);                              /* a again: its stack and control word */
    fpu_trap(a, &tf);
    s->a_cw = fnstcw();
    s->a1 = fistp();
    s->a2 = fistp();
    fpu_switch_out(&a->fpu);
    fpu_switch_in(&b->fpu);
    fpu_trap(b, &tf);
    s->b1 = fistp();
    fpu_switch_out(&b->fpu);
}

KTEST(fpu_two_vcpus_one_cpu)
{
    static struct vcpu a, b;
    struct seen s;
    a.cr0 = b.cr0 = 0x11;                                /* PE, ET: the guest's TS and EM clear */
    fpu_reset(&a.fpu);
    fpu_reset(&b.fpu);
    pushcli();
    run(&a, &b, &s);
    popcli();
    KT_ASSERT(s.ts_in);
    KT_ASSERT(!s.ts_loaded);
    KT_ASSERT(s.ts_out);
    KT_EQ(s.b_cw, 0x0040);                               /* power-up FCW, not a's 0x0e7f */
    KT_EQ(s.b_tags, 0xffff);                             /* all empty: none of a's registers */
    KT_EQ(s.a_cw, 0x0e7f);
    KT_EQ(s.a1, -7654321);
    KT_EQ(s.a2, 1234567);
    KT_EQ(s.b1, 42);
    KT_ASSERT(read_cr0() & CR0_TS);                      /* no state loaded: the next x87 use traps */
}
