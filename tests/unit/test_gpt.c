/* Unit tests for the guest page-table walker (host/vmm/gpt.c): for each
 * access, the translation or the #PF error code a 32-bit CPU gives (SDM
 * Vol. 3A, 4.3, 4.6, 4.7), and the Accessed/Dirty bits it leaves. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "host/vmm/gpt.h"

/* 8 MiB of guest RAM; the page directory at 0x1000, a page table at 0x2000 */
#define RAM_SIZE (8u << 20)
#define PD 0x1000u
#define PT 0x2000u
static uint32_t ram[RAM_SIZE / 4];

static uint32_t *word(void *ctx, uint32_t gpa)
{
    (void)ctx;
    assert_int_equal(gpa & 3, 0);
    return gpa < RAM_SIZE ? &ram[gpa / 4] : NULL;
}

static struct gpt_env env = { .cr0 = CR0_PE | CR0_PG, .cr3 = PD, .word = word };

static uint32_t *pde(uint32_t lin) { return &ram[PD / 4 + (lin >> 22)]; }
static uint32_t *pte(uint32_t lin) { return &ram[PT / 4 + (lin >> 12 & 0x3ff)]; }

static int setup(void **state)
{
    (void)state;
    memset(ram, 0, sizeof ram);
    env.cr0 = CR0_PE | CR0_PG;
    env.cr3 = PD;
    env.cr4 = 0;
    env.peek = false;
    return 0;
}

/* lin 0x00403000 -> 0x5000 through PDE 1 and the table at PT */
#define LIN 0x00403abcu
static void map4k(uint32_t pdebits, uint32_t ptebits)
{
    *pde(LIN) = PT | PG32_P | pdebits;
    *pte(LIN) = 0x5000 | PG32_P | ptebits;
}

/* GPT_OK expected: the gpa */
static uint32_t ok(uint32_t lin, uint32_t access, struct gpt_map *m)
{
    uint32_t pfec = 0xdead;
    const char *why = NULL;
    assert_int_equal(gpt_walk(&env, lin, access, m, &pfec, &why), GPT_OK);
    return m->gpa;
}

/* GPT_FAULT expected: the error code */
static uint32_t pf(uint32_t lin, uint32_t access)
{
    struct gpt_map m;
    uint32_t pfec = 0xdead;
    const char *why = NULL;
    assert_int_equal(gpt_walk(&env, lin, access, &m, &pfec, &why), GPT_FAULT);
    return pfec;
}

static const char *bad(uint32_t lin, uint32_t access)
{
    struct gpt_map m;
    uint32_t pfec;
    const char *why = NULL;
    assert_int_equal(gpt_walk(&env, lin, access, &m, &pfec, &why), GPT_BAD_TABLE);
    assert_non_null(why);
    return why;
}

static void paging_off_is_identity(void **state)
{
    (void)state;
    struct gpt_map m;
    env.cr0 = CR0_PE;
    assert_int_equal(ok(0x123456, PF_W | PF_U, &m), 0x123456);
    assert_true(m.writable && m.user && !m.big);
    bad(RAM_SIZE + 8, 0);
}

static void small_page_read_sets_accessed_only(void **state)
{
    (void)state;
    struct gpt_map m;
    map4k(PG32_W | PG32_U, PG32_W | PG32_U);
    assert_int_equal(ok(LIN, 0, &m), 0x5abc);
    assert_true(m.writable && m.user && !m.big && !m.global && !m.dirty);
    assert_int_equal(*pde(LIN), PT | PG32_P | PG32_W | PG32_U | PG32_A);
    assert_int_equal(*pte(LIN), 0x5000 | PG32_P | PG32_W | PG32_U | PG32_A);
}

static void write_sets_dirty_in_the_leaf_only(void **state)
{
    (void)state;
    struct gpt_map m;
    map4k(PG32_W, PG32_W);
    assert_int_equal(ok(LIN, PF_W, &m), 0x5abc);
    assert_false(m.user);
    assert_true(m.dirty);
    assert_int_equal(*pde(LIN) & (PG32_A | PG32_D), PG32_A);
    ok(LIN, 0, &m);                                             /* a read sees it dirty now */
    assert_true(m.dirty);
    assert_int_equal(*pte(LIN) & (PG32_A | PG32_D), PG32_A | PG32_D);
}

static void not_present_faults_without_p(void **state)
{
    (void)state;
    assert_int_equal(pf(LIN, 0), 0);                            /* no PDE */
    assert_int_equal(pf(LIN, PF_W | PF_U), PF_W | PF_U);
    *pde(LIN) = PT | PG32_P | PG32_W | PG32_U;                  /* PDE, no PTE */
    *pte(LIN) = 0x5000 | PG32_W | PG32_U | PG32_A;
    assert_int_equal(pf(LIN, PF_W), PF_W);
    assert_int_equal(pf(LIN, PF_U), PF_U);
    /* the directory entry was used, so it is marked; the absent PTE is not touched */
    assert_true(*pde(LIN) & PG32_A);
    assert_int_equal(*pte(LIN), 0x5000 | PG32_W | PG32_U | PG32_A);
}

static void user_needs_u_in_both_levels(void **state)
{
    (void)state;
    struct gpt_map m;
    map4k(PG32_W, PG32_W | PG32_U);                             /* PDE supervisor */
    assert_int_equal(pf(LIN, PF_U), PF_P | PF_U);
    assert_int_equal(pf(LIN, PF_U | PF_W), PF_P | PF_W | PF_U);
    assert_false(*pte(LIN) & PG32_A);                           /* a faulting leaf stays unmarked */
    setup(NULL);
    map4k(PG32_W | PG32_U, PG32_W);                             /* PTE supervisor */
    assert_int_equal(pf(LIN, PF_U), PF_P | PF_U);
    ok(LIN, 0, &m);                                             /* the supervisor may */
    ok(LIN, PF_W, &m);
    assert_false(m.user);
}

static void user_write_needs_w_in_both_levels(void **state)
{
    (void)state;
    struct gpt_map m;
    map4k(PG32_U, PG32_W | PG32_U);
    assert_int_equal(pf(LIN, PF_U | PF_W), PF_P | PF_W | PF_U);
    ok(LIN, PF_U, &m);
    assert_false(m.writable);
    assert_true(m.user);
    setup(NULL);
    env.cr0 &= ~CR0_WP;                                         /* WP does not help ring 3 */
    map4k(PG32_W | PG32_U, PG32_U);
    assert_int_equal(pf(LIN, PF_U | PF_W), PF_P | PF_W | PF_U);
    assert_false(*pte(LIN) & (PG32_A | PG32_D));
}

static void supervisor_write_to_read_only_follows_wp(void **state)
{
    (void)state;
    struct gpt_map m;
    map4k(PG32_W, 0);
    assert_int_equal(ok(LIN, PF_W, &m), 0x5abc);                /* WP clear: allowed */
    assert_false(m.writable);                                   /* but the page is read-only */
    assert_true(*pte(LIN) & PG32_D);
    setup(NULL);
    env.cr0 |= CR0_WP;
    map4k(0, PG32_W);
    assert_int_equal(pf(LIN, PF_W), PF_P | PF_W);
    assert_false(*pte(LIN) & PG32_A);
    ok(LIN, 0, &m);                                             /* reading is fine */
}

static void big_pages_need_pse(void **state)
{
    (void)state;
    struct gpt_map m;
    uint32_t lin = 0xc0123456;
    *pde(lin) = 0x400000 | PG32_P | PG32_W | PG32_PS | PG32_G;
    env.cr4 = CR4_PSE | CR4_PGE;
    assert_int_equal(ok(lin, PF_W, &m), 0x523456);
    assert_true(m.big && m.global && m.writable && !m.user);
    assert_int_equal(*pde(lin) & (PG32_A | PG32_D), PG32_A | PG32_D);
    env.cr4 = CR4_PSE;                                          /* G means nothing without PGE */
    ok(lin, 0, &m);
    assert_false(m.global);
    /* without CR4.PSE, PS is ignored: the PDE points to a page table at 0x400000 */
    env.cr4 = 0;
    ram[(0x400000 + (lin >> 12 & 0x3ff) * 4) / 4] = 0x7000 | PG32_P;
    assert_int_equal(ok(lin, 0, &m), 0x7456);
    assert_false(m.big);
}

static void big_page_reserved_bits(void **state)
{
    (void)state;
    uint32_t lin = 0xc0000000;
    env.cr4 = CR4_PSE;
    for (unsigned bit = 13; bit <= 21; bit++) {
        *pde(lin) = 0x400000 | PG32_P | PG32_W | PG32_U | PG32_PS | 1u << bit;
        assert_int_equal(pf(lin, 0), PF_P | PF_RSVD);
        assert_int_equal(pf(lin, PF_W | PF_U), PF_P | PF_RSVD | PF_W | PF_U);
        assert_false(*pde(lin) & PG32_A);
    }
    *pde(lin) = 0x400000 | PG32_P | PG32_PS | 1u << 12;         /* PAT bit: a memory type, not reserved */
    struct gpt_map m;
    assert_int_equal(ok(lin, 0, &m), 0x400000);
}

static void small_page_global(void **state)
{
    (void)state;
    struct gpt_map m;
    env.cr4 = CR4_PGE;
    map4k(PG32_W, PG32_W | PG32_G);
    ok(LIN, 0, &m);
    assert_true(m.global);
}

static void pae_stops_the_guest(void **state)
{
    (void)state;
    map4k(PG32_W, PG32_W);
    env.cr4 = CR4_PAE;
    assert_string_equal(bad(LIN, 0), "PAE paging is not supported");
}

static void tables_outside_ram_stop_the_guest(void **state)
{
    (void)state;
    env.cr3 = RAM_SIZE;
    bad(LIN, 0);
    env.cr3 = PD;
    *pde(LIN) = RAM_SIZE | PG32_P;                              /* page table outside */
    bad(LIN, 0);
    map4k(PG32_W, PG32_W);
    *pte(LIN) = RAM_SIZE | PG32_P | PG32_W;                     /* page outside */
    bad(LIN, PF_W);
    assert_false(*pte(LIN) & (PG32_A | PG32_D));
    *pte(LIN) = RAM_SIZE;                                       /* absent: just a fault */
    assert_int_equal(pf(LIN, 0), 0);
    env.cr4 = CR4_PSE;
    *pde(0xc0000000) = 0xffc00000 | PG32_P | PG32_PS;           /* a 4 MiB page outside */
    bad(0xc0000000, 0);
    *pde(0xc0000000) = 0xffc00000 | PG32_P | PG32_PS;           /* a protection fault still faults */
    assert_int_equal(pf(0xc0000000, PF_U), PF_P | PF_U);
}

static void cr3_low_bits_ignored(void **state)
{
    (void)state;
    struct gpt_map m;
    map4k(PG32_W, PG32_W);
    env.cr3 = PD | 0x18;                                        /* PCD, PWT */
    assert_int_equal(ok(LIN, 0, &m), 0x5abc);
}

/* A lookup (the scanner following code, the host finding EIP's page)
 * translates as a walk does, faults as it would, and writes nothing: no
 * Accessed in the PDE or PTE, no Dirty, 4 KiB and 4 MiB pages alike. */
static void peek_sets_nothing(void **state)
{
    (void)state;
    struct gpt_map m;
    env.peek = true;
    map4k(PG32_W, PG32_W);
    assert_int_equal(ok(LIN, PF_W, &m), 0x5abc);
    assert_int_equal(*pde(LIN) & (PG32_A | PG32_D), 0);
    assert_int_equal(*pte(LIN) & (PG32_A | PG32_D), 0);
    assert_false(m.dirty);
    env.cr4 = CR4_PSE;
    *pde(0xc0000000) = 0x400000 | PG32_P | PG32_PS;
    assert_int_equal(ok(0xc0001234, 0, &m), 0x401234);
    assert_int_equal(*pde(0xc0000000) & (PG32_A | PG32_D), 0);
    *pte(LIN) = 0;                                              /* absent: the fault, nothing marked */
    assert_int_equal(pf(LIN, 0), 0);
    assert_int_equal(*pde(LIN) & PG32_A, 0);
    env.peek = false;                                           /* the same walk as an access marks */
    map4k(PG32_W, PG32_W);
    ok(LIN, PF_W, &m);
    assert_int_equal(*pte(LIN) & (PG32_A | PG32_D), PG32_A | PG32_D);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(paging_off_is_identity, setup),
        cmocka_unit_test_setup(small_page_read_sets_accessed_only, setup),
        cmocka_unit_test_setup(write_sets_dirty_in_the_leaf_only, setup),
        cmocka_unit_test_setup(not_present_faults_without_p, setup),
        cmocka_unit_test_setup(user_needs_u_in_both_levels, setup),
        cmocka_unit_test_setup(user_write_needs_w_in_both_levels, setup),
        cmocka_unit_test_setup(supervisor_write_to_read_only_follows_wp, setup),
        cmocka_unit_test_setup(big_pages_need_pse, setup),
        cmocka_unit_test_setup(big_page_reserved_bits, setup),
        cmocka_unit_test_setup(small_page_global, setup),
        cmocka_unit_test_setup(pae_stops_the_guest, setup),
        cmocka_unit_test_setup(tables_outside_ram_stop_the_guest, setup),
        cmocka_unit_test_setup(cr3_low_bits_ignored, setup),
        cmocka_unit_test_setup(peek_sets_nothing, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
