/*
 * x86 decoder for 16- and 32-bit code.  Table-driven where the SDM's opcode
 * maps are regular (Vol. 2D, Appendix A), with one small function per
 * opcode group where ModRM.reg, ModRM.mod or a mandatory prefix decides.
 *
 * Validity follows Intel: encodings that Intel documents as #UD (or does
 * not document at all) are DECODE_INVALID, with the exceptions the brief
 * asks for (3DNow!) and the undocumented aliases that Intel CPUs execute
 * (SALC, F6 /1, group-2 /6, x87 register aliases).  See docs/decoder.md.
 */
#include "host/decode.h"

/* ---- per-opcode attributes (one-byte and 0F maps) ---------------------- */

enum imm_kind {
	I_NONE,
	I_B,		/* imm8 */
	I_W,		/* imm16 */
	I_Z,		/* imm16 or imm32 by operand size */
	I_WB,		/* imm16, imm8 (ENTER) */
	I_PTR,		/* ptr16:16 or ptr16:32 by operand size (far JMP/CALL) */
	I_MOFFS,	/* offset by address size (MOV A0-A3) */
	I_JB,		/* rel8 */
	I_JZ,		/* rel16 or rel32 by operand size */
};

enum {
	A_MODRM = 1 << 0,
	A_IMM_SHIFT = 1,	/* 4 bits of enum imm_kind */
	A_SX = 1 << 5,		/* imm8 is sign-extended to the operand size */
	A_BAD = 1 << 6,		/* #UD in 16/32-bit code */
	A_GROUP = 1 << 7,	/* ModRM.reg/mod/prefix decide: see check_group */
	A_MEM = 1 << 8,		/* ModRM.mod == 11 is #UD */
	A_LOCK = 1 << 9,	/* LOCK allowed with a memory destination */
	A_SSE = 1 << 10,	/* mandatory-prefix columns in sse_0f[] decide */
	A_PREFIX = 1 << 11,	/* a legacy prefix: never reaches the tables */
	A_ESCAPE = 1 << 12,	/* 0F, 0F 38, 0F 3A: another map follows */
};

#define IMM(k) ((k) << A_IMM_SHIFT)
#define imm_of(a) (((a) >> A_IMM_SHIFT) & 15)

#define M	A_MODRM
#define ML	(A_MODRM | A_LOCK)
#define MB	(A_MODRM | IMM(I_B))
#define MZ	(A_MODRM | IMM(I_Z))
#define MG	(A_MODRM | A_GROUP)
#define MM	(A_MODRM | A_MEM)
#define MS	(A_MODRM | A_SSE)
#define MBS	(A_MODRM | A_SSE | IMM(I_B))
#define B	IMM(I_B)
#define Z	IMM(I_Z)
#define JB	IMM(I_JB)
#define JZ	IMM(I_JZ)
#define X	A_BAD
#define P	A_PREFIX

static const uint16_t attr_one[256] = {
	/* ALU blocks: "op r/m, reg" may take LOCK, "op reg, r/m" may not */
	[0x00] = ML, ML, M, M, B, Z, 0, 0,	ML, ML, M, M, B, Z, 0, A_ESCAPE,
	[0x10] = ML, ML, M, M, B, Z, 0, 0,	ML, ML, M, M, B, Z, 0, 0,
	[0x20] = ML, ML, M, M, B, Z, P, 0,	ML, ML, M, M, B, Z, P, 0,
	[0x30] = ML, ML, M, M, B, Z, P, 0,	M, M, M, M, B, Z, P, 0,
	[0x40 ... 0x5f] = 0,
	[0x60] = 0, 0, MM, M, P, P, P, P,
	[0x68] = Z, MZ, B | A_SX, MB | A_SX, 0, 0, 0, 0,
	[0x70 ... 0x7f] = JB,
	[0x80] = MB | A_GROUP, MZ | A_GROUP, MB | A_GROUP, MB | A_SX | A_GROUP,
	[0x84] = M, M, ML, ML, M, M, M, M,
	[0x8c] = M, MM, M, MG,	/* MOV Sreg: see registers_valid */
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
	[0x00] = MG, MG, M, M, X, X, 0, X,	0, 0, X, 0, X, M, 0, MG,
	[0x10 ... 0x17] = MS,
	[0x18] = MG, M, MG, MG, M, M, M, M,	/* hint NOPs, MPX, CET */
	[0x20 ... 0x23] = M,			/* MOV CR/DR: see registers_valid */
	[0x24 ... 0x27] = X,			/* MOV TR: 386/486 only */
	[0x28 ... 0x2f] = MS,
	/* 37 GETSEC and 77 EMMS take no prefix that selects SSE forms */
	[0x30] = 0, 0, 0, 0, 0, 0, X, A_SSE,	A_ESCAPE, X, A_ESCAPE, X, X, X, X, X,
	[0x40 ... 0x4f] = M,
	[0x50 ... 0x6f] = MS,
	[0x70] = MBS, MB | A_GROUP, MB | A_GROUP, MB | A_GROUP, MS, MS, MS, A_SSE,
	[0x78] = MG, MG, X, X, MS, MS, MS, MS,
	[0x80 ... 0x8f] = JZ,
	[0x90 ... 0x9f] = M,
	[0xa0] = 0, 0, 0, M, MB, M, X, X,	0, 0, 0, ML, MB, M, MG, M,
	[0xb0] = ML, ML, MM, ML, MM, MM, M, M,	MS, M, MB | A_GROUP, ML, M, M, M, M,
	[0xc0] = ML, ML, MBS, MS, MBS, MBS, MBS, MG,
	[0xc8 ... 0xcf] = 0,
	[0xd0 ... 0xfe] = MS,
	[0xff] = M,				/* UD0 r32, r/m32 */
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
	[0xb8] = SSE(C_X, C_X, C_A, C_X),	/* F3: POPCNT; none: JMPE (IA-64) */
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
	[0x80 ... 0x82] = SSE(C_X, C_M, C_X, C_X),	/* INVEPT, INVVPID, INVPCID */
	[0xc8 ... 0xcd] = AXXX,				/* SHA */
	[0xcf] = XAXX,					/* GF2P8MULB */
	/* AES (66); Key Locker (F3): D8 AESENC/DECWIDE, DC AESENC128KL or
	 * LOADIWKEY (register form), DD-DF AES*KL, FA/FB ENCODEKEY128/256 */
	[0xd8] = SSE(C_X, C_X, C_M, C_X),
	[0xdb] = XAXX, SSE(C_X, C_A, C_A, C_X),
	[0xdd ... 0xdf] = SSE(C_X, C_A, C_M, C_X),
	[0xfa ... 0xfb] = SSE(C_X, C_X, C_R, C_X),
	/* MOVBE (memory only) and CRC32 (F2) */
	[0xf0] = SSE(C_M, C_M, C_X, C_A), SSE(C_M, C_M, C_X, C_A),
	[0xf5] = SSE(C_X, C_M, C_X, C_X),		/* WRUSSD */
	[0xf6] = SSE(C_M, C_A, C_A, C_X),		/* WRSSD, ADCX, ADOX */
	[0xf8] = SSE(C_X, C_M, C_M, C_M),		/* MOVDIR64B, ENQCMDS, ENQCMD */
	[0xf9] = SSE(C_M, C_X, C_X, C_X),		/* MOVDIRI */
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
	[0xf0] = SSE(C_X, C_X, C_R, C_X),	/* HRESET imm8: F3 0F 3A F0 C0 */
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

/*
 * x87 register forms (ModRM C0-FF) that are #UD, one bit per ModRM - C0,
 * for D8..DF (SDM Vol. 2D, A.5 "x87 FPU opcode map", tables A-8..A-22).
 * The undocumented aliases (FSTP1 D9 D8+i, FXCH4 DD C8+i, FCOM2 DC D0+i,
 * FCOMP3/5, FFREEP, FXCH7, FSTP8/9 in DF) execute on Intel CPUs: valid.
 */
static uint64_t bits(unsigned lo, unsigned hi)
{
	uint64_t mask = 0;
	for (unsigned m = lo; m <= hi; m++)
		mask |= 1ull << (m - 0xc0);
	return mask;
}

static bool x87_register_form_invalid(uint8_t opcode, uint8_t modrm)
{
	uint64_t bad = 0;
	switch (opcode) {
	case 0xd9:
		bad = bits(0xd1, 0xd7) | bits(0xe2, 0xe3) | bits(0xe6, 0xe7) | bits(0xef, 0xef);
		break;
	case 0xda:
		bad = bits(0xe0, 0xe8) | bits(0xea, 0xff);
		break;
	case 0xdb:
		bad = bits(0xe5, 0xe7) | bits(0xf8, 0xff);
		break;
	case 0xdd:
		bad = bits(0xf0, 0xff);
		break;
	case 0xde:
		bad = bits(0xd8, 0xd8) | bits(0xda, 0xdf);
		break;
	case 0xdf:
		bad = bits(0xe1, 0xe7) | bits(0xf8, 0xff);
		break;
	}
	return bad >> (modrm - 0xc0) & 1;
}

/* x87 memory forms that are reserved: D9 /1, DB /4, DB /6, DD /5 (Table A-7...). */
static bool x87_memory_form_invalid(uint8_t opcode, uint8_t reg)
{
	return (opcode == 0xd9 && reg == 1) || (opcode == 0xdb && (reg == 4 || reg == 6)) ||
	       (opcode == 0xdd && reg == 5);
}

/* Prefix columns, as a bit set, of the 0F 01 register forms C0..FF. */
enum { COL_NP = 1, COL_66 = 2, COL_F3 = 4, COL_F2 = 8, COL_ANY = 15 };

static const uint8_t grp7_register_forms[64] = {
	/* C0 ENCLV VMCALL VMLAUNCH VMRESUME VMXOFF PCONFIG */
	[0x00] = COL_NP, COL_NP, COL_NP, COL_NP, COL_NP, COL_NP,
	/* C8 MONITOR MWAIT CLAC STAC, CC TDCALL (66), CF ENCLS */
	[0x08] = COL_NP, COL_NP, COL_NP, COL_NP, COL_66, [0x0f] = COL_NP,
	/* D0 XGETBV XSETBV .. .. VMFUNC XEND XTEST ENCLU; D8-DF AMD SVM */
	[0x10] = COL_NP, COL_NP, [0x14] = COL_NP, COL_NP, COL_NP, COL_NP,
	[0x20 ... 0x27] = COL_ANY,				/* SMSW r */
	/* E8 SERIALIZE / SETSSBSY / XSUSLDTRK, E9 XRESLDTRK, EA SAVEPREVSSP */
	[0x28] = COL_NP | COL_F3 | COL_F2, COL_F2, COL_F3,
	[0x2e] = COL_NP, COL_NP,				/* RDPKRU WRPKRU */
	[0x30 ... 0x37] = COL_ANY,				/* LMSW r */
	[0x39] = COL_ANY,					/* RDTSCP */
};

/* ---- byte cursor ----------------------------------------------------------- */

struct cursor {
	const uint8_t *bytes;
	size_t avail;
	unsigned pos;
};

/* "take" fails with TOO_LONG before TRUNCATED: a 16th byte is never needed. */
static int take(struct cursor *c, uint8_t *byte)
{
	if (c->pos >= DECODE_MAX_LENGTH)
		return DECODE_TOO_LONG;
	if (c->pos >= c->avail)
		return DECODE_TRUNCATED;
	*byte = c->bytes[c->pos++];
	return DECODE_OK;
}

static int peek(const struct cursor *c, uint8_t *byte)
{
	if (c->pos >= DECODE_MAX_LENGTH)
		return DECODE_TOO_LONG;
	if (c->pos >= c->avail)
		return DECODE_TRUNCATED;
	*byte = c->bytes[c->pos];
	return DECODE_OK;
}

/* Little-endian value of size bytes (1, 2 or 4). */
static int take_value(struct cursor *c, unsigned size, uint32_t *value)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b;
		int rc = take(c, &b);
		if (rc != DECODE_OK)
			return rc;
		v |= (uint32_t)b << (8 * i);
	}
	*value = v;
	return DECODE_OK;
}

static int32_t sign_extend(uint32_t value, unsigned size)
{
	if (size == 1)
		return (int8_t)value;
	if (size == 2)
		return (int16_t)value;
	return (int32_t)value;
}

static uint32_t cut_to(uint32_t value, unsigned op_size)
{
	return op_size == 16 ? value & 0xffff : value;
}

/* ---- decoder state ------------------------------------------------------ */

struct decoder {
	struct cursor c;
	struct insn *in;
	uint8_t last_rep;	/* last F2/F3 seen: the one that selects an SSE form */
	uint16_t attr;
	uint8_t imm_kind;
	bool lockable;
};

static void clear_insn(struct insn *in)
{
	uint8_t *p = (uint8_t *)in;
	for (size_t i = 0; i < sizeof *in; i++)
		p[i] = 0;
	in->seg_override = SEG_NONE;
	in->mem.seg = SEG_NONE;
	in->mem.base = REG_NONE;
	in->mem.index = REG_NONE;
}

static uint8_t segment_of_prefix(uint8_t b)
{
	if (b == 0x64)
		return SEG_FS;
	if (b == 0x65)
		return SEG_GS;
	return (b >> 3) & 3;	/* 26 ES, 2E CS, 36 SS, 3E DS */
}

/*
 * Legacy prefixes, any order, repeats allowed (SDM 2.1.1: "it is only
 * useful to include up to one prefix code from each of the four groups"
 * but more are not an error); the 15-byte limit bounds the loop.
 */
static int take_prefixes(struct decoder *d)
{
	struct insn *in = d->in;
	for (;;) {
		uint8_t b;
		int rc = peek(&d->c, &b);
		if (rc != DECODE_OK)
			return rc;
		switch (b) {
		case 0xf0: in->prefixes |= PFX_LOCK; break;
		case 0xf2: in->prefixes |= PFX_REPNE; d->last_rep = b; break;
		case 0xf3: in->prefixes |= PFX_REP; d->last_rep = b; break;
		case 0x66: in->prefixes |= PFX_OPSIZE; break;
		case 0x67: in->prefixes |= PFX_ADDRSIZE; break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
			in->prefixes |= PFX_SEG;
			in->seg_override = segment_of_prefix(b);
			break;
		default:
			return DECODE_OK;
		}
		d->c.pos++;
		in->prefix_count++;
	}
}

/* ---- ModRM, SIB, displacement -------------------------------------------- */

static int take_disp(struct decoder *d, unsigned size)
{
	uint32_t v;
	d->in->disp_offset = (uint8_t)d->c.pos;
	d->in->disp_size = (uint8_t)size;
	int rc = take_value(&d->c, size, &v);
	if (rc == DECODE_OK)
		d->in->mem.disp = sign_extend(v, size);
	return rc;
}

/* SDM Table 2-1: 16-bit addressing forms with the ModR/M byte. */
static int take_mem16(struct decoder *d)
{
	static const uint8_t base[8] = { REG_BX, REG_BX, REG_BP, REG_BP,
					 REG_SI, REG_DI, REG_BP, REG_BX };
	static const uint8_t index[8] = { REG_SI, REG_DI, REG_SI, REG_DI,
					  REG_NONE, REG_NONE, REG_NONE, REG_NONE };
	struct insn *in = d->in;
	in->mem.base = base[in->rm];
	in->mem.index = index[in->rm];
	if (in->mod == 0 && in->rm == 6) {
		in->mem.base = REG_NONE;
		return take_disp(d, 2);
	}
	return in->mod == 0 ? DECODE_OK : take_disp(d, in->mod == 1 ? 1 : 2);
}

/* SDM Tables 2-2 and 2-3: 32-bit addressing forms, with and without SIB. */
static int take_mem32(struct decoder *d)
{
	struct insn *in = d->in;
	uint8_t base = in->rm;
	if (in->rm == 4) {
		int rc = take(&d->c, &in->sib);
		if (rc != DECODE_OK)
			return rc;
		in->has_sib = true;
		in->mem.scale = (uint8_t)(1u << (in->sib >> 6));
		uint8_t index = (in->sib >> 3) & 7;
		in->mem.index = index == 4 ? REG_NONE : index;	/* "none" */
		base = in->sib & 7;
	}
	in->mem.base = base;
	if (in->mod == 0 && base == 5) {	/* [disp32] / [index*s + disp32] */
		in->mem.base = REG_NONE;
		return take_disp(d, 4);
	}
	return in->mod == 0 ? DECODE_OK : take_disp(d, in->mod == 1 ? 1 : 4);
}

/* SDM 3.7.4: references through (E)BP or (E)SP default to SS, others to DS. */
static void choose_segment(struct insn *in)
{
	if (in->seg_override != SEG_NONE)
		in->mem.seg = in->seg_override;
	else if (in->mem.base == REG_BP || in->mem.base == REG_SP)
		in->mem.seg = SEG_SS;
	else
		in->mem.seg = SEG_DS;
}

/*
 * register_only: MOV CR/DR "ignore the mod field" (SDM MOV—Move to/from
 * Control Registers: "The 2 bits in the mod field are ignored"), so no SIB
 * or displacement follows whatever mod says; we report mod as 11.
 */
static int take_modrm(struct decoder *d, bool register_only)
{
	struct insn *in = d->in;
	int rc = take(&d->c, &in->modrm);
	if (rc != DECODE_OK)
		return rc;
	in->has_modrm = true;
	in->mod = register_only ? 3 : in->modrm >> 6;
	in->reg = (in->modrm >> 3) & 7;
	in->rm = in->modrm & 7;
	return DECODE_OK;
}

/* The SIB byte and displacement that a memory-form ModRM announces. */
static int take_address(struct decoder *d)
{
	struct insn *in = d->in;
	if (!in->has_modrm || in->mod == 3)
		return DECODE_OK;
	in->has_mem = true;
	in->mem.scale = 1;
	int rc = in->addr_size == 16 ? take_mem16(d) : take_mem32(d);
	choose_segment(in);
	return rc;
}

/* ---- immediates ------------------------------------------------------------ */

static int take_imm(struct decoder *d, unsigned size, uint32_t *value)
{
	d->in->imm_offset = (uint8_t)d->c.pos;
	d->in->imm_size = (uint8_t)size;
	return take_value(&d->c, size, value);
}

/* MOV A0-A3: the "offset" is a displacement with neither base nor index. */
static int take_moffs(struct decoder *d)
{
	struct insn *in = d->in;
	uint32_t offset = 0;
	in->disp_offset = (uint8_t)d->c.pos;
	in->disp_size = in->addr_size / 8;
	int rc = take_value(&d->c, in->disp_size, &offset);
	in->has_mem = true;
	in->mem.scale = 1;
	in->mem.disp = sign_extend(offset, in->disp_size);
	choose_segment(in);
	return rc;
}

static int take_immediates(struct decoder *d)
{
	struct insn *in = d->in;
	unsigned z = in->op_size / 8;
	uint32_t v = 0;
	int rc;
	switch (d->imm_kind) {
	case I_NONE:
		return DECODE_OK;
	case I_B:
		rc = take_imm(d, 1, &v);
		in->imm = d->attr & A_SX ? cut_to((uint32_t)sign_extend(v, 1), in->op_size) : v;
		return rc;
	case I_W:
		return take_imm(d, 2, &in->imm);
	case I_Z:
		return take_imm(d, z, &in->imm);
	case I_WB:
		rc = take_imm(d, 2, &in->imm);
		in->imm2_size = 1;
		return rc != DECODE_OK ? rc : take_value(&d->c, 1, &in->imm2);
	case I_PTR:
		rc = take_imm(d, z, &in->imm);
		in->imm2_size = 2;
		return rc != DECODE_OK ? rc : take_value(&d->c, 2, &in->imm2);
	case I_MOFFS:
		return take_moffs(d);
	case I_JB:
	case I_JZ:
		rc = take_imm(d, d->imm_kind == I_JB ? 1 : z, &v);
		in->rel = sign_extend(v, in->imm_size);
		in->imm = v;
		return rc;
	}
	return DECODE_INVALID;
}

/* ---- mandatory prefixes and groups ------------------------------------------ */

/*
 * Which prefix selects the SSE form: the last F2/F3 if any, else 66
 * (SDM 2.1.2 leaves F2+F3 mixes undefined; Intel and Zydis take the last).
 */
static uint8_t mandatory_prefix(const struct decoder *d)
{
	if (d->last_rep)
		return d->last_rep;
	return d->in->prefixes & PFX_OPSIZE ? 0x66 : 0;
}

static unsigned column_of(uint8_t mandatory)
{
	switch (mandatory) {
	case 0x66: return 1;
	case 0xf3: return 2;
	case 0xf2: return 3;
	}
	return 0;
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

static bool check_sse(struct decoder *d)
{
	struct insn *in = d->in;
	switch (in->map) {
	case MAP_0F:
		return column_allows(sse_0f[in->opcode], in);
	case MAP_0F38:	/* AESENCWIDE/AESDECWIDE are /0../3 */
		if (in->opcode == 0xd8 && in->reg > 3)
			return false;
		return column_allows(sse_0f38[in->opcode], in);
	case MAP_0F3A:	/* HRESET is F3 0F 3A F0 C0 ib exactly */
		if (in->opcode == 0xf0 && in->modrm != 0xc0)
			return false;
		return column_allows(sse_0f3a[in->opcode], in);
	}
	return false;
}

static bool prefix_in(const struct decoder *d, uint8_t cols)
{
	return cols >> column_of(mandatory_prefix(d)) & 1;
}

/* One-byte map groups: SDM Vol. 2D Table A-6. */
static bool check_group_one(struct decoder *d)
{
	struct insn *in = d->in;
	switch (in->opcode) {
	case 0x80: case 0x81: case 0x82: case 0x83:
		d->lockable = in->reg != 7;		/* all but CMP */
		return true;
	case 0x8f:	/* Group 1A: POP r/m is /0 only (AMD XOP otherwise) */
		return in->reg == 0;
	case 0xc6:	/* Group 11: MOV /0, or XABORT ib = C6 F8 */
		return in->reg == 0 || in->modrm == 0xf8;
	case 0xc7:	/* MOV /0, or XBEGIN rel = C7 F8 */
		if (in->modrm == 0xf8)
			d->imm_kind = I_JZ;
		return in->reg == 0 || in->modrm == 0xf8;
	case 0xf6: case 0xf7:	/* Group 3: TEST /0 (and alias /1) take an immediate */
		if (in->reg <= 1)
			d->imm_kind = in->opcode == 0xf6 ? I_B : I_Z;
		d->lockable = in->reg == 2 || in->reg == 3;	/* NOT, NEG */
		return true;
	case 0xfe:	/* Group 4: INC/DEC r/m8 */
		d->lockable = true;
		return in->reg <= 1;
	case 0xff:	/* Group 5: far CALL/JMP need memory; /7 is reserved */
		d->lockable = in->reg <= 1;
		if (in->reg == 3 || in->reg == 5)
			return in->mod != 3;
		return in->reg != 7;
	}
	if (in->opcode >= 0xd8 && in->opcode <= 0xdf)
		return in->mod == 3 ? !x87_register_form_invalid(in->opcode, in->modrm)
				    : !x87_memory_form_invalid(in->opcode, in->reg);
	return false;
}

/* Group 7 (0F 01): memory forms by reg, register forms by the whole ModRM. */
static bool check_group7(struct decoder *d)
{
	struct insn *in = d->in;
	if (in->mod != 3) {
		if (in->reg == 5)	/* F3: RSTORSSP m64 */
			return mandatory_prefix(d) == 0xf3;
		return true;
	}
	return prefix_in(d, grp7_register_forms[in->modrm - 0xc0]);
}

/* Group 15 (0F AE): fences, FXSAVE/XSAVE family, CLFLUSH(OPT), CLWB. */
static bool check_group15(struct decoder *d)
{
	struct insn *in = d->in;
	uint8_t p = mandatory_prefix(d);
	if (in->mod != 3) {
		if (p == 0)
			return true;
		if (p == 0x66)
			return in->reg >= 6;		/* CLWB, CLFLUSHOPT */
		if (p == 0xf3)
			return in->reg == 4 || in->reg == 6;	/* PTWRITE, CLRSSBSY */
		return false;
	}
	if (p == 0)
		return in->reg >= 5;			/* LFENCE MFENCE SFENCE */
	if (p == 0xf3)		/* RD/WRFSBASE are 64-bit only */
		return in->reg >= 4 && in->reg <= 6;	/* PTWRITE INCSSPD UMONITOR */
	return in->reg == 6;				/* TPAUSE, UMWAIT */
}

/* Group 9 (0F C7). */
static bool check_group9(struct decoder *d)
{
	struct insn *in = d->in;
	uint8_t p = mandatory_prefix(d);
	if (in->mod == 3) {	/* RDRAND /6, RDSEED /7, RDPID F3 /7 */
		if (p == 0xf3)
			return in->reg == 7;
		return (p == 0 || p == 0x66) && in->reg >= 6;
	}
	switch (in->reg) {
	case 1:
		d->lockable = true;			/* CMPXCHG8B */
		return true;
	case 3: case 4: case 5:				/* XRSTORS XSAVEC XSAVES */
		return p == 0;
	case 6:				/* VMPTRLD, VMCLEAR (66), VMXON (F3) */
		return p != 0xf2;
	case 7:						/* VMPTRST */
		return p == 0;
	}
	return false;
}

/* Groups 12-14 (0F 71-73): MMX/SSE shifts by imm8, register form only. */
static bool check_shift_group(struct decoder *d)
{
	struct insn *in = d->in;
	uint8_t p = mandatory_prefix(d);
	if (in->mod != 3 || (p != 0 && p != 0x66))
		return false;
	in->mandatory = p;
	if (in->opcode == 0x73 && (in->reg == 3 || in->reg == 7))
		return p == 0x66;			/* PSRLDQ, PSLLDQ */
	if (in->opcode == 0x73)
		return in->reg == 2 || in->reg == 6;
	return in->reg == 2 || in->reg == 4 || in->reg == 6;
}

/*
 * MPX (0F 1A, 0F 1B) where it is not a hint NOP.  SDM BNDMK/BNDMOV: "#UD if
 * ModRM.r/m encodes BND4-BND7 ... if 67H prefix is not used and CS.D=0, if
 * 67H prefix is used and CS.D=1": no 16-bit addressing.
 */
static bool check_mpx(struct decoder *d)
{
	struct insn *in = d->in;
	uint8_t p = mandatory_prefix(d);
	bool hint_nop = in->mod == 3 && (p == 0 || (p == 0xf3 && in->opcode == 0x1b));
	if (hint_nop)
		return true;
	if (in->reg > 3)
		return false;
	if (in->mod != 3)
		return in->addr_size == 32;
	return p != 0x66 || in->rm <= 3;
}

static bool check_group_0f(struct decoder *d)
{
	struct insn *in = d->in;
	switch (in->opcode) {
	case 0x00:	/* Group 6: SLDT STR LLDT LTR VERR VERW */
		return in->reg <= 5;
	case 0x01:
		return check_group7(d);
	case 0x0f:	/* 3DNow!: the suffix decides */
		return true;
	case 0x18:	/* Group 16: prefetch hints; other forms are hint NOPs */
		return true;
	case 0x1a: case 0x1b:
		return check_mpx(d);
	case 0x71: case 0x72: case 0x73:
		return check_shift_group(d);
	case 0x78: case 0x79:	/* VMREAD/VMWRITE; 66/F2 forms are AMD SSE4a */
		return mandatory_prefix(d) == 0;
	case 0xae:
		return check_group15(d);
	case 0xba:	/* Group 8: BT BTS BTR BTC */
		d->lockable = in->reg >= 5;
		return in->reg >= 4;
	case 0xc7:
		return check_group9(d);
	}
	return false;
}

static bool valid_3dnow_opcode(uint8_t op)
{
	return valid_3dnow[op >> 5] >> (op & 31) & 1;
}

/* ---- classification ---------------------------------------------------------- */

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

static void classify(struct insn *in)
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

/* ---- VEX and EVEX ---------------------------------------------------------- */

/* VEX/EVEX map 1 opcodes with an imm8: PSHUF*, the shift groups, CMPPS,
 * PINSRW, PEXTRW, SHUFPS. Map 3 always has one; maps 2, 5 and 6 never. */
static bool map1_has_imm8(uint8_t op)
{
	return (op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6);
}

/* SDM 2.3.2: "Any VEX-encoded instruction with a LOCK/66H/F2H/F3H prefix
 * preceding VEX will #UD"; the same holds for EVEX (2.7.1). */
static bool vex_prefixes_ok(const struct insn *in)
{
	return !(in->prefixes & (PFX_LOCK | PFX_REP | PFX_REPNE | PFX_OPSIZE));
}

static int take_vex_body(struct decoder *d, unsigned map)
{
	struct insn *in = d->in;
	int rc = take(&d->c, &in->opcode);
	if (rc != DECODE_OK)
		return rc;
	/* VZEROUPPER/VZEROALL (VEX.0F 77) are the only ones without ModRM */
	if (!(in->map == MAP_VEX1 && in->opcode == 0x77)) {
		rc = take_modrm(d, false);
		if (rc == DECODE_OK)
			rc = take_address(d);
		if (rc != DECODE_OK)
			return rc;
	}
	if (map == 3 || (map == 1 && map1_has_imm8(in->opcode)))
		d->imm_kind = I_B;
	return take_immediates(d);
}

/* C5 [R vvvv L pp] or C4 [R X B mmmmm] [W vvvv L pp] (SDM Figure 2-9). */
static int decode_vex(struct decoder *d, uint8_t first)
{
	struct insn *in = d->in;
	uint8_t b1, b2;
	unsigned map = 1;
	int rc = take(&d->c, &b1);
	if (rc != DECODE_OK)
		return rc;
	b2 = b1;
	in->vex_size = 2;
	if (first == 0xc4) {
		rc = take(&d->c, &b2);
		if (rc != DECODE_OK)
			return rc;
		map = b1 & 31;
		in->vex_w = b2 >> 7;
		in->vex_size = 3;
	}
	in->vex_vvvv = (~b2 >> 3) & 15;
	in->vex_l = (b2 >> 2) & 1;
	in->vex_pp = b2 & 3;
	if (map < 1 || map > 3)
		return DECODE_INVALID;
	in->map = (uint8_t)(MAP_VEX1 + map - 1);
	return take_vex_body(d, map);
}

/* 62 [R X B R' 0 m m m] [W vvvv 1 pp] [z L'L b V' aaa] (SDM 2.7.1). */
static int decode_evex(struct decoder *d)
{
	struct insn *in = d->in;
	uint8_t p[3];
	for (unsigned i = 0; i < 3; i++) {
		int rc = take(&d->c, &p[i]);
		if (rc != DECODE_OK)
			return rc;
	}
	unsigned map = p[0] & 7;
	in->vex_size = 4;
	in->vex_w = p[1] >> 7;
	in->vex_vvvv = (~p[1] >> 3) & 15;
	in->vex_pp = p[1] & 3;
	in->vex_l = (p[2] >> 5) & 3;
	if ((p[0] & 0x08) || !(p[1] & 0x04))
		return DECODE_INVALID;
	static const uint8_t maps[8] = { 0, MAP_EVEX1, MAP_EVEX2, MAP_EVEX3, 0, MAP_EVEX5, MAP_EVEX6, 0 };
	if (!maps[map])
		return DECODE_INVALID;
	in->map = maps[map];
	return take_vex_body(d, map);
}

/*
 * C4/C5/62 are LES/LDS/BOUND in 16/32-bit code unless the next byte has
 * mod = 11 (SDM 2.3.5 for VEX, 2.7.1 for EVEX): those registers forms are
 * invalid for the legacy instructions, so the CPU reuses them.
 */
static bool starts_vex(const struct decoder *d)
{
	uint8_t next, op = d->in->opcode;
	if (d->in->map != MAP_ONE || (op != 0xc4 && op != 0xc5 && op != 0x62))
		return false;
	return peek(&d->c, &next) == DECODE_OK && (next & 0xc0) == 0xc0;
}

/* ---- the legacy maps ------------------------------------------------------------ */

static int take_opcode(struct decoder *d)
{
	struct insn *in = d->in;
	int rc = take(&d->c, &in->opcode);
	in->map = MAP_ONE;
	if (rc != DECODE_OK || in->opcode != 0x0f)
		return rc;
	rc = take(&d->c, &in->opcode);
	in->map = MAP_0F;
	if (rc != DECODE_OK || (in->opcode != 0x38 && in->opcode != 0x3a))
		return rc;
	in->map = in->opcode == 0x38 ? MAP_0F38 : MAP_0F3A;
	return take(&d->c, &in->opcode);
}

static uint16_t attr_for(const struct insn *in)
{
	switch (in->map) {
	case MAP_ONE: return attr_one[in->opcode];
	case MAP_0F: return attr_0f[in->opcode];
	case MAP_0F38: return A_MODRM | A_SSE;
	}
	return A_MODRM | A_SSE | IMM(I_B);
}

/* 0F 0F ModRM [SIB] [disp] suffix: the suffix byte is the real opcode. */
static int take_3dnow_suffix(struct decoder *d)
{
	struct insn *in = d->in;
	int rc = take(&d->c, &in->opcode);
	if (rc != DECODE_OK)
		return rc;
	in->map = MAP_3DNOW;
	return DECODE_OK;
}

static bool lock_allowed(const struct decoder *d)
{
	/* SDM LOCK: "#UD if the LOCK prefix is used with an instruction not in
	 * the list or if the destination operand is not a memory operand". */
	return d->lockable && d->in->has_modrm && d->in->mod != 3;
}

/* Register operands that do not exist; judged after the whole instruction. */
static bool registers_valid(const struct insn *in)
{
	if (in->map == MAP_ONE && in->opcode == 0x8c)
		return in->reg <= SEG_GS;
	if (in->map == MAP_ONE && in->opcode == 0x8e)	/* "MOV CS, r/m16 is #UD" */
		return in->reg <= SEG_GS && in->reg != SEG_CS;
	if (in->map == MAP_0F && (in->opcode == 0x20 || in->opcode == 0x22))
		return in->reg == 0 || (in->reg >= 2 && in->reg <= 4);	/* CR8 needs REX.R */
	return true;
}

/* Validity that the opcode, prefixes and ModRM byte decide on their own. */
static bool legacy_valid(struct decoder *d)
{
	struct insn *in = d->in;
	if ((d->attr & A_MEM) && in->mod == 3)
		return false;
	if ((d->attr & A_SSE) && !check_sse(d))
		return false;
	if (in->map == MAP_0F && in->opcode == 0x0f && (in->prefixes & PFX_LOCK))
		return false;	/* 3DNow! has no LOCKable form; its suffix comes late */
	return !(d->attr & A_GROUP) ||
	       (in->map == MAP_ONE ? check_group_one(d) : check_group_0f(d));
}

/*
 * Order matters only at the 15-byte limit: an encoding that the opcode and
 * ModRM byte already make invalid is #UD, but a LOCK prefix is judged only
 * after the whole instruction is taken, as Zydis (and XED) do.
 */
static int decode_legacy(struct decoder *d)
{
	struct insn *in = d->in;
	d->attr = attr_for(in);
	d->imm_kind = imm_of(d->attr);
	d->lockable = d->attr & A_LOCK;
	if (d->attr & A_BAD)
		return DECODE_INVALID;
	if (d->attr & A_MODRM) {
		bool cr_dr = in->map == MAP_0F && in->opcode >= 0x20 && in->opcode <= 0x23;
		int rc = take_modrm(d, cr_dr);
		if (rc != DECODE_OK)
			return rc;
	}
	if (in->map != MAP_ONE)
		in->mandatory = mandatory_prefix(d);
	if (!legacy_valid(d))	/* may choose the immediate (groups 3, 11) */
		return DECODE_INVALID;
	int rc = take_address(d);
	if (rc == DECODE_OK)
		rc = in->map == MAP_0F && in->opcode == 0x0f ? take_3dnow_suffix(d) : take_immediates(d);
	if (rc != DECODE_OK)
		return rc;
	if (in->map == MAP_3DNOW && !valid_3dnow_opcode(in->opcode))
		return DECODE_INVALID;
	if ((in->prefixes & PFX_LOCK) && !lock_allowed(d))
		return DECODE_INVALID;
	if (!registers_valid(in))
		return DECODE_INVALID;
	classify(in);
	return DECODE_OK;
}

int decode(const uint8_t *bytes, size_t avail, int mode, struct insn *out)
{
	if (mode != 16 && mode != 32)
		return DECODE_BAD_MODE;
	struct decoder d = { .c = { .bytes = bytes, .avail = avail }, .in = out };
	clear_insn(out);
	out->mode = (uint8_t)mode;
	int rc = take_prefixes(&d);
	if (rc != DECODE_OK)
		return rc;
	/* 66/67 toggle between the two sizes (SDM 3.6, Table 3-4) */
	out->op_size = out->prefixes & PFX_OPSIZE ? (uint8_t)(48 - mode) : (uint8_t)mode;
	out->addr_size = out->prefixes & PFX_ADDRSIZE ? (uint8_t)(48 - mode) : (uint8_t)mode;
	rc = take_opcode(&d);
	if (rc != DECODE_OK)
		return rc;
	if (starts_vex(&d) && !vex_prefixes_ok(out))
		rc = DECODE_INVALID;
	else if (starts_vex(&d))
		rc = out->opcode == 0x62 ? decode_evex(&d) : decode_vex(&d, out->opcode);
	else
		rc = decode_legacy(&d);
	out->length = (uint8_t)d.c.pos;
	return rc;
}

/* ---- control flow ---------------------------------------------------------- */

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
