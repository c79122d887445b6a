/*
 * The containment rule for segments, in one place (host/vmm/segment.h).  The
 * checks are the SDM's for each kind of load (Vol. 3A 5.5-5.8, and the
 * pseudocode of MOV, POP, IRET, RET and INT n in Vol. 2), in the order the
 * CPU makes them, so the fault a guest sees is the one a CPU would raise.
 */
#include "host/vmm/segment.h"

#define GP  13
#define NP  11
#define SSF 12

uint64_t seg_mirror(uint64_t d)
{
    if (!(d & DESC_S))
        return 0;                                    /* TSS, LDT, gates: never as such */
    if (desc_dpl(d) != 3)
        d = (d & ~(3ull << DESC_DPL_SHIFT)) | 1ull << DESC_DPL_SHIFT;
    if (d & DESC_CODE)
        d &= ~DESC_L;
    return d | DESC_ACCESSED;
}

static uint32_t judge(uint16_t sel, uint64_t d, enum seg_use use, unsigned cpl, const char **why)
{
    unsigned rpl = sel & 3, dpl = desc_dpl(d);
    uint16_t err = sel & 0xfffc;
#define REFUSE(vec, e, text) do { *why = text; return SEG_FAULT(vec, e); } while (0)
    if (sel_null(sel)) {
        if (use == SEG_USE_DATA)
            return 0;
        REFUSE(GP, 0, "is null");
    }
    if (!d || !(d & DESC_S))
        REFUSE(GP, err, "names no code or data descriptor");
    switch (use) {
    case SEG_USE_DATA:
        if (desc_is_code(d) && !(d & DESC_WRITABLE))
            REFUSE(GP, err, "is execute-only code");
        if ((desc_is_data(d) || !(d & DESC_CONFORM)) && dpl < (cpl > rpl ? cpl : rpl))
            REFUSE(GP, err, "is more privileged than the code loading it");
        if (!(d & DESC_PRESENT))
            REFUSE(NP, err, "is not present");
        return 0;
    case SEG_USE_SS:
        if (rpl != cpl)
            REFUSE(GP, err, "has an RPL other than the CPL");
        if (!desc_is_data(d) || !(d & DESC_WRITABLE))
            REFUSE(GP, err, "is not writable data");
        if (dpl != cpl)
            REFUSE(GP, err, "has a DPL other than the CPL");
        if (!(d & DESC_PRESENT))
            REFUSE(SSF, err, "is not present");
        return 0;
    case SEG_USE_CS_RET:
        if (rpl < cpl)
            REFUSE(GP, err, "returns to a more privileged ring");
        if (!desc_is_code(d))
            REFUSE(GP, err, "is not code");
        if (d & DESC_CONFORM ? dpl > rpl : dpl != rpl)
            REFUSE(GP, err, "has a DPL that does not match its RPL");
        if (d & DESC_L)
            REFUSE(GP, err, "is 64-bit code");
        if (!(d & DESC_PRESENT))
            REFUSE(NP, err, "is not present");
        return 0;
    case SEG_USE_CS_GATE:
        if (!desc_is_code(d))
            REFUSE(GP, err, "is not code");
        if (dpl > cpl)
            REFUSE(GP, err, "is less privileged than the interrupted code");
        if (d & DESC_L)
            REFUSE(GP, err, "is 64-bit code");
        if (!(d & DESC_PRESENT))
            REFUSE(NP, err, "is not present");
        return 0;
    }
#undef REFUSE
    *why = "is of no known use";
    return SEG_FAULT(GP, err);
}

uint32_t seg_check(uint16_t sel, uint64_t d, enum seg_use use, unsigned cpl)
{
    const char *why;
    return judge(sel, d, use, cpl, &why);
}

const char *seg_why(uint16_t sel, uint64_t d, enum seg_use use, unsigned cpl)
{
    const char *why = "is fine";
    judge(sel, d, use, cpl, &why);
    return why;
}

uint32_t seg_access(uint64_t d, uint32_t off, uint32_t len, enum seg_access a, bool stack)
{
    uint32_t fault = stack ? SEG_FAULT(SSF, 0) : SEG_FAULT(GP, 0);
    if (!d || !(d & DESC_S))
        return SEG_FAULT(GP, 0);
    bool code = d & DESC_CODE;
    if (a == SEG_FETCH ? !code : a == SEG_WRITE ? code || !(d & DESC_WRITABLE) : code && !(d & DESC_WRITABLE))
        return fault;
    uint64_t first = off, last = first + len - 1, limit = desc_limit(d);
    if (!code && (d & DESC_CONFORM)) {               /* expand-down: limit+1 .. the top */
        uint64_t top = d & DESC_DB ? 0xffffffffull : 0xffffull;
        return first <= limit || last > top ? fault : 0;
    }
    return last > limit ? fault : 0;
}
