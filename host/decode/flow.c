/*
 * What the scanner needs from a decoded instruction: where control can go
 * next (insn_flow).  Also the printable names of statuses and classes.
 */
#include "host/decode/priv.h"

static void near_target(const struct insn *in, uint32_t eip, struct flow *f)
{
    /* SDM JMP/Jcc: "if the operand-size attribute is 16, the upper two
     * bytes of the EIP register are cleared" */
    f->has_target = true;
    f->target = cut_to(eip + in->length + (uint32_t)in->rel, in->op_size);
}

static void branch_flow(const struct insn *in, uint32_t eip, struct flow *f)
{
    bool direct = in->map == MAP_ONE && in->opcode != 0xff && in->opcode != 0xc7;
    switch (in->cls) {
    case INSN_JMP: case INSN_CALL:
        f->kind = in->cls == INSN_JMP ? FLOW_JMP : FLOW_CALL;
        f->falls_through = in->cls == INSN_CALL;
        f->indirect = !direct;
        if (direct)
            near_target(in, eip, f);
        break;
    case INSN_JCC: case INSN_LOOP: case INSN_XBEGIN:
        f->kind = FLOW_JCC;
        near_target(in, eip, f);
        break;
    case INSN_JMP_FAR: case INSN_CALL_FAR:
        f->kind = in->cls == INSN_JMP_FAR ? FLOW_JMP_FAR : FLOW_CALL_FAR;
        f->falls_through = in->cls == INSN_CALL_FAR;
        f->indirect = !direct;
        f->has_far_target = direct;
        f->target = direct ? in->imm : 0;
        f->far_sel = direct ? (uint16_t)in->imm2 : 0;
        break;
    }
}

void insn_flow(const struct insn *in, uint32_t eip, struct flow *f)
{
    *f = (struct flow){ .kind = FLOW_NONE, .falls_through = true };
    switch (in->cls) {
    case INSN_RET: case INSN_RET_FAR: case INSN_IRET:
        f->kind = in->cls == INSN_RET ? FLOW_RET : in->cls == INSN_IRET ? FLOW_IRET : FLOW_RET_FAR;
        f->falls_through = false;
        f->indirect = true;
        break;
    case INSN_INT: case INSN_INT3: case INSN_INTO: case INSN_INT1:
        f->kind = FLOW_INT;
        break;
    case INSN_UD:
        f->kind = FLOW_STOP;
        f->falls_through = false;
        break;
    default:
        branch_flow(in, eip, f);
    }
}

/* ---- names ---------------------------------------------------------------------- */

const char *decode_status_name(int status)
{
    switch (status) {
    case DECODE_OK: return "ok";
    case DECODE_TRUNCATED: return "truncated";
    case DECODE_INVALID: return "invalid";
    case DECODE_TOO_LONG: return "too long";
    case DECODE_BAD_MODE: return "bad mode";
    }
    return "?";
}

const char *insn_class_name(enum insn_class cls)
{
    static const char *const names[INSN_CLASS_COUNT] = {
        "other", "mov from cr", "mov to cr", "mov from dr", "mov to dr",
        "mov from sreg", "mov to sreg", "lgdt", "lidt", "sgdt", "sidt", "lldt", "sldt",
        "ltr", "str", "smsw", "lmsw", "invlpg", "in", "out", "ins", "outs",
        "cli", "sti", "hlt", "pushf", "popf", "iret", "int", "int3", "into", "int1",
        "wrmsr", "rdmsr", "cpuid", "rdtsc", "rdtscp", "rdpmc", "clts", "wbinvd", "invd",
        "mov", "push", "pop", "jmp", "jcc", "loop", "call", "ret",
        "jmp far", "call far", "ret far", "movs", "stos", "lods", "cmps", "scas",
        "ud", "xbegin",
    };
    return (unsigned)cls < INSN_CLASS_COUNT && names[cls] ? names[cls] : "?";
}
