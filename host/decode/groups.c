/*
 * The irregular opcodes: groups where ModRM.reg, ModRM.mod or a mandatory
 * prefix decides validity (SDM Vol. 2D Table A-6), and the x87 escapes.
 * A group check may also choose the immediate (groups 3, 11) and whether
 * LOCK is allowed, through d->imm_kind and d->lockable.
 */
#include "host/decode/priv.h"

/*
 * Which prefix selects the SSE form: the last F2/F3 if any, else 66
 * (SDM 2.1.2 leaves F2+F3 mixes undefined; Intel and Zydis take the last).
 */
uint8_t decode_mandatory_prefix(const struct decoder *d)
{
    if (d->last_rep)
        return d->last_rep;
    return d->in->prefixes & PFX_OPSIZE ? 0x66 : 0;
}

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
    [0x20 ... 0x27] = COL_ANY,                              /* SMSW r */
    /* E8 SERIALIZE / SETSSBSY / XSUSLDTRK, E9 XRESLDTRK, EA SAVEPREVSSP */
    [0x28] = COL_NP | COL_F3 | COL_F2, COL_F2, COL_F3,
    [0x2e] = COL_NP, COL_NP,                                /* RDPKRU WRPKRU */
    [0x30 ... 0x37] = COL_ANY,                              /* LMSW r */
    [0x39] = COL_ANY,                                       /* RDTSCP */
};

static bool prefix_in(const struct decoder *d, uint8_t cols)
{
    return cols >> column_of(decode_mandatory_prefix(d)) & 1;
}

/* One-byte map groups: SDM Vol. 2D Table A-6. */
bool decode_group_one_valid(struct decoder *d)
{
    struct insn *in = d->in;
    switch (in->opcode) {
    case 0x80: case 0x81: case 0x82: case 0x83:
        d->lockable = in->reg != 7;             /* all but CMP */
        return true;
    case 0x8f:      /* Group 1A: POP r/m is /0 only (AMD XOP otherwise) */
        return in->reg == 0;
    case 0xc6:      /* Group 11: MOV /0, or XABORT ib = C6 F8 */
        return in->reg == 0 || in->modrm == 0xf8;
    case 0xc7:      /* MOV /0, or XBEGIN rel = C7 F8 */
        if (in->modrm == 0xf8)
            d->imm_kind = I_JZ;
        return in->reg == 0 || in->modrm == 0xf8;
    case 0xf6: case 0xf7:   /* Group 3: TEST /0 (and alias /1) take an immediate */
        if (in->reg <= 1)
            d->imm_kind = in->opcode == 0xf6 ? I_B : I_Z;
        d->lockable = in->reg == 2 || in->reg == 3;     /* NOT, NEG */
        return true;
    case 0xfe:      /* Group 4: INC/DEC r/m8 */
        d->lockable = true;
        return in->reg <= 1;
    case 0xff:      /* Group 5: far CALL/JMP need memory; /7 is reserved */
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
        if (in->reg == 5)       /* F3: RSTORSSP m64 */
            return decode_mandatory_prefix(d) == 0xf3;
        return true;
    }
    return prefix_in(d, grp7_register_forms[in->modrm - 0xc0]);
}

/* Group 15 (0F AE): fences, FXSAVE/XSAVE family, CLFLUSH(OPT), CLWB. */
static bool check_group15(struct decoder *d)
{
    struct insn *in = d->in;
    uint8_t p = decode_mandatory_prefix(d);
    if (in->mod != 3) {
        if (p == 0)
            return true;
        if (p == 0x66)
            return in->reg >= 6;            /* CLWB, CLFLUSHOPT */
        if (p == 0xf3)
            return in->reg == 4 || in->reg == 6;    /* PTWRITE, CLRSSBSY */
        return false;
    }
    if (p == 0)
        return in->reg >= 5;                    /* LFENCE MFENCE SFENCE */
    if (p == 0xf3)          /* RD/WRFSBASE are 64-bit only */
        return in->reg >= 4 && in->reg <= 6;    /* PTWRITE INCSSPD UMONITOR */
    return in->reg == 6;                            /* TPAUSE, UMWAIT */
}

/* Group 9 (0F C7). */
static bool check_group9(struct decoder *d)
{
    struct insn *in = d->in;
    uint8_t p = decode_mandatory_prefix(d);
    if (in->mod == 3) {     /* RDRAND /6, RDSEED /7, RDPID F3 /7 */
        if (p == 0xf3)
            return in->reg == 7;
        return (p == 0 || p == 0x66) && in->reg >= 6;
    }
    switch (in->reg) {
    case 1:
        d->lockable = true;                     /* CMPXCHG8B */
        return true;
    case 3: case 4: case 5:                         /* XRSTORS XSAVEC XSAVES */
        return p == 0;
    case 6:                         /* VMPTRLD, VMCLEAR (66), VMXON (F3) */
        return p != 0xf2;
    case 7:                                         /* VMPTRST */
        return p == 0;
    }
    return false;
}

/* Groups 12-14 (0F 71-73): MMX/SSE shifts by imm8, register form only. */
static bool check_shift_group(struct decoder *d)
{
    struct insn *in = d->in;
    uint8_t p = decode_mandatory_prefix(d);
    if (in->mod != 3 || (p != 0 && p != 0x66))
        return false;
    in->mandatory = p;
    if (in->opcode == 0x73 && (in->reg == 3 || in->reg == 7))
        return p == 0x66;                       /* PSRLDQ, PSLLDQ */
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
    uint8_t p = decode_mandatory_prefix(d);
    bool hint_nop = in->mod == 3 && (p == 0 || (p == 0xf3 && in->opcode == 0x1b));
    if (hint_nop)
        return true;
    if (in->reg > 3)
        return false;
    if (in->mod != 3)
        return in->addr_size == 32;
    return p != 0x66 || in->rm <= 3;
}

/* 0F map groups (Table A-6 again), the 3DNow! escape and MPX. */
bool decode_group_0f_valid(struct decoder *d)
{
    struct insn *in = d->in;
    switch (in->opcode) {
    case 0x00:      /* Group 6: SLDT STR LLDT LTR VERR VERW */
        return in->reg <= 5;
    case 0x01:
        return check_group7(d);
    case 0x0f:      /* 3DNow!: the suffix decides */
        return true;
    case 0x18:      /* Group 16: prefetch hints; other forms are hint NOPs */
        return true;
    case 0x1a: case 0x1b:
        return check_mpx(d);
    case 0x71: case 0x72: case 0x73:
        return check_shift_group(d);
    case 0x78: case 0x79:   /* VMREAD/VMWRITE; 66/F2 forms are AMD SSE4a */
        return decode_mandatory_prefix(d) == 0;
    case 0xae:
        return check_group15(d);
    case 0xba:      /* Group 8: BT BTS BTR BTC */
        d->lockable = in->reg >= 5;
        return in->reg >= 4;
    case 0xc7:
        return check_group9(d);
    }
    return false;
}
