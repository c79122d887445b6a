/* pagetest: the TLB rules that are architectural (pagetest.h). */
#include "pagetest.h"

/* ---- the TLB: what the architecture promises -------------------------- */
void map(uint32_t pde, uint32_t pte) /* no invlpg: the caller says */
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

void tlb(void)
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
