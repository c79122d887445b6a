/* cpuid, rdmsr/wrmsr, clts, lmsw against the virtual CPU (host/vmm/vcpu_model.h). */
#include "host/vmm/vcpu_model.h"
#include "host/vmm/vcpu.h"
#include "host/vmm/cpuid.h"
#include "host/vmm/msr.h"
#include "host/decode/decode.h"
#include "kernel/x86.h"

void model_cpuid(struct vcpu *v, struct trapframe *tf)
{
    (void)v;
    struct cpuid_regs r;
    cpuid_policy((uint32_t)tf->rax, &r);
    tf->rax = r.eax;                            /* a 32-bit cpuid zeroes nothing else */
    tf->rbx = r.ebx;
    tf->rcx = r.ecx;
    tf->rdx = r.edx;
}

bool model_msr(struct vcpu *v, const struct insn *in, struct trapframe *tf)
{
    uint32_t msr = (uint32_t)tf->rcx;
    uint64_t val = (uint32_t)tf->rax | (uint64_t)(uint32_t)tf->rdx << 32;
    bool ok = in->cls == INSN_WRMSR ? msr_write(msr, val) : msr_read(msr, rdtsc(), &val);
    if (!ok) {
        vcpu_reflect(v, tf, VEC_GP, true, 0);
        return false;
    }
    if (in->cls == INSN_RDMSR) {
        tf->rax = (uint32_t)val;
        tf->rdx = (uint32_t)(val >> 32);
    }
    return true;
}

void model_clts(struct vcpu *v)
{
    v->cr0 &= ~CR0_TS;
    fpu_cr0_written(v);
}

void model_lmsw(struct vcpu *v, uint16_t msw)
{
    v->cr0 = (v->cr0 & ~CR0_MSW) | (msw & CR0_MSW) | (v->cr0 & CR0_PE);
    fpu_cr0_written(v);
}
