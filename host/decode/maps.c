/*
 * The per-opcode tables, one per map (SDM Vol. 2D, Appendix A): an
 * attribute word for the one-byte and 0F maps, the mandatory-prefix columns
 * for the SSE/MMX opcodes of 0F, 0F 38 and 0F 3A, and the 3DNow! suffixes.
 * Where a table is not enough, A_GROUP hands over to decode_groups.c.
 */
#include "host/decode/priv.h"

/* Shorthand that keeps each table row to the SDM map's eight columns. */
#define M       A_MODRM
#define ML      (A_MODRM | A_LOCK)
#define MB      (A_MODRM | IMM(I_B))
#define MZ      (A_MODRM | IMM(I_Z))
#define MG      (A_MODRM | A_GROUP)
#define MM      (A_MODRM | A_MEM)
#define MS      (A_MODRM | A_SSE)
#define MBS     (A_MODRM | A_SSE | IMM(I_B))
#define B       IMM(I_B)
#define Z       IMM(I_Z)
#define JB      IMM(I_JB)
#define JZ      IMM(I_JZ)
#define X       A_BAD
#define P       A_PREFIX

static const uint16_t attr_one[256] = {
    /* ALU blocks: "op r/m, reg" may take LOCK, "op reg, r/m" may not */
    [0x00] = ML, ML, M, M, B, Z, 0, 0,      ML, ML, M, M, B, Z, 0, A_ESCAPE,
    [0x10] = ML, ML, M, M, B, Z, 0, 0,      ML, ML, M, M, B, Z, 0, 0,
    [0x20] = ML, ML, M, M, B, Z, P, 0,      ML, ML, M, M, B, Z, P, 0,
    [0x30] = ML, ML, M, M, B, Z, P, 0,      M, M, M, M, B, Z, P, 0,
    [0x40 ... 0x5f] = 0,
    [0x60] = 0, 0, MM, M, P, P, P, P,
    [0x68] = Z, MZ, B | A_SX, MB | A_SX, 0, 0, 0, 0,
    [0x70 ... 0x7f] = JB,
    [0x80] = MB | A_GROUP, MZ | A_GROUP, MB | A_GROUP, MB | A_SX | A_GROUP,
    [0x84] = M, M, ML, ML, M, M, M, M,
    [0x8c] = M, MM, M, MG,  /* MOV Sreg: see registers_valid in decode.c */
    [0x90 ... 0x99] = 0,
    [0x9a] = IMM(I_PTR), 0, 0, 0, 0, 0,
    [0xa0 ... 0xa3] = IMM(I_MOFFS),
    [0xa4] = 0, 0, 0, 0, B, Z, 0, 0, 0, 0, 0, 0,
    [0xb0 ... 0xb7] = B,
    [0xb8 ... 0xbf] = Z,
    [0xc0] = MB, MB, IMM(I_W), 0, MM, MM, MB | A_GROUP, MZ | A_GROUP,
    [0xc8] = IMM(I_WB), 0, IMM(I_W), 0, 0, B, 0, 0,
    [0xd0] = M, M, M, M, B, B, 0, 0,
    [0xd8 ... 0xdf] = MG,
    [0xe0 ... 0xe3] = JB,
    [0xe4] = B, B, B, B, JZ, JZ, IMM(I_PTR), JB, 0, 0, 0, 0,
    [0xf0] = P, 0, P, P, 0, 0, MG, MG,
    [0xf8] = 0, 0, 0, 0, 0, 0, MG, MG,
};

static const uint16_t attr_0f[256] = {
    /* 05/07 SYSCALL/SYSRET: "Invalid" in legacy mode per the SDM (AMD only) */
    /* 0D: PREFETCHW /1 and friends; the other forms are reserved NOPs */
    [0x00] = MG, MG, M, M, X, X, 0, X,      0, 0, X, 0, X, M, 0, MG,
    [0x10 ... 0x17] = MS,
    [0x18] = MG, M, MG, MG, M, M, M, M,     /* hint NOPs, MPX, CET */
    [0x20 ... 0x23] = M,                    /* MOV CR/DR: see registers_valid in decode.c */
    [0x24 ... 0x27] = X,                    /* MOV TR: 386/486 only */
    [0x28 ... 0x2f] = MS,
    /* 37 GETSEC and 77 EMMS take no prefix that selects SSE forms */
    [0x30] = 0, 0, 0, 0, 0, 0, X, A_SSE,    A_ESCAPE, X, A_ESCAPE, X, X, X, X, X,
    [0x40 ... 0x4f] = M,
    [0x50 ... 0x6f] = MS,
    [0x70] = MBS, MB | A_GROUP, MB | A_GROUP, MB | A_GROUP, MS, MS, MS, A_SSE,
    [0x78] = MG, MG, X, X, MS, MS, MS, MS,
    [0x80 ... 0x8f] = JZ,
    [0x90 ... 0x9f] = M,
    [0xa0] = 0, 0, 0, M, MB, M, X, X,       0, 0, 0, ML, MB, M, MG, M,
    [0xb0] = ML, ML, MM, ML, MM, MM, M, M,  MS, M, MB | A_GROUP, ML, M, M, M, M,
    [0xc0] = ML, ML, MBS, MS, MBS, MBS, MBS, MG,
    [0xc8 ... 0xcf] = 0,
    [0xd0 ... 0xfe] = MS,
    [0xff] = M,                             /* UD0 r32, r/m32 */
};

/*
 * Mandatory-prefix columns for SSE/MMX opcodes (SDM Vol. 2A 2.1.2: "some
 * instructions may use F2H/F3H/66H as a mandatory prefix").  Two bits per
 * column no-prefix, 66, F3, F2: 0 #UD, 1 any ModRM, 2 memory only, 3
 * register only.
 */
enum { C_X, C_A, C_M, C_R };
#define SSE(np, p66, f3, f2) ((np) | (p66) << 2 | (f3) << 4 | (f2) << 6)
#define AAXX SSE(C_A, C_A, C_X, C_X)
#define AAAA SSE(C_A, C_A, C_A, C_A)
#define XAXX SSE(C_X, C_A, C_X, C_X)
#define AXXX SSE(C_A, C_X, C_X, C_X)

static const uint8_t sse_0f[256] = {
    [0x10] = AAAA, AAAA, SSE(C_A, C_M, C_A, C_A), SSE(C_M, C_M, C_X, C_X),
    [0x14] = AAXX, AAXX, SSE(C_A, C_M, C_A, C_X), SSE(C_M, C_M, C_X, C_X),
    [0x28] = AAXX, AAXX, AAAA, SSE(C_M, C_M, C_X, C_X),
    [0x37] = AXXX,
    [0x77] = AXXX,
    [0x2c] = AAAA, AAAA, AAXX, AAXX,
    [0x50] = SSE(C_R, C_R, C_X, C_X), AAAA, SSE(C_A, C_X, C_A, C_X),
    [0x53] = SSE(C_A, C_X, C_A, C_X),
    [0x54 ... 0x57] = AAXX,
    [0x58] = AAAA, AAAA, AAAA, SSE(C_A, C_A, C_A, C_X), AAAA, AAAA, AAAA, AAAA,
    [0x60 ... 0x6b] = AAXX,
    [0x6c] = XAXX, XAXX, AAXX, SSE(C_A, C_A, C_A, C_X),
    [0x70] = AAAA,
    [0x74 ... 0x76] = AAXX,
    [0x7c] = SSE(C_X, C_A, C_X, C_A), SSE(C_X, C_A, C_X, C_A),
    [0x7e] = SSE(C_A, C_A, C_A, C_X), SSE(C_A, C_A, C_A, C_X),
    [0xb8] = SSE(C_X, C_X, C_A, C_X),       /* F3: POPCNT; none: JMPE (IA-64) */
    [0xc2] = AAAA, SSE(C_M, C_X, C_X, C_X), AAXX, SSE(C_R, C_R, C_X, C_X), AAXX,
    [0xd0] = SSE(C_X, C_A, C_X, C_A),
    [0xd1 ... 0xd5] = AAXX,
    [0xd6] = SSE(C_X, C_A, C_R, C_R), SSE(C_R, C_R, C_X, C_X),
    [0xd8 ... 0xe5] = AAXX,
    [0xe6] = SSE(C_X, C_A, C_A, C_A), SSE(C_M, C_M, C_X, C_X),
    [0xe8 ... 0xef] = AAXX,
    [0xf0] = SSE(C_X, C_X, C_X, C_M),
    [0xf1 ... 0xf6] = AAXX,
    [0xf7] = SSE(C_R, C_R, C_X, C_X),
    [0xf8 ... 0xfe] = AAXX,
};

/* 0F 38: every opcode has ModRM and no immediate. */
static const uint8_t sse_0f38[256] = {
    [0x00 ... 0x0b] = AAXX,
    [0x10] = XAXX, [0x14] = XAXX, [0x15] = XAXX, [0x17] = XAXX,
    [0x1c ... 0x1e] = AAXX,
    [0x20 ... 0x25] = XAXX,
    [0x28] = XAXX, XAXX, SSE(C_X, C_M, C_X, C_X), XAXX,
    [0x30 ... 0x35] = XAXX,
    [0x37 ... 0x41] = XAXX,
    [0x80 ... 0x82] = SSE(C_X, C_M, C_X, C_X),      /* INVEPT, INVVPID, INVPCID */
    [0xc8 ... 0xcd] = AXXX,                         /* SHA */
    [0xcf] = XAXX,                                  /* GF2P8MULB */
    /* AES (66); Key Locker (F3): D8 AESENC/DECWIDE, DC AESENC128KL or
     * LOADIWKEY (register form), DD-DF AES*KL, FA/FB ENCODEKEY128/256 */
    [0xd8] = SSE(C_X, C_X, C_M, C_X),
    [0xdb] = XAXX, SSE(C_X, C_A, C_A, C_X),
    [0xdd ... 0xdf] = SSE(C_X, C_A, C_M, C_X),
    [0xfa ... 0xfb] = SSE(C_X, C_X, C_R, C_X),
    /* MOVBE (memory only) and CRC32 (F2) */
    [0xf0] = SSE(C_M, C_M, C_X, C_A), SSE(C_M, C_M, C_X, C_A),
    [0xf5] = SSE(C_X, C_M, C_X, C_X),               /* WRUSSD */
    [0xf6] = SSE(C_M, C_A, C_A, C_X),               /* WRSSD, ADCX, ADOX */
    [0xf8] = SSE(C_X, C_M, C_M, C_M),               /* MOVDIR64B, ENQCMDS, ENQCMD */
    [0xf9] = SSE(C_M, C_X, C_X, C_X),               /* MOVDIRI */
};

/* 0F 3A: every opcode has ModRM and an imm8. */
static const uint8_t sse_0f3a[256] = {
    [0x08 ... 0x0e] = XAXX, [0x0f] = AAXX,
    [0x14 ... 0x17] = XAXX,
    [0x20 ... 0x22] = XAXX,
    [0x40 ... 0x42] = XAXX, [0x44] = XAXX,
    [0x60 ... 0x63] = XAXX,
    [0xcc] = AXXX,
    [0xce] = XAXX, XAXX,
    [0xdf] = XAXX,
    [0xf0] = SSE(C_X, C_X, C_R, C_X),       /* HRESET imm8: F3 0F 3A F0 C0 */
};

/* 3DNow! opcodes (AMD 3DNow! Technology Manual, Table 11), as a bitmap. */
static const uint32_t valid_3dnow[8] = {
    [0] = 1u << 0x0c | 1u << 0x0d | 1u << 0x1c | 1u << 0x1d,
    [4] = 1u << (0x8a - 0x80) | 1u << (0x8e - 0x80) | 1u << (0x90 - 0x80) |
          1u << (0x94 - 0x80) | 1u << (0x96 - 0x80) | 1u << (0x97 - 0x80) |
          1u << (0x9a - 0x80) | 1u << (0x9e - 0x80),
    [5] = 1u << (0xa0 - 0xa0) | 1u << (0xa4 - 0xa0) | 1u << (0xa6 - 0xa0) |
          1u << (0xa7 - 0xa0) | 1u << (0xaa - 0xa0) | 1u << (0xae - 0xa0) |
          1u << (0xb0 - 0xa0) | 1u << (0xb4 - 0xa0) | 1u << (0xb6 - 0xa0) |
          1u << (0xb7 - 0xa0) | 1u << (0xbb - 0xa0) | 1u << (0xbf - 0xa0),
};

/* The attribute word; 0F 38 and 0F 3A are regular enough to need none. */
uint16_t decode_attr(const struct insn *in)
{
    switch (in->map) {
    case MAP_ONE: return attr_one[in->opcode];
    case MAP_0F: return attr_0f[in->opcode];
    case MAP_0F38: return A_MODRM | A_SSE;
    }
    return A_MODRM | A_SSE | IMM(I_B);
}

static bool column_allows(uint8_t columns, const struct insn *in)
{
    unsigned kind = (columns >> (2 * column_of(in->mandatory))) & 3;
    if (kind == C_M)
        return in->mod != 3;
    if (kind == C_R)
        return in->mod == 3;
    return kind == C_A;
}

/* A_SSE opcodes: does in->mandatory select a form, with this ModRM.mod? */
bool decode_sse_valid(const struct decoder *d)
{
    struct insn *in = d->in;
    switch (in->map) {
    case MAP_0F:
        return column_allows(sse_0f[in->opcode], in);
    case MAP_0F38:  /* AESENCWIDE/AESDECWIDE are /0../3 */
        if (in->opcode == 0xd8 && in->reg > 3)
            return false;
        return column_allows(sse_0f38[in->opcode], in);
    case MAP_0F3A:  /* HRESET is F3 0F 3A F0 C0 ib exactly */
        if (in->opcode == 0xf0 && in->modrm != 0xc0)
            return false;
        return column_allows(sse_0f3a[in->opcode], in);
    }
    return false;
}

bool decode_3dnow_valid(uint8_t op)
{
    return valid_3dnow[op >> 5] >> (op & 31) & 1;
}
