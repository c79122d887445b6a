/* pagetest: every combination of the PDE and PTE bits that change an
 * access against the SDM's model of 32-bit paging (pagetest.h). */
#include "pagetest.h"

/* ---- the SDM's 32-bit paging, for one access ------------------------- */
struct want {
    int fault;
    uint32_t err, pde, pte, pde_unknown;
};

static struct want model(uint32_t pde, uint32_t pte, int pse, int wp, int user, int kind)
{
    struct want w = { 0, (user ? PF_U : 0) | (kind == WRITE ? PF_W : 0), pde, pte, 0 };
    if (!(pde & P)) {
        w.fault = 1;
        return w;
    }
    int big = pse && (pde & PS);               /* CR4.PSE=0: PS is ignored */
    if (!big && !(pte & P)) {
        w.fault = 1;
        w.pde_unknown = pde & A ? 0 : A;       /* CPUs differ */
        return w;
    }
    uint32_t eff = big ? pde : (pde & pte);
    if ((user && !(eff & U)) || (kind == WRITE && !(eff & W) && (user || wp))) {
        w.fault = 1;
        w.err |= PF_P;
        if (!big)
            w.pde_unknown = pde & A ? 0 : A;
        return w;
    }
    if (big) {
        w.pde |= A | (kind == WRITE ? D : 0);
    } else {
        w.pde |= A;
        w.pte |= A | (kind == WRITE ? D : 0);
    }
    return w;
}

void set_cr0_wp(int wp)
{
    uint32_t cr0 = rd_cr0();
    if (!!(cr0 & CR0_WP) != wp)
        wr_cr0(wp ? cr0 | CR0_WP : cr0 & ~CR0_WP);
}

void set_cr4(uint32_t bits, int on)
{
    uint32_t cr4 = rd_cr4();
    if (!!(cr4 & bits) != on)
        wr_cr4(on ? cr4 | bits : cr4 & ~bits);
}

/* Rebuild the two entries of the window, then invlpg: one walk case. */
static void walk_case(const char *sect, int pse, uint32_t pde_bits, uint32_t pte_bits,
                      uint32_t page, int kind, int user, int wp)
{
    uint32_t pde = BIG_A | pde_bits, pte = page | pte_bits;
    phys32(PT_TEST)[1] = pte;
    WIN_PDE = pde;
    page_fill(page);
    invlpg(TEST_VA);

    uint32_t addr = kind == FETCH ? TEST_CODE : TEST_VA;
    struct want w = model(pde, pte, pse, wp, user, kind);
    /* what the access reaches when it does: PAGE_A as a 4 MiB page, else the PTE's page */
    uint32_t target = (pse && (pde & PS)) ? PAGE_A : page;
    uint32_t want_val = kind == READ ? page_val(target) : kind == WRITE ? WRITE_VAL : page_fetch(target);
    uint32_t before = page_val(target);
    struct res r = access(kind, user, addr);
    uint32_t pde_after = WIN_PDE, pte_after = phys32(PT_TEST)[1];

    put(sect);
    put(user ? " r3 " : " r0 ");
    put(kind_name[kind]);
    put(wp ? " wp1" : " wp0");
    put(" pde=");
    put_flags(pde, 0);
    put(" pte=");
    put_flags(pte, 0);
    int bad = put_outcome(&r, kind, user, addr, w.fault, w.err, addr, want_val, target, before);
    if (r.fault && !w.fault)
        bad = 1;
    put(" | pde=");
    put_flags(pde_after, w.pde_unknown);
    put(" pte=");
    put_flags(pte_after, 0);
    bad |= (pde_after & ~w.pde_unknown) != (w.pde & ~w.pde_unknown) || pte_after != w.pte;
    end_case(bad);
}

static void walk_all(const char *sect, int pse, const uint32_t *pdes, int npde,
                     const uint32_t *ptes, int npte, uint32_t page)
{
    for (int wp = 0; wp < 2; wp++) {
        set_cr0_wp(wp);
        for (int user = 0; user < (ring0only ? 1 : 2); user++)
            for (int kind = READ; kind <= FETCH; kind++)
                for (int i = 0; i < npde; i++) {
                    int big = pse && (pdes[i] & PS);
                    /* a PDE that is absent or maps 4 MiB reads no PTE: one is enough */
                    int n = (!(pdes[i] & P) || big) ? 1 : npte;
                    for (int j = 0; j < n; j++)
                        walk_case(sect, pse, pdes[i], ptes[j], page, kind, user, wp);
                }
    }
}

/* every subset of bits (P always on), after a first entry without P */
static int subsets(uint32_t *out, uint32_t base, const uint32_t *bits, int nbits, uint32_t absent)
{
    int n = 0;
    if (absent)
        out[n++] = absent;
    for (int m = 0; m < (1 << nbits); m++) {
        uint32_t e = base;
        for (int b = 0; b < nbits; b++)
            if (m & (1 << b))
                e |= bits[b];
        out[n++] = e;
    }
    return n;
}

void walks(void)
{
    static const uint32_t wua[] = { W, U, A }, wuad[] = { W, U, A, D }, wuadg[] = { W, U, A, D, G },
                          wu[] = { W, U };
    uint32_t pdes[40], ptes[40];
    int npde, npte;

    /* 4 KiB pages: PDE P/W/U/A (D and G are ignored in a PDE that maps a
     * table), PTE P/W/U/A/D */
    set_cr4(CR4_PSE, 1);
    npde = subsets(pdes, P, wua, 3, W | U | A);
    npte = subsets(ptes, P, wuad, 4, W | U | A | D);
    walk_all("4k", 1, pdes, npde, ptes, npte, PAGE_A);

    /* 4 KiB global pages: G changes no access, only what a CR3 write keeps */
    pdes[0] = P | W | U | A;
    npte = subsets(ptes, P | G, wuad, 4, 0);
    walk_all("4k-g", 1, pdes, 1, ptes, npte, PAGE_A);

    /* D and G are ignored in a PDE that maps a table: they change no
     * access, and the CPU never writes D there */
    pdes[0] = P | W | U | D;
    pdes[1] = P | W | U | G;
    pdes[2] = P | W | U | D | G;
    ptes[0] = W | U;
    ptes[1] = P | W | U;
    ptes[2] = P | U;
    walk_all("4k-ignored", 1, pdes, 3, ptes, 3, PAGE_A);

    /* 4 MiB pages: the PDE is the leaf, with its own D and G */
    npde = subsets(pdes, P | PS, wuadg, 5, W | U | A | D | PS);
    ptes[0] = P | W | U;                       /* never read: its A must stay clear */
    walk_all("4m", 1, pdes, npde, ptes, 1, PAGE_A);

    /* CR4.PSE=0: PS is ignored and the PDE maps a table (whose PTE 1
     * points at PAGE_B, so a 4 MiB mapping would read PAGE_A instead) */
    set_cr4(CR4_PSE, 0);
    npde = subsets(pdes, P | PS, wu, 2, 0);
    npte = subsets(ptes, P, wu, 2, W | U);
    walk_all("ps-ignored", 0, pdes, npde, ptes, npte, PAGE_B);
    set_cr4(CR4_PSE, 1);
    set_cr0_wp(1);
}
