/*
 * x86 decoder for 16- and 32-bit code: the driver.  Prefixes, the opcode
 * bytes, then either VEX/EVEX (decode_vex.c) or the legacy maps, whose
 * tables (decode_maps.c) and groups (decode_groups.c) judge validity
 * before the operand bytes are read (decode_operands.c).
 *
 * Validity follows Intel: encodings that Intel documents as #UD (or does
 * not document at all) are DECODE_INVALID, with the exceptions the brief
 * asks for (3DNow!) and the undocumented aliases that Intel CPUs execute
 * (SALC, F6 /1, group-2 /6, x87 register aliases).  See docs/decoder.md.
 */
#include "host/decode/priv.h"

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
    return (b >> 3) & 3;    /* 26 ES, 2E CS, 36 SS, 3E DS */
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
    if (in->map == MAP_ONE && in->opcode == 0x8e)   /* "MOV CS, r/m16 is #UD" */
        return in->reg <= SEG_GS && in->reg != SEG_CS;
    if (in->map == MAP_0F && (in->opcode == 0x20 || in->opcode == 0x22))
        return in->reg == 0 || (in->reg >= 2 && in->reg <= 4);  /* CR8 needs REX.R */
    return true;
}

/* Validity that the opcode, prefixes and ModRM byte decide on their own. */
static bool legacy_valid(struct decoder *d)
{
    struct insn *in = d->in;
    if ((d->attr & A_MEM) && in->mod == 3)
        return false;
    if ((d->attr & A_SSE) && !decode_sse_valid(d))
        return false;
    if (in->map == MAP_0F && in->opcode == 0x0f && (in->prefixes & PFX_LOCK))
        return false;   /* 3DNow! has no LOCKable form; its suffix comes late */
    return !(d->attr & A_GROUP) ||
           (in->map == MAP_ONE ? decode_group_one_valid(d) : decode_group_0f_valid(d));
}

/*
 * Order matters only at the 15-byte limit: an encoding that the opcode and
 * ModRM byte already make invalid is #UD, but a LOCK prefix is judged only
 * after the whole instruction is taken, as Zydis (and XED) do.
 */
static int decode_legacy(struct decoder *d)
{
    struct insn *in = d->in;
    d->attr = decode_attr(in);
    d->imm_kind = imm_of(d->attr);
    d->lockable = d->attr & A_LOCK;
    if (d->attr & A_BAD)
        return DECODE_INVALID;
    if (d->attr & A_MODRM) {
        bool cr_dr = in->map == MAP_0F && in->opcode >= 0x20 && in->opcode <= 0x23;
        int rc = decode_take_modrm(d, cr_dr);
        if (rc != DECODE_OK)
            return rc;
    }
    if (in->map != MAP_ONE)
        in->mandatory = decode_mandatory_prefix(d);
    if (!legacy_valid(d))   /* may choose the immediate (groups 3, 11) */
        return DECODE_INVALID;
    int rc = decode_take_address(d);
    if (rc == DECODE_OK)
        rc = in->map == MAP_0F && in->opcode == 0x0f ? take_3dnow_suffix(d) : decode_take_immediates(d);
    if (rc != DECODE_OK)
        return rc;
    if (in->map == MAP_3DNOW && !decode_3dnow_valid(in->opcode))
        return DECODE_INVALID;
    if ((in->prefixes & PFX_LOCK) && !lock_allowed(d))
        return DECODE_INVALID;
    if (!registers_valid(in))
        return DECODE_INVALID;
    decode_classify(in);
    return DECODE_OK;
}

int decode_uncached(const uint8_t *bytes, size_t avail, int mode, struct insn *out)
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
    rc = decode_starts_vex(&d) ? decode_vex(&d) : decode_legacy(&d);
    out->length = (uint8_t)d.c.pos;
    return rc;
}

/* ---- one-byte instructions ----------------------------------------------
 * Every trap the host serves decodes an instruction, and most of them are
 * one byte with no prefix (pushf, popf, iret, cli, sti, in/out through DX,
 * ret): their decoding depends on nothing but the byte and the mode, so
 * it is made once per byte and mode, by the decoder itself with nothing
 * after the byte (an instruction that needs more is truncated there and
 * not kept), and copied from then on. */
static struct {
    bool one;                       /* a complete instruction of one byte */
    struct insn in;
} one_byte[2][256];
static int one_byte_state;          /* 0 not made, 1 being made, 2 made */

static void make_one_byte(void)
{
    int expect = 0;
    if (!__atomic_compare_exchange_n(&one_byte_state, &expect, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;                     /* made, or being made elsewhere: the decoder meanwhile */
    for (unsigned m = 0; m < 2; m++)
        for (unsigned b = 0; b < 256; b++) {
            uint8_t byte = (uint8_t)b;
            one_byte[m][b].one = decode_uncached(&byte, 1, m ? 32 : 16, &one_byte[m][b].in) == DECODE_OK &&
                                 one_byte[m][b].in.length == 1;
        }
    __atomic_store_n(&one_byte_state, 2, __ATOMIC_RELEASE);
}

int decode(const uint8_t *bytes, size_t avail, int mode, struct insn *out)
{
    if (avail && (mode == 16 || mode == 32)) {
        if (__atomic_load_n(&one_byte_state, __ATOMIC_ACQUIRE) != 2)
            make_one_byte();
        else if (one_byte[mode == 32][bytes[0]].one) {
            __builtin_memcpy(out, &one_byte[mode == 32][bytes[0]].in, sizeof *out);
            return DECODE_OK;
        }
    }
    return decode_uncached(bytes, avail, mode, out);
}
