/* pagetest: instructions a host emulates on paged operands, self-modifying
 * code, and ring 3 before paging (pagetest.h). */
#include "pagetest.h"

/* ---- instructions a host emulates, on paged operands ------------------- */
/* What a host emulates (descriptor-table loads and stores, string I/O)
 * must see the guest's page tables as the CPU does: the same #PF, CR2 and
 * error code, nothing written on a fault, and ring 3's sgdt (legal without
 * UMIP) checked with user privilege. */
/* mem: the guest-physical dword the operand starts in, which must then hold
 * mem_want (0: not checked) */
static void emul_case(const char *name, void (*fn)(void), const char *at, int user, uint32_t addr,
                      int want_fault, uint32_t want_err, uint32_t cr2, uint32_t mem,
                      uint32_t mem_want)
{
    if (ring0only && user)
        return;
    struct res r = probe_at(fn, user, addr);
    put("emul ");
    put(name);
    put(user ? " r3" : " r0");
    put(" -> ");
    int bad;
    if (r.fault)
        bad = !put_fault(&r, user, (uint32_t)at, (uint32_t)ustack_top, cr2) || !want_fault ||
              r.vec != 14 || r.err != want_err;
    else {
        put("ok");
        bad = want_fault;
    }
    uint32_t m = mem ? *phys32(mem) : 0;
    if (mem && m != mem_want) {
        put(" mem=");
        put_hex(m);
        bad = 1;
    }
    put(" | pte=");
    put_flags(phys32(PT_TEST)[1], 0);
    end_case(bad);
}

void emul(void)
{
    const uint32_t t = PT_TEST | P | W | U | A;
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdtr;
    __asm__ volatile("sgdt %0" : "=m"(gdtr));
    uint32_t g0 = gdtr.limit | (gdtr.base << 16);   /* the first dword sgdt stores */
    const uint32_t op = TEST_VA + 0x20, opm = PAGE_A + 0x20, junk = 0x5a5a5a5a;

    set_cr0_wp(1);
    *phys32(opm) = junk;
    map(t, PAGE_A | W | U | A);                        /* absent */
    invlpg(TEST_VA);
    emul_case("lgdt absent", k_lgdt, k_lgdt_at, 0, op, 1, 0, op, opm, junk);
    emul_case("sidt absent", k_sidt, k_sidt_at, 0, op, 1, PF_W, op, opm, junk);
    emul_case("outsb absent", k_outsb, k_outsb_at, 0, op, 1, 0, op, opm, junk);

    map(t, PAGE_A | P | U | A);                        /* read-only, user */
    invlpg(TEST_VA);
    emul_case("sgdt read-only", k_sgdt, k_sgdt_at, 0, op, 1, PF_P | PF_W, op, opm, junk);
    emul_case("sgdt read-only", u_sgdt, u_sgdt_at, 1, op, 1, PF_P | PF_W | PF_U, op, opm, junk);
    emul_case("insb read-only", k_insb, k_insb_at, 0, op, 1, PF_P | PF_W, op, opm, junk);

    map(t, PAGE_A | P | W | A);                        /* supervisor */
    invlpg(TEST_VA);
    emul_case("sgdt supervisor", u_sgdt, u_sgdt_at, 1, op, 1, PF_P | PF_W | PF_U, op, opm, junk);
    emul_case("sgdt supervisor", k_sgdt, k_sgdt_at, 0, op, 0, 0, 0, opm, g0);
    emul_case("lgdt supervisor (the same GDTR)", k_lgdt, k_lgdt_at, 0, op, 0, 0, 0, opm, g0);
    *phys32(opm) = junk;

    map(t, PAGE_A | P | W | U | A);                    /* user, writable */
    invlpg(TEST_VA);
    emul_case("sgdt user", u_sgdt, u_sgdt_at, 1, op, 0, 0, 0, opm, g0);
    *phys32(opm) = junk;

    /* an operand across the page boundary, the second page absent */
    phys32(PT_TEST)[2] = PAGE_B | W | U | A;
    invlpg(TEST_VA + 0x1000);
    uint32_t edge = TEST_VA + 0xffc, edgem = PAGE_A + 0xffc, e0 = *phys32(edgem);
    emul_case("lgdt across into absent", k_lgdt, k_lgdt_at, 0, edge, 1, 0, TEST_VA + 0x1000, edgem, e0);
    /* memory unchecked: QEMU stores sgdt's limit before its base faults,
     * and nothing in the SDM says a CPU may not */
    emul_case("sgdt across into absent", k_sgdt, k_sgdt_at, 0, edge, 1, PF_W, TEST_VA + 0x1000, 0, 0);
    *phys32(edgem) = e0;
    phys32(PT_TEST)[2] = 0;
    invlpg(TEST_VA + 0x1000);
    page_fill(PAGE_A);
}

/* ---- self-modifying code --------------------------------------------- */
static void poke(uint32_t at, const uint8_t *b, int n)
{
    for (int i = 0; i < n; i++)
        phys8(at)[i] = b[i];
}

/* mov eax, v; ret */
static void put_mov_ret(uint32_t at, uint32_t v)
{
    const uint8_t b[6] = { 0xb8, v, v >> 8, v >> 16, v >> 24, 0xc3 };
    poke(at, b, 6);
}

static void smc_call(const char *sect, const char *what, uint32_t entry, uint32_t want)
{
    struct res r = access(FETCH, 0, entry);
    put(sect);
    put(" ");
    put(what);
    put(" -> ");
    if (r.fault) {
        put("exception ");
        put_dec(r.vec);
        put(" err=");
        put_hex(r.err);
        put(" eip=");
        put_hex(r.eip);
    } else {
        put("eax=");
        put_hex(r.val);
    }
    end_case(r.fault || r.val != want);
}

/* sect names the run (paging off or on); alias: a linear address through
 * which SMC1 can also be written (0 for none) */
void smc(const char *sect, uint32_t alias)
{
    uint32_t e = SMC1 + 0x100;
    put_mov_ret(e, 0x11111111);
    smc_call(sect, "same-page v1", e, 0x11111111);
    put_mov_ret(e, 0x22222222);
    smc_call(sect, "same-page v2", e, 0x22222222);

    /* mov eax, imm32 from SMC2-2: opcode and one immediate byte on the
     * first page, three on the second, ret after */
    uint32_t s = SMC2 - 2;
    put_mov_ret(s, 0x33333333);
    smc_call(sect, "straddle v1", s, 0x33333333);
    const uint8_t hi[3] = { 0x55, 0x55, 0x55 };
    poke(SMC2, hi, 3);
    smc_call(sect, "straddle second page rewritten", s, 0x55555533);
    const uint8_t lo = 0x66;
    poke(SMC2 - 1, &lo, 1);
    smc_call(sect, "straddle first page rewritten", s, 0x55555566);
    /* another instruction across the same boundary: add eax, imm32 after xor */
    const uint8_t add[] = { 0x31, 0xc0, 0x05, 0x78, 0x56, 0x34, 0x12, 0xc3 }; /* xor eax,eax; add eax,0x12345678; ret */
    poke(SMC2 - 4, add, sizeof add);
    smc_call(sect, "straddle other instructions", SMC2 - 4, 0x12345678);

    /* code that rewrites its own next instruction: mov byte [imm], 0x99;
     * jmp $+2; mov eax, 0x44444444; ret */
    uint32_t o = SMC1 + 0x200, imm = o + 7 + 2 + 1;
    const uint8_t own[] = { 0xc6, 0x05, imm, imm >> 8, imm >> 16, imm >> 24, 0x99,
                            0xeb, 0x00, 0xb8, 0x44, 0x44, 0x44, 0x44, 0xc3 };
    poke(o, own, sizeof own);
    smc_call(sect, "rewrites its next instruction", o, 0x44444499);

    /* pushf written over code that ran: IF (clear here) and IOPL (0) must
     * read as the guest set them: pushf; pop eax; and eax, 0x3200; ret */
    const uint8_t pf[] = { 0x9c, 0x58, 0x25, 0x00, 0x32, 0x00, 0x00, 0xc3 };
    poke(e, pf, sizeof pf);
    smc_call(sect, "pushf over old code", e, 0);

    /* pushf and popf written where no scan has been, beside scanned code,
     * and run through another linear address where there is one (the
     * page is scanned by physical address): pushf; pushf; popf; pop eax;
     * and eax, 0x3200; ret */
    const uint8_t pp[] = { 0x9c, 0x9c, 0x9d, 0x58, 0x25, 0x00, 0x32, 0x00, 0x00, 0xc3 };
    poke(SMC1 + 0x300, pp, sizeof pp);
    smc_call(sect, alias ? "pushf beside code, run through an alias" : "pushf beside code",
             (alias ? alias : SMC1) + 0x300, 0);

    if (alias) {
        /* written through another linear address, run through its own */
        put_mov_ret(alias + 0x100, 0x77777777);
        smc_call(sect, "written through an alias", e, 0x77777777);
    }
}

/* ---- ring 3 before paging: the way in and out ---------------------------- */
static uint32_t user_word = 0x5eed5eed;

void ring3_basics(void)
{
    struct res r = access(READ, 1, (uint32_t)&user_word);
    put("ring3 read, back by int 0x80 -> ");
    if (r.fault) {
        put("exception ");
        put_dec(r.vec);
    } else {
        put("eax=");
        put_hex(r.val);
    }
    end_case(r.fault || r.val != 0x5eed5eed);

    probe_addr = 0;
    uint32_t v = probe(u_cli, 1);
    put("ring3 cli -> ");
    int ok = xrec.fault && xrec.vec == 13 && xrec.err == 0 && xrec.eip == (uint32_t)u_cli_at &&
             xrec.cs == UCODE && xrec.ss == UDATA && xrec.esp == (uint32_t)ustack_top;
    if (xrec.fault) {
        put("exception ");
        put_dec(xrec.vec);
        put(" err=");
        put_hex(xrec.err);
        put(ok ? " at=ok" : " at=wrong");
    } else {
        put("eax=");
        put_hex(v);
    }
    end_case(!ok);
}
