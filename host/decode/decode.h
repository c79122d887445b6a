/*
 * x86 instruction decoder for 16- and 32-bit code (legacy/compatibility mode).
 *
 * Used by the vCPU (trap-and-emulate: what did the guest just try to do?)
 * and by the scanner (how long is this instruction, where does it branch?).
 * Pure C, freestanding: no libc, no kernel headers.  See docs/decoder.md.
 */
#ifndef PEEL_HOST_DECODE_H
#define PEEL_HOST_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The SDM's limit: "An instruction longer than 15 bytes raises #GP". */
#define DECODE_MAX_LENGTH 15

enum decode_status {
    DECODE_OK = 0,
    DECODE_TRUNCATED = -1,  /* avail ran out before the instruction ended */
    DECODE_INVALID = -2,    /* undefined encoding: the CPU raises #UD */
    DECODE_TOO_LONG = -3,   /* would exceed 15 bytes: the CPU raises #GP */
    DECODE_BAD_MODE = -4,   /* mode is neither 16 nor 32 */
};

enum insn_map {
    MAP_ONE,        /* one-byte opcodes */
    MAP_0F,         /* 0F xx */
    MAP_0F38,       /* 0F 38 xx */
    MAP_0F3A,       /* 0F 3A xx */
    MAP_3DNOW,      /* 0F 0F modrm [sib] [disp] xx: opcode is the trailing byte */
    MAP_VEX1, MAP_VEX2, MAP_VEX3,           /* VEX.mmmmm = 1..3 (0F, 0F38, 0F3A) */
    MAP_EVEX1, MAP_EVEX2, MAP_EVEX3,        /* EVEX.mmm = 1..3 */
    MAP_EVEX5, MAP_EVEX6,                   /* EVEX.mmm = 5, 6 (AVX512-FP16) */
};

/* Legacy prefixes seen, as a bit set. */
enum insn_prefix {
    PFX_LOCK = 1 << 0,      /* F0 */
    PFX_REPNE = 1 << 1,     /* F2 */
    PFX_REP = 1 << 2,       /* F3 */
    PFX_OPSIZE = 1 << 3,    /* 66 */
    PFX_ADDRSIZE = 1 << 4,  /* 67 */
    PFX_SEG = 1 << 5,       /* 26 2E 36 3E 64 65: see insn.seg_override */
};

/* Segment registers in encoding order (ModRM.reg of MOV Sreg). */
enum insn_seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_NONE = 0xff };

/* General registers in encoding order; width follows the operand/address size. */
enum insn_reg { REG_AX, REG_CX, REG_DX, REG_BX, REG_SP, REG_BP, REG_SI, REG_DI,
        REG_NONE = 0xff };

/* What the host emulates or the scanner cares about; everything else is INSN_OTHER. */
enum insn_class {
    INSN_OTHER,
    INSN_MOV_FROM_CR, INSN_MOV_TO_CR, INSN_MOV_FROM_DR, INSN_MOV_TO_DR,
    INSN_MOV_FROM_SREG, INSN_MOV_TO_SREG,
    INSN_LGDT, INSN_LIDT, INSN_SGDT, INSN_SIDT, INSN_LLDT, INSN_SLDT,
    INSN_LTR, INSN_STR, INSN_SMSW, INSN_LMSW, INSN_INVLPG,
    INSN_IN, INSN_OUT, INSN_INS, INSN_OUTS,
    INSN_CLI, INSN_STI, INSN_HLT, INSN_PUSHF, INSN_POPF, INSN_IRET,
    INSN_INT, INSN_INT3, INSN_INTO, INSN_INT1,
    INSN_WRMSR, INSN_RDMSR, INSN_CPUID, INSN_RDTSC, INSN_RDTSCP, INSN_RDPMC,
    INSN_CLTS, INSN_WBINVD, INSN_INVD,
    INSN_MOV,               /* 88-8B, C6 /0, C7 /0, A0-A3, B0-BF */
    INSN_PUSH, INSN_POP,    /* register, r/m, immediate and Sreg forms */
    INSN_JMP, INSN_JCC, INSN_LOOP, INSN_CALL, INSN_RET,
    INSN_JMP_FAR, INSN_CALL_FAR, INSN_RET_FAR,
    INSN_MOVS, INSN_STOS, INSN_LODS, INSN_CMPS, INSN_SCAS,
    INSN_UD,                /* UD0/UD1/UD2: defined, but always #UD */
    INSN_XBEGIN,            /* C7 F8: branches to its fallback on abort */
    INSN_CLASS_COUNT
};

/* A memory operand: seg:[base + index*scale + disp], wrapped to addr_size. */
struct insn_mem {
    uint8_t seg;            /* enum insn_seg, after overrides and SS defaults */
    uint8_t base;           /* enum insn_reg or REG_NONE */
    uint8_t index;          /* enum insn_reg or REG_NONE */
    uint8_t scale;          /* 1, 2, 4 or 8 */
    int32_t disp;           /* sign-extended displacement */
};

struct insn {
    uint8_t length;
    uint8_t mode;           /* 16 or 32: the code segment's default size */
    uint8_t op_size;        /* effective operand size: 16 or 32 */
    uint8_t addr_size;      /* effective address size: 16 or 32 */
    uint8_t map;            /* enum insn_map */
    uint8_t opcode;
    uint8_t prefixes;       /* enum insn_prefix bits */
    uint8_t prefix_count;   /* legacy prefix bytes, repeats included */
    uint8_t seg_override;   /* last segment prefix, or SEG_NONE */
    uint8_t mandatory;      /* 0F maps: 0, 0x66, 0xF3 or 0xF2, the prefix that selects a form */
    uint8_t cls;            /* enum insn_class */

    bool has_modrm;
    uint8_t modrm, mod, reg, rm;
    bool has_sib;
    uint8_t sib;
    bool has_mem;           /* ModRM memory form, moffs, or string source */
    struct insn_mem mem;

    uint8_t disp_size;      /* bytes of displacement in the encoding */
    uint8_t disp_offset;    /* where it starts, for patchers */
    uint8_t imm_size;       /* bytes of the first immediate (or rel / far offset) */
    uint8_t imm_offset;
    uint8_t imm2_size;      /* ENTER's Ib, a far pointer's selector */
    uint32_t imm;           /* extended as the instruction defines, cut to op_size */
    uint32_t imm2;
    int32_t rel;            /* branch displacement, sign-extended */

    /* VEX/EVEX fields (map >= MAP_VEX1); lengths and these fields only. */
    uint8_t vex_size;       /* 2, 3, or 4 (EVEX) */
    uint8_t vex_l, vex_w, vex_vvvv, vex_pp;
};

/*
 * Decode one instruction from bytes[0 .. avail).  mode is 16 or 32 (the code
 * segment's D bit).  On DECODE_OK, *out describes it; otherwise *out holds
 * whatever was decoded so far (out->length is then meaningless).
 */
int decode(const uint8_t *bytes, size_t avail, int mode, struct insn *out);
/* `syscall` (0f 05), unprefixed: AMD's entry from compatibility mode, which
 * decode() calls invalid in 32-bit code as Intel does (docs/decoder.md). */
static inline bool decode_is_syscall(const uint8_t *bytes, size_t avail)
{
    return avail >= 2 && bytes[0] == 0x0f && bytes[1] == 0x05;
}
/* The same without the copy kept of every one-byte instruction (decode.c):
 * what decode's answers are checked against. */
int decode_uncached(const uint8_t *bytes, size_t avail, int mode, struct insn *out);

const char *decode_status_name(int status);
const char *insn_class_name(enum insn_class cls);

/* Control flow for the scanner. */
enum flow_kind {
    FLOW_NONE,      /* falls through to the next instruction */
    FLOW_JMP, FLOW_JCC, FLOW_CALL, FLOW_RET,
    FLOW_JMP_FAR, FLOW_CALL_FAR, FLOW_RET_FAR, FLOW_IRET,
    FLOW_INT,       /* int n / int3 / into / int1: a trap that returns */
    FLOW_STOP,      /* hlt, ud0/1/2: the scanner need not look past it */
};

struct flow {
    uint8_t kind;           /* enum flow_kind */
    bool indirect;          /* target in a register or memory */
    bool falls_through;     /* execution may continue at the next instruction */
    bool has_target;        /* direct near branch: target is valid */
    bool has_far_target;    /* direct far branch: far_sel:target is valid */
    uint16_t far_sel;
    uint32_t target;
};

/* Describe the control flow of a decoded instruction located at eip. */
void insn_flow(const struct insn *in, uint32_t eip, struct flow *out);

#endif
