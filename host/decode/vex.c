/*
 * VEX (C4/C5) and EVEX (62) in 16/32-bit code.  Only the structure is
 * checked (which prefixes may precede, the map, the fixed EVEX bits), not
 * per-opcode pp/L/W/vvvv rules; lengths are exact.  See docs/decoder.md.
 */
#include "host/decode/priv.h"

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
        rc = decode_take_modrm(d, false);
        if (rc == DECODE_OK)
            rc = decode_take_address(d);
        if (rc != DECODE_OK)
            return rc;
    }
    if (map == 3 || (map == 1 && map1_has_imm8(in->opcode)))
        d->imm_kind = I_B;
    return decode_take_immediates(d);
}

/* C5 [R vvvv L pp] or C4 [R X B mmmmm] [W vvvv L pp] (SDM Figure 2-9). */
static int take_vex(struct decoder *d, uint8_t first)
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
static int take_evex(struct decoder *d)
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
bool decode_starts_vex(const struct decoder *d)
{
    uint8_t next, op = d->in->opcode;
    if (d->in->map != MAP_ONE || (op != 0xc4 && op != 0xc5 && op != 0x62))
        return false;
    return peek(&d->c, &next) == DECODE_OK && (next & 0xc0) == 0xc0;
}

/* After decode_starts_vex: the opcode byte was C4, C5 or 62. */
int decode_vex(struct decoder *d)
{
    if (!vex_prefixes_ok(d->in))
        return DECODE_INVALID;
    return d->in->opcode == 0x62 ? take_evex(d) : take_vex(d, d->in->opcode);
}
