/*
 * Classes: what the host emulates or the scanner cares about, by map and
 * opcode (and ModRM.reg in the groups); everything else is INSN_OTHER.
 * String instructions also get their implicit memory operand here.
 */
#include "host/decode/priv.h"

static uint8_t classify_string_or_io(uint8_t op)
{
    switch (op) {
    case 0x6c: case 0x6d: return INSN_INS;
    case 0x6e: case 0x6f: return INSN_OUTS;
    case 0xa4: case 0xa5: return INSN_MOVS;
    case 0xa6: case 0xa7: return INSN_CMPS;
    case 0xaa: case 0xab: return INSN_STOS;
    case 0xac: case 0xad: return INSN_LODS;
    case 0xae: case 0xaf: return INSN_SCAS;
    case 0xe4: case 0xe5: case 0xec: case 0xed: return INSN_IN;
    case 0xe6: case 0xe7: case 0xee: case 0xef: return INSN_OUT;
    }
    return INSN_OTHER;
}

static uint8_t classify_group5(uint8_t reg)
{
    static const uint8_t cls[8] = { INSN_OTHER, INSN_OTHER, INSN_CALL, INSN_CALL_FAR,
                    INSN_JMP, INSN_JMP_FAR, INSN_PUSH, INSN_OTHER };
    return cls[reg];
}

static uint8_t classify_one(const struct insn *in)
{
    uint8_t op = in->opcode;
    if (op >= 0x70 && op <= 0x7f)
        return INSN_JCC;
    if (op >= 0x50 && op <= 0x5f)
        return op < 0x58 ? INSN_PUSH : INSN_POP;
    if ((op >= 0x88 && op <= 0x8b) || (op >= 0xa0 && op <= 0xa3) || (op >= 0xb0 && op <= 0xbf))
        return INSN_MOV;
    if (op >= 0xe0 && op <= 0xe3)
        return INSN_LOOP;
    switch (op) {
    case 0x06: case 0x0e: case 0x16: case 0x1e: case 0x68: case 0x6a: return INSN_PUSH;
    case 0x07: case 0x17: case 0x1f: case 0x8f: return INSN_POP;
    case 0x8c: return INSN_MOV_FROM_SREG;
    case 0x8e: return INSN_MOV_TO_SREG;
    case 0x9a: return INSN_CALL_FAR;
    case 0x9c: return INSN_PUSHF;
    case 0x9d: return INSN_POPF;
    case 0xc2: case 0xc3: return INSN_RET;
    case 0xc6: return in->reg == 0 ? INSN_MOV : INSN_OTHER;
    case 0xc7: return in->reg == 0 ? INSN_MOV : INSN_XBEGIN;
    case 0xca: case 0xcb: return INSN_RET_FAR;
    case 0xcc: return INSN_INT3;
    case 0xcd: return INSN_INT;
    case 0xce: return INSN_INTO;
    case 0xcf: return INSN_IRET;
    case 0xe8: return INSN_CALL;
    case 0xe9: case 0xeb: return INSN_JMP;
    case 0xea: return INSN_JMP_FAR;
    case 0xf1: return INSN_INT1;
    case 0xf4: return INSN_HLT;
    case 0xfa: return INSN_CLI;
    case 0xfb: return INSN_STI;
    case 0xff: return classify_group5(in->reg);
    }
    return classify_string_or_io(op);
}

static uint8_t classify_system(const struct insn *in)
{
    static const uint8_t group6[8] = { INSN_SLDT, INSN_STR, INSN_LLDT, INSN_LTR };
    static const uint8_t group7[8] = { INSN_SGDT, INSN_SIDT, INSN_LGDT, INSN_LIDT,
                       INSN_SMSW, INSN_OTHER, INSN_LMSW, INSN_INVLPG };
    if (in->opcode == 0x00)
        return group6[in->reg];
    if (in->mod != 3)
        return group7[in->reg];
    if (in->reg == 4)
        return INSN_SMSW;
    if (in->reg == 6)
        return INSN_LMSW;
    return in->modrm == 0xf9 ? INSN_RDTSCP : INSN_OTHER;
}

static uint8_t classify_0f(const struct insn *in)
{
    uint8_t op = in->opcode;
    if (op >= 0x80 && op <= 0x8f)
        return INSN_JCC;
    switch (op) {
    case 0x00: case 0x01: return classify_system(in);
    case 0x06: return INSN_CLTS;
    case 0x08: return INSN_INVD;
    case 0x09: return INSN_WBINVD;
    case 0x0b: case 0xb9: case 0xff: return INSN_UD;
    case 0x20: return INSN_MOV_FROM_CR;
    case 0x21: return INSN_MOV_FROM_DR;
    case 0x22: return INSN_MOV_TO_CR;
    case 0x23: return INSN_MOV_TO_DR;
    case 0x30: return INSN_WRMSR;
    case 0x31: return INSN_RDTSC;
    case 0x32: return INSN_RDMSR;
    case 0x33: return INSN_RDPMC;
    case 0xa0: case 0xa8: return INSN_PUSH;
    case 0xa1: case 0xa9: return INSN_POP;
    case 0xa2: return INSN_CPUID;
    }
    return INSN_OTHER;
}

/* String instructions: the memory operand reported is the source DS:(E)SI
 * (segment overridable) or, for STOS/SCAS/INS, the destination ES:(E)DI
 * ("the ES segment cannot be overridden", SDM MOVS/STOS). */
static void string_operand(struct insn *in)
{
    bool destination_only = in->cls == INSN_STOS || in->cls == INSN_SCAS || in->cls == INSN_INS;
    in->has_mem = true;
    in->mem.scale = 1;
    in->mem.base = destination_only ? REG_DI : REG_SI;
    if (destination_only)
        in->mem.seg = SEG_ES;
    else
        in->mem.seg = in->seg_override != SEG_NONE ? in->seg_override : SEG_DS;
}

void decode_classify(struct insn *in)
{
    if (in->map == MAP_ONE)
        in->cls = classify_one(in);
    else if (in->map == MAP_0F)
        in->cls = classify_0f(in);
    switch (in->cls) {
    case INSN_MOVS: case INSN_CMPS: case INSN_LODS: case INSN_OUTS:
    case INSN_STOS: case INSN_SCAS: case INSN_INS:
        string_operand(in);
        break;
    }
}
