/*
 * pagetest: a paging torture guest (after kvm-unit-tests' x86/access.c).
 *
 * A bare-metal 32-bit Multiboot v1 image that enumerates 32-bit paging:
 * every combination of the PDE and PTE bits that change an access's outcome
 * (P, R/W, U/S, A, D, PS, G) x read/write/fetch x ring 0/3 x CR0.WP, with
 * CR4.PSE on (4 KiB and 4 MiB pages) and off (PS ignored); then the TLB
 * rules that are architectural (a non-present entry is never cached, a #PF
 * drops the faulting address's entry, invlpg and CR3/CR4.PGE writes make
 * the new entries seen, global pages), accesses that straddle a page, the
 * instructions a host emulates (lgdt, sgdt, sidt, ins, outs) on paged
 * operands, and self-modifying code (same page, across a page boundary, through an
 * alias, code that rewrites its own next instruction), with paging off
 * and on.
 *
 * Each case is one line on COM1: what was set, what the access did (the
 * vector, the error code, CR2, the faulting EIP and, from ring 3, the
 * pushed CS/SS/ESP), and the PDE and PTE as the access left them.  The
 * transcript of a bare PC (QEMU's i386) is the oracle a host must match
 * line for line (tests/suites/pagetest.sh); the guest also checks every
 * case against its own model of the SDM and marks a disagreement with
 * "!sdm", so a wrong oracle would show too.  The transcript never depends
 * on timing; it ends with "DIGEST <hex>", FNV-1a 64 over every line
 * before it.
 *
 * Only what the architecture defines is printed: a TLB may drop an entry
 * at any time, so nothing here relies on a stale entry being used; and
 * whether a faulting walk sets the PDE's Accessed bit differs between
 * CPUs (kvm-unit-tests ignores it too), so that bit prints as '?' then.
 *
 * The accesses themselves, the exception stubs and the way into ring 3
 * are in entry.asm; everything else is plain C, because the point of this
 * file is the enumeration and the model, which read better in C.
 */
#include <stdint.h>

/* ---- x86 ------------------------------------------------------------ */
#define P   (1u << 0)
#define W   (1u << 1)
#define U   (1u << 2)
#define A   (1u << 5)
#define D   (1u << 6)
#define PS  (1u << 7)
#define G   (1u << 8)
#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PGE (1u << 7)
#define KCODE 0x08
#define KDATA 0x10
#define UCODE (0x18 | 3)
#define UDATA (0x20 | 3)
#define TSSSEL 0x28

/* ---- the layout ------------------------------------------------------
 * Linear 0..16 MiB maps to itself (4 KiB pages, user, writable): the image,
 * its stacks and tables, and everything below.  The test window is the
 * PDE at TEST_LIN; its page table, PT_TEST, is the first page of the
 * 4 MiB-aligned frame the same PDE maps as a large page, and PTE 1 maps
 * the page right after it: so TEST_VA reaches PAGE_A both ways, through
 * a page table and as a 4 MiB page, and the PDE's flags alone decide. */
#define TEST_LIN    0x40000000u
#define TEST_PDI    (TEST_LIN >> 22)
#define TEST_VA     (TEST_LIN + 0x1000)    /* PTE index 1 */
#define CODE_OFF    0x10                   /* mov eax, imm32; ret */
#define TEST_CODE   (TEST_VA + CODE_OFF)
#define BIG_A       0x00c00000u            /* 4 MiB frame: PT_TEST, PAGE_A, ... */
#define PT_TEST     (BIG_A + 0x0000)
#define PAGE_A      (BIG_A + 0x1000)
#define PAGE_B      (BIG_A + 0x2000)
#define PAGE_C      (BIG_A + 0x3000)
#define PT_TEST2    (BIG_A + 0x4000)
#define PAGE_D      (BIG_A + 0x5000)
#define SMC1        (BIG_A + 0x10000)      /* two pages of code written at run time */
#define SMC2        (SMC1 + 0x1000)
#define BIG_Y       0x00800000u            /* another 4 MiB frame */
#define PAGE_Y      (BIG_Y + 0x1000)
#define IDENT_MB    16
#define WRITE_VAL   0x77e1e77eu            /* entry.asm's */

enum kind { READ, WRITE, FETCH };
static const char *const kind_name[] = { "read", "write", "fetch" };

/* ---- from entry.asm -------------------------------------------------- */
struct xrec { uint32_t fault, vec, err, eip, cs, eflags, esp, ss, cr2; };
volatile struct xrec xrec;
volatile uint32_t probe_addr;
uint32_t probe(void (*fn)(void), int user);
extern void k_read(void), k_write(void), k_fetch(void), u_read(void), u_write(void),
    u_fetch(void), u_cli(void), sys_back(void);
extern char k_read_at[], k_write_at[], u_read_at[], u_write_at[], u_cli_at[];
/* instructions a host emulates, with their memory operand at probe_addr */
extern void k_lgdt(void), k_sgdt(void), u_sgdt(void), k_sidt(void), k_outsb(void), k_insb(void);
extern char k_lgdt_at[], k_sgdt_at[], u_sgdt_at[], k_sidt_at[], k_outsb_at[], k_insb_at[];
extern char estack_top[], ustack_top[];
extern const uint32_t exc_stubs[32];

/* ---- descriptor tables and page tables ------------------------------- */
static uint64_t gdt[6] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static uint32_t tss[26] __attribute__((aligned(16)));
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pd2[1024] __attribute__((aligned(4096)));
static uint32_t ident_pt[IDENT_MB / 4][1024] __attribute__((aligned(4096)));
/* the window's PDE: the CPU writes its A and D bits behind the compiler's back */
#define WIN_PDE (((volatile uint32_t *)pd)[TEST_PDI])

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t rd_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t rd_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint32_t rd_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void wr_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline void wr_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void wr_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }
static inline void invlpg(uint32_t a) { __asm__ volatile("invlpg (%0)" :: "r"(a) : "memory"); }
static inline volatile uint32_t *phys32(uint32_t a) { return (volatile uint32_t *)a; }
static inline volatile uint8_t *phys8(uint32_t a) { return (volatile uint8_t *)a; }

/* ---- output: COM1, one line at a time, each into the digest ---------- */
static char line[256];
static unsigned line_len;
static uint64_t digest = 0xcbf29ce484222325ull;
static unsigned cases, disagreements;
/* "ring0only" on the command line: no ring-3 case (a host without guest
 * user mode can still be checked for the rest; its bare transcript differs) */
static int ring0only;

static void com1(char c)
{
    while (!(inb(0x3fd) & 0x20))
        ;
    outb(0x3f8, (uint8_t)c);
}

static void put(const char *s)
{
    while (*s && line_len < sizeof line - 2)
        line[line_len++] = *s++;
}

static void put_hex(uint32_t v)
{
    char b[11] = "0x";
    int n = 2, shift = 28;
    while (shift > 0 && !((v >> shift) & 0xf))
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        b[n++] = "0123456789abcdef"[(v >> shift) & 0xf];
    b[n] = 0;
    put(b);
}

static void put_dec(uint32_t v)
{
    char b[12];
    int n = 11;
    b[n] = 0;
    do {
        b[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(b + n);
}

/* end the line: into the digest (with its newline) and onto COM1 */
static void emit(void)
{
    line[line_len++] = '\n';
    for (unsigned i = 0; i < line_len; i++) {
        digest ^= (uint8_t)line[i];
        digest *= 0x100000001b3ull;
        com1(line[i]);
    }
    line_len = 0;
}

static void say(const char *s)
{
    put(s);
    emit();
}

static __attribute__((noreturn)) void leave(uint8_t code)
{
    outb(0xf4, code);
    for (;;)
        ;
}

/* An exception outside probe(): the guest cannot go on. */
void pt_fatal(void)
{
    line_len = 0;
    put("pagetest: unexpected exception ");
    put_dec(xrec.vec);
    put(" err ");
    put_hex(xrec.err);
    put(" eip ");
    put_hex(xrec.eip);
    put(" cr2 ");
    put_hex(xrec.cr2);
    emit();
    leave(3);
}

/* "PWUADSG" with '-' for a clear bit and '?' for one the SDM leaves open */
static void put_flags(uint32_t e, uint32_t unknown)
{
    static const uint32_t bit[7] = { P, W, U, A, D, PS, G };
    char b[8];
    for (int i = 0; i < 7; i++)
        b[i] = (unknown & bit[i]) ? '?' : (e & bit[i]) ? "PWUADSG"[i] : '-';
    b[7] = 0;
    put(b);
}

/* ---- setup ----------------------------------------------------------- */
static void set_gate(int vec, uint32_t handler, uint8_t type)
{
    idt[vec] = (handler & 0xffff) | ((uint64_t)KCODE << 16) | ((uint64_t)type << 40) |
               ((uint64_t)(handler >> 16) << 48);
}

static void setup_cpu(void)
{
    gdt[0] = 0;
    gdt[1] = 0x00cf9a000000ffffull;            /* ring-0 code */
    gdt[2] = 0x00cf92000000ffffull;            /* ring-0 data */
    gdt[3] = 0x00cffa000000ffffull;            /* ring-3 code */
    gdt[4] = 0x00cff2000000ffffull;            /* ring-3 data */
    uint32_t base = (uint32_t)tss;
    gdt[5] = (sizeof tss - 1) | ((uint64_t)(base & 0xffffff) << 16) | (0x89ull << 40) |
             ((uint64_t)(base >> 24) << 56);   /* available 32-bit TSS */
    tss[1] = (uint32_t)estack_top;             /* esp0 */
    tss[2] = KDATA;                            /* ss0 */
    tss[25] = (uint32_t)sizeof tss << 16;      /* I/O bitmap beyond the limit: none */
    for (int v = 0; v < 32; v++)
        set_gate(v, exc_stubs[v], 0x8e);       /* interrupt gates, DPL 0 */
    set_gate(0x80, (uint32_t)sys_back, 0xee);  /* DPL 3: ring 3 comes back */
    struct { uint16_t limit; uint32_t base; } __attribute__((packed))
        gdtr = { sizeof gdt - 1, (uint32_t)gdt }, idtr = { sizeof idt - 1, (uint32_t)idt };
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp %1, $1f\n"
                     "1:\n\t"
                     "mov %2, %%ds\n\tmov %2, %%es\n\tmov %2, %%fs\n\tmov %2, %%gs\n\tmov %2, %%ss\n\t"
                     "lidt %3\n\t"
                     "ltr %w4"
                     :: "m"(gdtr), "i"(KCODE), "r"(KDATA), "m"(idtr), "r"(TSSSEL) : "memory");
}

/* a page of test data: its value at 0, `mov eax, fetch value; ret` at CODE_OFF */
static uint32_t page_val(uint32_t page) { return 0xda7a0000u | (page >> 12); }
static uint32_t page_fetch(uint32_t page) { return 0xc0de0000u | (page >> 12); }

/* Written only where it differs, so that the code on it is not rewritten
 * (self-modifying code is tested on purpose, below, not on every case). */
static void page_fill(uint32_t page)
{
    uint32_t f = page_fetch(page);
    const uint8_t code[6] = { 0xb8, f, f >> 8, f >> 16, f >> 24, 0xc3 };
    if (*phys32(page) != page_val(page))
        *phys32(page) = page_val(page);
    for (int i = 0; i < 6; i++)
        if (phys8(page + CODE_OFF)[i] != code[i])
            phys8(page + CODE_OFF)[i] = code[i];
}

static void setup_paging(void)
{
    for (uint32_t i = 0; i < 1024; i++)
        pd[i] = 0;
    for (uint32_t t = 0; t < IDENT_MB / 4; t++) {
        for (uint32_t i = 0; i < 1024; i++)
            ident_pt[t][i] = ((t << 22) | (i << 12)) | P | W | U | A | D;
        pd[t] = (uint32_t)ident_pt[t] | P | W | U | A;
    }
    for (uint32_t i = 0; i < 1024; i++) {
        phys32(PT_TEST)[i] = 0;
        phys32(PT_TEST2)[i] = 0;
        pd2[i] = pd[i];
    }
    pd2[TEST_PDI] = PT_TEST2 | P | W | U | A;
    phys32(PT_TEST2)[1] = PAGE_D | P | W | U | A;
    page_fill(PAGE_A);
    page_fill(PAGE_B);
    page_fill(PAGE_C);
    page_fill(PAGE_D);
    page_fill(PAGE_Y);
}

/* ---- one access ------------------------------------------------------- */
struct res {
    int fault;
    uint32_t vec, err, cr2, eip, cs, ss, esp, val;
};

static struct res access(int kind, int user, uint32_t addr)
{
    static void (*const fn[2][3])(void) = {
        { k_read, k_write, k_fetch }, { u_read, u_write, u_fetch } };
    struct res r = { 0 };
    probe_addr = addr;
    r.val = probe(fn[user][kind], user);
    r.fault = (int)xrec.fault;
    if (r.fault) {
        r.vec = xrec.vec;
        r.err = xrec.err;
        r.cr2 = xrec.cr2;
        r.eip = xrec.eip;
        r.cs = xrec.cs;
        r.ss = xrec.ss;
        r.esp = xrec.esp;
    }
    return r;
}

/* " #PF err=E cr2=ok at=ok": the fault, its CR2 and where it was taken
 * (EIP, and from ring 3 the pushed CS, SS and ESP); 1 if CR2 and the
 * frame are right */
static int put_fault(const struct res *r, int user, uint32_t eip, uint32_t esp, uint32_t cr2)
{
    if (r->vec == 14)
        put("#PF");
    else {
        put("exception ");
        put_dec(r->vec);
    }
    put(" err=");
    put_hex(r->err);
    put(" cr2=");
    if (r->cr2 == cr2)
        put("ok");
    else
        put_hex(r->cr2);
    int at_ok = r->eip == eip && r->cs == (user ? UCODE : KCODE) &&
                (!user || (r->ss == UDATA && r->esp == esp));
    put(" at=");
    if (at_ok)
        put("ok");
    else {
        put_hex(r->eip);
        put(":");
        put_hex(r->cs);
        put(":");
        put_hex(r->ss);
        put(":");
        put_hex(r->esp);
    }
    return at_ok && r->cr2 == cr2;
}

/* The outcome, checked against what was wanted: want_fault with want_err
 * (a #PF at cr2), or else the value want_val.  mem: the guest-physical
 * dword the access targets; it must hold WRITE_VAL after a write that did
 * not fault and mem_before otherwise.  Returns 1 if anything disagrees. */
static int put_outcome(const struct res *r, int kind, int user, uint32_t addr, int want_fault,
                       uint32_t want_err, uint32_t cr2, uint32_t want_val, uint32_t mem,
                       uint32_t mem_before)
{
    int bad = 0;
    put(" -> ");
    if (r->fault) {
        uint32_t eip = kind == READ ? (uint32_t)(user ? u_read_at : k_read_at)
                     : kind == WRITE ? (uint32_t)(user ? u_write_at : k_write_at) : addr;
        uint32_t esp = (uint32_t)ustack_top - (kind == FETCH ? 4 : 0);
        int at_ok = put_fault(r, user, eip, esp, cr2);
        bad |= !want_fault || r->vec != 14 || r->err != want_err || r->cr2 != cr2 || !at_ok;
    } else {
        put("ok");
        if (r->val != want_val) {
            put(" val=");
            put_hex(r->val);
        }
        bad |= want_fault || r->val != want_val;
    }
    uint32_t m = *phys32(mem);
    uint32_t want_m = (!r->fault && kind == WRITE) ? WRITE_VAL : mem_before;
    if (m != want_m) {
        put(" mem=");
        put_hex(m);
        bad = 1;
    }
    return bad;
}

static void end_case(int bad)
{
    cases++;
    if (bad) {
        disagreements++;
        put(" !sdm");
    }
    emit();
}

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

static void set_cr0_wp(int wp)
{
    uint32_t cr0 = rd_cr0();
    if (!!(cr0 & CR0_WP) != wp)
        wr_cr0(wp ? cr0 | CR0_WP : cr0 & ~CR0_WP);
}

static void set_cr4(uint32_t bits, int on)
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

static void walks(void)
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

/* ---- the TLB: what the architecture promises -------------------------- */
static void map(uint32_t pde, uint32_t pte) /* no invlpg: the caller says */
{
    phys32(PT_TEST)[1] = pte;
    WIN_PDE = pde;
}

/* one step of a named scenario: the access, its outcome, the entries after */
static void step(const char *name, const char *what, int kind, int user, uint32_t addr,
                 int want_fault, uint32_t want_err, uint32_t want_val, uint32_t mem)
{
    if (ring0only && user)
        return;
    uint32_t before = *phys32(mem);
    struct res r = access(kind, user, addr);
    put("tlb ");
    put(name);
    put(": ");
    put(what);
    put(user ? " r3 " : " r0 ");
    put(kind_name[kind]);
    int bad = put_outcome(&r, kind, user, addr, want_fault, want_err, addr, want_val, mem, before);
    put(" | pde=");
    put_flags(WIN_PDE, 0);
    put(" pte=");
    put_flags(phys32(PT_TEST)[1], 0);
    end_case(bad);
}

static void tlb(void)
{
    const uint32_t t = PT_TEST | P | W | U | A;   /* the window's PDE, to a table */
    uint32_t va = page_val(PAGE_A), vb = page_val(PAGE_B), vc = page_val(PAGE_C);

    set_cr0_wp(1);
    /* a non-present entry is never cached: made present, it is used at once */
    map(t, PAGE_A | W | U | A);
    invlpg(TEST_VA);
    step("np-pte", "absent", READ, 0, TEST_VA, 1, 0, 0, PAGE_A);
    map(t, PAGE_A | P | W | U | A);
    step("np-pte", "made present, no invlpg", READ, 0, TEST_VA, 0, 0, va, PAGE_A);

    map(t, PAGE_A | W | U | A);
    invlpg(TEST_VA);
    step("np-pte-user-write", "absent", WRITE, 1, TEST_VA, 1, PF_W | PF_U, 0, PAGE_A);
    map(t, PAGE_A | P | W | U | A);
    step("np-pte-user-write", "made present, no invlpg", WRITE, 1, TEST_VA, 0, 0, WRITE_VAL, PAGE_A);
    page_fill(PAGE_A);

    map(t & ~P, PAGE_A | P | W | U | A);
    invlpg(TEST_VA);
    step("np-pde", "absent", READ, 0, TEST_VA, 1, 0, 0, PAGE_A);
    map(t, PAGE_A | P | W | U | A);
    step("np-pde", "made present, no invlpg", READ, 0, TEST_VA, 0, 0, va, PAGE_A);

    map(BIG_A | PS | W | U | A, 0);
    invlpg(TEST_VA);
    step("np-pde-4m", "absent", FETCH, 0, TEST_CODE, 1, 0, 0, PAGE_A);
    map(BIG_A | PS | P | W | U | A, 0);
    step("np-pde-4m", "made present, no invlpg", FETCH, 0, TEST_CODE, 0, 0, page_fetch(PAGE_A), PAGE_A);

    map(t, PAGE_A | W | U | A | G);
    invlpg(TEST_VA);
    step("np-pte-global", "absent", READ, 0, TEST_VA, 1, 0, 0, PAGE_A);
    map(t, PAGE_A | P | W | U | A | G);
    step("np-pte-global", "made present, no invlpg", READ, 0, TEST_VA, 0, 0, va, PAGE_A);

    /* a #PF drops the faulting address's entries: relaxed, the entry is used */
    map(t, PAGE_A | P | U | A);
    invlpg(TEST_VA);
    step("pf-flushes-w", "read-only", WRITE, 0, TEST_VA, 1, PF_P | PF_W, 0, PAGE_A);
    map(t, PAGE_A | P | W | U | A);
    step("pf-flushes-w", "made writable, no invlpg", WRITE, 0, TEST_VA, 0, 0, WRITE_VAL, PAGE_A);
    page_fill(PAGE_A);

    map(t, PAGE_A | P | W | A);
    invlpg(TEST_VA);
    step("pf-flushes-u", "supervisor", READ, 1, TEST_VA, 1, PF_P | PF_U, 0, PAGE_A);
    map(t, PAGE_A | P | W | U | A);
    step("pf-flushes-u", "made user, no invlpg", READ, 1, TEST_VA, 0, 0, va, PAGE_A);

    map(t, PAGE_A | P | U | A);
    invlpg(TEST_VA);
    step("pf-flushes-user-w", "read (fills the TLB)", READ, 1, TEST_VA, 0, 0, va, PAGE_A);
    step("pf-flushes-user-w", "read-only", WRITE, 1, TEST_VA, 1, PF_P | PF_W | PF_U, 0, PAGE_A);
    map(t, PAGE_A | P | W | U | A);
    step("pf-flushes-user-w", "made writable, no invlpg", WRITE, 1, TEST_VA, 0, 0, WRITE_VAL, PAGE_A);
    page_fill(PAGE_A);

    /* invlpg: the new entry is used */
    map(t, PAGE_A | P | W | U | A);
    invlpg(TEST_VA);
    step("invlpg-remap", "to A", READ, 0, TEST_VA, 0, 0, va, PAGE_A);
    map(t, PAGE_B | P | W | U | A);
    invlpg(TEST_VA);
    step("invlpg-remap", "to B, invlpg", READ, 0, TEST_VA, 0, 0, vb, PAGE_B);
    step("invlpg-remap", "to B, invlpg", READ, 1, TEST_VA, 0, 0, vb, PAGE_B);

    /* a 4 MiB page is dropped by invlpg of any address in it */
    map(BIG_A | PS | P | W | U | A, 0);
    invlpg(TEST_VA);
    step("invlpg-4m", "to frame 0xc00000", READ, 0, TEST_VA, 0, 0, va, PAGE_A);
    map(BIG_Y | PS | P | W | U | A, 0);
    invlpg(TEST_LIN + 0x3000);
    step("invlpg-4m", "to frame 0x800000, invlpg of another page in it", READ, 0, TEST_VA, 0, 0,
         page_val(PAGE_Y), PAGE_Y);

    map(BIG_A | PS | P | W | U | A, PAGE_B | P | W | U | A);
    invlpg(TEST_VA);
    step("invlpg-4m-to-4k", "4 MiB", READ, 0, TEST_VA, 0, 0, va, PAGE_A);
    map(t, PAGE_B | P | W | U | A);
    invlpg(TEST_VA);
    step("invlpg-4m-to-4k", "a table instead, invlpg", READ, 0, TEST_VA, 0, 0, vb, PAGE_B);
    map(BIG_Y | PS | P | W | U | A, PAGE_B | P | W | U | A);
    invlpg(TEST_VA);
    step("invlpg-4m-to-4k", "4 MiB again, invlpg", READ, 0, TEST_VA, 0, 0, page_val(PAGE_Y), PAGE_Y);

    /* CR3: a reload drops the non-global entries; another directory is used */
    map(t, PAGE_A | P | W | U | A);
    invlpg(TEST_VA);
    step("cr3-reload", "to A", READ, 0, TEST_VA, 0, 0, va, PAGE_A);
    map(t, PAGE_C | P | W | U | A);
    wr_cr3(rd_cr3());
    step("cr3-reload", "to C, CR3 reloaded", READ, 0, TEST_VA, 0, 0, vc, PAGE_C);
    wr_cr3((uint32_t)pd2);
    step("cr3-switch", "second directory", READ, 0, TEST_VA, 0, 0, page_val(PAGE_D), PAGE_D);
    step("cr3-switch", "second directory", WRITE, 1, TEST_VA, 0, 0, WRITE_VAL, PAGE_D);
    wr_cr3((uint32_t)pd);
    step("cr3-switch", "first directory again", READ, 0, TEST_VA, 0, 0, vc, PAGE_C);
    page_fill(PAGE_D);

    /* CR0.PG off and on drops every entry */
    map(t, PAGE_A | P | W | U | A);
    invlpg(TEST_VA);
    step("pg-toggle", "to A", READ, 0, TEST_VA, 0, 0, va, PAGE_A);
    map(t, PAGE_B | P | W | U | A);
    wr_cr0(rd_cr0() & ~CR0_PG);                 /* this code runs identity-mapped */
    wr_cr0(rd_cr0() | CR0_PG);
    step("pg-toggle", "to B, CR0.PG off and on", READ, 0, TEST_VA, 0, 0, vb, PAGE_B);

    /* the page table written through a mapping of itself (page 1 of the
     * window maps PT_TEST), then the entry it changed is used */
    map(t, PT_TEST | P | W | A);
    invlpg(TEST_VA);
    step("pt-via-mapping", "page 1 maps the table", READ, 0, TEST_VA + 4, 0, 0, PT_TEST | P | W | A,
         PT_TEST + 4);
    phys32(PT_TEST)[2] = 0;
    invlpg(TEST_LIN + 0x2000);
    {
        struct res r = access(READ, 0, TEST_LIN + 0x2000);
        put("tlb pt-via-mapping: page 2 absent r0 read");
        end_case(put_outcome(&r, READ, 0, TEST_LIN + 0x2000, 1, 0, TEST_LIN + 0x2000, 0, PAGE_C,
                             vc));
        /* a store through page 1 writes PTE 2 (PAGE_C | P | W | U | A) */
        __asm__ volatile("movl %0, (%1)" :: "r"(PAGE_C | P | W | U | A), "r"(TEST_VA + 8) : "memory");
        r = access(READ, 0, TEST_LIN + 0x2000);
        put("tlb pt-via-mapping: PTE 2 written through page 1, no invlpg r0 read");
        end_case(put_outcome(&r, READ, 0, TEST_LIN + 0x2000, 0, 0, 0, vc, PAGE_C, vc));
        put("tlb pt-via-mapping: PTE 2 after -> ");
        put_flags(phys32(PT_TEST)[2], 0);
        end_case(phys32(PT_TEST)[2] != (PAGE_C | P | W | U | A));
        phys32(PT_TEST)[2] = 0;
        invlpg(TEST_LIN + 0x2000);
    }

    /* global pages: invlpg and a CR4.PGE toggle drop them too */
    map(t, PAGE_A | P | W | U | A | G);
    invlpg(TEST_VA);
    step("global-invlpg", "to A", READ, 0, TEST_VA, 0, 0, va, PAGE_A);
    map(t, PAGE_B | P | W | U | A | G);
    invlpg(TEST_VA);
    step("global-invlpg", "to B, invlpg", READ, 0, TEST_VA, 0, 0, vb, PAGE_B);
    map(t, PAGE_C | P | W | U | A | G);
    set_cr4(CR4_PGE, 0);
    set_cr4(CR4_PGE, 1);
    step("global-pge", "to C, CR4.PGE off and on", READ, 0, TEST_VA, 0, 0, vc, PAGE_C);
    map(BIG_A | PS | P | W | U | A | G, 0);
    invlpg(TEST_VA);
    step("global-4m", "4 MiB global", READ, 0, TEST_VA, 0, 0, va, PAGE_A);
    map(BIG_Y | PS | P | W | U | A | G, 0);
    set_cr4(CR4_PGE, 0);
    set_cr4(CR4_PGE, 1);
    step("global-4m", "moved, CR4.PGE off and on", READ, 1, TEST_VA, 0, 0, page_val(PAGE_Y), PAGE_Y);

    /* Dirty is set by the first write even when a read filled the TLB */
    map(t, PAGE_A | P | W | U);
    invlpg(TEST_VA);
    step("dirty", "A=0 D=0", READ, 0, TEST_VA, 0, 0, va, PAGE_A);
    step("dirty", "after a read, no invlpg", WRITE, 0, TEST_VA, 0, 0, WRITE_VAL, PAGE_A);
    page_fill(PAGE_A);
    map(t, PAGE_A | P | W | U | A);
    invlpg(TEST_VA);
    step("dirty", "D cleared, invlpg", WRITE, 1, TEST_VA, 0, 0, WRITE_VAL, PAGE_A);
    page_fill(PAGE_A);
    map(t, PAGE_A | P | W | U | D);
    invlpg(TEST_VA);
    step("dirty", "A cleared, invlpg", FETCH, 1, TEST_CODE, 0, 0, page_fetch(PAGE_A), PAGE_A);

    /* CR0.WP=0 lets ring 0 write a read-only page, never ring 3 */
    set_cr0_wp(0);
    map(t, PAGE_A | P | U | A);
    invlpg(TEST_VA);
    step("wp", "WP=0 read-only", WRITE, 0, TEST_VA, 0, 0, WRITE_VAL, PAGE_A);
    step("wp", "WP=0 read-only, no invlpg", WRITE, 1, TEST_VA, 1, PF_P | PF_W | PF_U, 0, PAGE_A);
    page_fill(PAGE_A);
    set_cr0_wp(1);
    invlpg(TEST_VA);
    step("wp", "WP=1, invlpg", WRITE, 0, TEST_VA, 1, PF_P | PF_W, 0, PAGE_A);

    /* an access across a page boundary faults on the second page (CR2 =
     * its first byte), and a write there leaves the first page untouched */
    map(t, PAGE_A | P | W | U | A);
    phys32(PT_TEST)[2] = PAGE_B | W | U | A;
    invlpg(TEST_VA);
    invlpg(TEST_VA + 0x1000);
    {
        struct res r = access(READ, 0, TEST_VA + 0xffe);
        put("tlb split: second page absent r0 read");
        int bad = put_outcome(&r, READ, 0, TEST_VA + 0xffe, 1, 0, TEST_VA + 0x1000, 0, PAGE_A,
                              *phys32(PAGE_A));
        end_case(bad);
        phys32(PT_TEST)[2] = PAGE_B | P | U | A;
        int user = !ring0only;                  /* from ring 0, WP=1 gives the same fault */
        uint32_t before = *phys32(PAGE_A + 0xffc);
        r = access(WRITE, user, TEST_VA + 0xffe);
        put(user ? "tlb split: second page read-only r3 write" : "tlb split: second page read-only r0 write");
        bad = put_outcome(&r, WRITE, user, TEST_VA + 0xffe, 1, PF_P | PF_W | (user ? PF_U : 0),
                          TEST_VA + 0x1000, 0, PAGE_A + 0xffc, before);
        end_case(bad);
        phys32(PT_TEST)[2] = 0;
        invlpg(TEST_VA + 0x1000);
    }
}

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
    struct res r = { 0 };
    probe_addr = addr;
    r.val = probe(fn, user);
    r.fault = (int)xrec.fault;
    r.vec = xrec.vec;
    r.err = xrec.err;
    r.cr2 = xrec.cr2;
    r.eip = xrec.eip;
    r.cs = xrec.cs;
    r.ss = xrec.ss;
    r.esp = xrec.esp;
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

static void emul(void)
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
static void smc(const char *sect, uint32_t alias)
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

static void ring3_basics(void)
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

/* ---- main ------------------------------------------------------------ */
static void cpuid1(uint32_t *edx)
{
    uint32_t a = 1, b, c;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(*edx));
}

/* a word of the Multiboot command line (flags bit 2) */
static int has_word(const uint32_t *mbi, const char *w)
{
    if (!(mbi[0] & 4))
        return 0;
    const char *c = (const char *)mbi[4];
    for (const char *s = c; *s; s++) {
        if (s != c && s[-1] != ' ')
            continue;
        int i = 0;
        while (w[i] && s[i] == w[i])
            i++;
        if (!w[i] && (s[i] == 0 || s[i] == ' '))
            return 1;
    }
    return 0;
}

void pt_main(const uint32_t *mbi)
{
    setup_cpu();
    ring0only = has_word(mbi, "ring0only");
    uint32_t edx;
    cpuid1(&edx);
    put("pagetest: cpuid pse=");
    put_dec(!!(edx & (1u << 3)));
    put(" pge=");
    put_dec(!!(edx & (1u << 13)));
    emit();
    if (!(edx & (1u << 3)) || !(edx & (1u << 13))) {
        say("pagetest: FAIL: the CPU lacks PSE or PGE");
        leave(2);
    }

    say(ring0only ? "pagetest: ring 0 only" : "pagetest: rings 0 and 3");
    smc("smc-flat", 0);
    if (!ring0only)
        ring3_basics();

    setup_paging();
    wr_cr3((uint32_t)pd);
    wr_cr4(rd_cr4() | CR4_PSE | CR4_PGE);
    wr_cr0(rd_cr0() | CR0_PG | CR0_WP);
    say("pagetest: paging on");

    walks();
    tlb();
    emul();
    /* the window's page 1 aliases SMC1 */
    map(PT_TEST | P | W | U | A, SMC1 | P | W | A);
    invlpg(TEST_VA);
    smc("smc-paged", TEST_VA);

    put("pagetest: ");
    put_dec(cases);
    put(" cases, ");
    put_dec(disagreements);
    put(" disagree with the SDM");
    emit();
    say(disagreements ? "pagetest: FAIL" : "pagetest: PASS");
    /* the digest covers every line above; this one is outside it */
    uint64_t d = digest;
    put("DIGEST ");
    for (int s = 60; s >= 0; s -= 4)
        line[line_len++] = "0123456789abcdef"[(d >> s) & 0xf];
    emit();
    leave(disagreements ? 1 : 0);
}
