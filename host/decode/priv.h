/*
 * Internals shared by the decoder's files in host/decode/; not an API.
 * Everything here is freestanding like host/decode/decode.h.  See docs/decoder.md.
 *
 *   decode.c          the driver: prefixes, opcode bytes, legacy-map checks
 *   decode_operands.c ModRM, SIB, displacement, immediates
 *   decode_maps.c     per-opcode tables: one-byte, 0F, 0F38, 0F3A, 3DNow!
 *   decode_groups.c   irregular groups and the mandatory-prefix choice
 *   decode_vex.c      VEX and EVEX
 *   decode_class.c    enum insn_class, and the string-operand fixup
 *   decode_flow.c     insn_flow and the name functions
 */
#ifndef PEEL_HOST_DECODE_PRIV_H
#define PEEL_HOST_DECODE_PRIV_H

#include "host/decode/decode.h"

/* ---- per-opcode attributes (one-byte and 0F maps) ---------------------- */

enum imm_kind {
    I_NONE,
    I_B,            /* imm8 */
    I_W,            /* imm16 */
    I_Z,            /* imm16 or imm32 by operand size */
    I_WB,           /* imm16, imm8 (ENTER) */
    I_PTR,          /* ptr16:16 or ptr16:32 by operand size (far JMP/CALL) */
    I_MOFFS,        /* offset by address size (MOV A0-A3) */
    I_JB,           /* rel8 */
    I_JZ,           /* rel16 or rel32 by operand size */
};

enum {
    A_MODRM = 1 << 0,
    A_IMM_SHIFT = 1,        /* 4 bits of enum imm_kind */
    A_SX = 1 << 5,          /* imm8 is sign-extended to the operand size */
    A_BAD = 1 << 6,         /* #UD in 16/32-bit code */
    A_GROUP = 1 << 7,       /* ModRM.reg/mod/prefix decide: see decode_groups.c */
    A_MEM = 1 << 8,         /* ModRM.mod == 11 is #UD */
    A_LOCK = 1 << 9,        /* LOCK allowed with a memory destination */
    A_SSE = 1 << 10,        /* mandatory-prefix columns in sse_0f[] decide */
    A_PREFIX = 1 << 11,     /* a legacy prefix: never reaches the tables */
    A_ESCAPE = 1 << 12,     /* 0F, 0F 38, 0F 3A: another map follows */
};

#define IMM(k) ((k) << A_IMM_SHIFT)
#define imm_of(a) (((a) >> A_IMM_SHIFT) & 15)

/* ---- byte cursor ----------------------------------------------------------- */

struct cursor {
    const uint8_t *bytes;
    size_t avail;
    unsigned pos;
};

/* "take" fails with TOO_LONG before TRUNCATED: a 16th byte is never needed. */
static inline int take(struct cursor *c, uint8_t *byte)
{
    if (c->pos >= DECODE_MAX_LENGTH)
        return DECODE_TOO_LONG;
    if (c->pos >= c->avail)
        return DECODE_TRUNCATED;
    *byte = c->bytes[c->pos++];
    return DECODE_OK;
}

static inline int peek(const struct cursor *c, uint8_t *byte)
{
    if (c->pos >= DECODE_MAX_LENGTH)
        return DECODE_TOO_LONG;
    if (c->pos >= c->avail)
        return DECODE_TRUNCATED;
    *byte = c->bytes[c->pos];
    return DECODE_OK;
}

static inline int32_t sign_extend(uint32_t value, unsigned size)
{
    if (size == 1)
        return (int8_t)value;
    if (size == 2)
        return (int16_t)value;
    return (int32_t)value;
}

static inline uint32_t cut_to(uint32_t value, unsigned op_size)
{
    return op_size == 16 ? value & 0xffff : value;
}

/* ---- decoder state ------------------------------------------------------ */

struct decoder {
    struct cursor c;
    struct insn *in;
    uint8_t last_rep;       /* last F2/F3 seen: the one that selects an SSE form */
    uint16_t attr;
    uint8_t imm_kind;
    bool lockable;
};

/* Mandatory-prefix column: 0 none, 1 66, 2 F3, 3 F2 (the tables' order). */
static inline unsigned column_of(uint8_t mandatory)
{
    switch (mandatory) {
    case 0x66: return 1;
    case 0xf3: return 2;
    case 0xf2: return 3;
    }
    return 0;
}

/* decode_operands.c */
int decode_take_modrm(struct decoder *d, bool register_only);
int decode_take_address(struct decoder *d);
int decode_take_immediates(struct decoder *d);

/* decode_maps.c */
uint16_t decode_attr(const struct insn *in);
bool decode_sse_valid(const struct decoder *d);
bool decode_3dnow_valid(uint8_t op);

/* decode_groups.c: the group checks may set d->imm_kind and d->lockable */
uint8_t decode_mandatory_prefix(const struct decoder *d);
bool decode_group_one_valid(struct decoder *d);
bool decode_group_0f_valid(struct decoder *d);

/* decode_vex.c */
bool decode_starts_vex(const struct decoder *d);
int decode_vex(struct decoder *d);

/* decode_class.c */
void decode_classify(struct insn *in);

#endif
