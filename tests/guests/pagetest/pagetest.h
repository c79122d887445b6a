/*
 * pagetest's shared parts (pagetest.c): the x86 bits and the layout, what
 * entry.asm provides, the tables, the output (one line at a time, each
 * into the digest), one access and its outcome.  The cases are one file a
 * family: walks.c (every PDE/PTE combination against the SDM's model),
 * tlb.c (what the architecture promises of the TLB), code.c (instructions
 * a host emulates on paged operands, self-modifying code, ring 3).
 */
#pragma once
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
extern const char *const kind_name[];

/* ---- from entry.asm -------------------------------------------------- */
struct xrec { uint32_t fault, vec, err, eip, cs, eflags, esp, ss, cr2; };
extern volatile struct xrec xrec;
extern volatile uint32_t probe_addr;
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
extern uint64_t gdt[6];
extern uint64_t idt[256];
extern uint32_t tss[26];
extern uint32_t pd[1024];
extern uint32_t pd2[1024];
extern uint32_t ident_pt[IDENT_MB / 4][1024];
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
/* ---- output (pagetest.c) ---------------------------------------------- */
/* "ring0only" on the command line: no ring-3 case (a host without guest
 * user mode can still be checked for the rest; its bare transcript differs) */
extern int ring0only;
void put(const char *s);
void put_hex(uint32_t v);
void put_dec(uint32_t v);
void emit(void);                               /* end the line: into the digest and onto COM1 */
void say(const char *s);                       /* put, emit */
void put_flags(uint32_t e, uint32_t unknown);  /* "PWUADSG", '-' clear, '?' left open by the SDM */
__attribute__((noreturn)) void leave(uint8_t code);

/* ---- test pages and one access (pagetest.c) ---------------------------- */
/* a page of test data: its value at 0, `mov eax, fetch value; ret` at CODE_OFF */
uint32_t page_val(uint32_t page);
uint32_t page_fetch(uint32_t page);
void page_fill(uint32_t page);
struct res {
    int fault;
    uint32_t vec, err, cr2, eip, cs, ss, esp, val;
};
/* fn (an entry.asm probe) run at ring 0 or 3 on addr: its value or its fault */
struct res probe_at(void (*fn)(void), int user, uint32_t addr);
struct res access(int kind, int user, uint32_t addr);   /* a read, write or fetch probe */
int put_fault(const struct res *r, int user, uint32_t eip, uint32_t esp, uint32_t cr2);
int put_outcome(const struct res *r, int kind, int user, uint32_t addr, int want_fault,
                uint32_t want_err, uint32_t cr2, uint32_t want_val, uint32_t mem, uint32_t mem_before);
void end_case(int bad);                        /* one case more, "!sdm" if bad, the line ended */

/* ---- the case families ---------------------------------------------------- */
void set_cr0_wp(int wp);                       /* walks.c */
void set_cr4(uint32_t bits, int on);
void walks(void);
void map(uint32_t pde, uint32_t pte);          /* tlb.c: the window's two entries, no invlpg */
void tlb(void);
void emul(void);                               /* code.c */
void smc(const char *sect, uint32_t alias);
void ring3_basics(void);
