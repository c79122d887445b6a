/*
 * The bytes after the opcode: ModRM, SIB and displacement (SDM Vol. 2A
 * 2.1.5, Tables 2-1 to 2-3), then the immediates that d->imm_kind names.
 * Each records where its bytes start, for patchers.
 */
#include "host/decode/priv.h"

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
        in->mem.index = index == 4 ? REG_NONE : index;  /* "none" */
        base = in->sib & 7;
    }
    in->mem.base = base;
    if (in->mod == 0 && base == 5) {        /* [disp32] / [index*s + disp32] */
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
int decode_take_modrm(struct decoder *d, bool register_only)
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
int decode_take_address(struct decoder *d)
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

int decode_take_immediates(struct decoder *d)
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
