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
#include "pagetest.h"

const char *const kind_name[] = { "read", "write", "fetch" };
volatile struct xrec xrec;
volatile uint32_t probe_addr;

/* ---- descriptor tables and page tables ------------------------------- */
uint64_t gdt[6] __attribute__((aligned(8)));
uint64_t idt[256] __attribute__((aligned(8)));
uint32_t tss[26] __attribute__((aligned(16)));
uint32_t pd[1024] __attribute__((aligned(4096)));
uint32_t pd2[1024] __attribute__((aligned(4096)));
uint32_t ident_pt[IDENT_MB / 4][1024] __attribute__((aligned(4096)));


/* ---- output: COM1, one line at a time, each into the digest ---------- */
static char line[256];
static unsigned line_len;
static uint64_t digest = 0xcbf29ce484222325ull;
static unsigned cases, disagreements;
int ring0only;

static void com1(char c)
{
    while (!(inb(0x3fd) & 0x20))
        ;
    outb(0x3f8, (uint8_t)c);
}

void put(const char *s)
{
    while (*s && line_len < sizeof line - 2)
        line[line_len++] = *s++;
}

void put_hex(uint32_t v)
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

void put_dec(uint32_t v)
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
void emit(void)
{
    line[line_len++] = '\n';
    for (unsigned i = 0; i < line_len; i++) {
        digest ^= (uint8_t)line[i];
        digest *= 0x100000001b3ull;
        com1(line[i]);
    }
    line_len = 0;
}

void say(const char *s)
{
    put(s);
    emit();
}

__attribute__((noreturn)) void leave(uint8_t code)
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
void put_flags(uint32_t e, uint32_t unknown)
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
uint32_t page_val(uint32_t page) { return 0xda7a0000u | (page >> 12); }
uint32_t page_fetch(uint32_t page) { return 0xc0de0000u | (page >> 12); }

/* Written only where it differs, so that the code on it is not rewritten
 * (self-modifying code is tested on purpose, below, not on every case). */
void page_fill(uint32_t page)
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

struct res probe_at(void (*fn)(void), int user, uint32_t addr)
{
    struct res r = { 0 };
    probe_addr = addr;
    r.val = probe(fn, user);
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

struct res access(int kind, int user, uint32_t addr)
{
    static void (*const fn[2][3])(void) = {
        { k_read, k_write, k_fetch }, { u_read, u_write, u_fetch } };
    return probe_at(fn[user][kind], user, addr);
}

/* " #PF err=E cr2=ok at=ok": the fault, its CR2 and where it was taken
 * (EIP, and from ring 3 the pushed CS, SS and ESP); 1 if CR2 and the
 * frame are right */
int put_fault(const struct res *r, int user, uint32_t eip, uint32_t esp, uint32_t cr2)
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
int put_outcome(const struct res *r, int kind, int user, uint32_t addr, int want_fault,
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

void end_case(int bad)
{
    cases++;
    if (bad) {
        disagreements++;
        put(" !sdm");
    }
    emit();
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

