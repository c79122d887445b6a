/* The guest's debug registers (host/vmm/dreg.h). */
#include "host/vmm/dreg.h"
#include "host/vmm/vcpu.h"
#include "host/decode/decode.h"

void dreg_reset(struct vcpu *v)
{
    for (unsigned i = 0; i < 8; i++)
        v->dr[i] = 0;
    v->dr[6] = dreg_dr6(0);
    v->dr[7] = dreg_dr7(0);
}

bool dreg_mov(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    unsigned n = in->reg;
    if (n == 4 || n == 5) {
        if (v->cr4 & CR4_DE) {
            vcpu_reflect(v, tf, VEC_UD, false, 0);
            return false;
        }
        n += 2;                                 /* the 386's names for DR6 and DR7 */
    }
    if (v->dr[7] & DR7_GD) {                    /* general detect: a fault, before the access (SDM 17.2.4) */
        v->dr[6] |= DR6_BD;
        v->dr[7] &= ~DR7_GD;                    /* cleared on the way in, so the handler may use them */
        vcpu_reflect(v, tf, VEC_DB, false, 0);
        return false;
    }
    if (in->cls == INSN_MOV_FROM_DR) {
        *vcpu_gpr(tf, in->rm) = v->dr[n];
        return true;
    }
    uint32_t val = (uint32_t)*vcpu_gpr(tf, in->rm);
    v->dr[n] = n == 6 ? dreg_dr6(val) : n == 7 ? dreg_dr7(val) : val;
    return true;
}

void dreg_debug_trap(struct vcpu *v)
{
    uint64_t dr6;
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    /* the real DR7 enables nothing, so only BS (the guest's TF) or
     * nothing (icebp) can be there; the CPU never clears DR6 itself */
    v->dr[6] |= (uint32_t)dr6 & DR6_BS;
    __asm__ volatile("mov %0, %%dr6" :: "r"((uint64_t)DR6_FIXED_1));
}
