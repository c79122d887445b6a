/*
 * The x86 vocabulary: architectural bits, vectors, descriptors and the host's
 * GDT layout, each named once (SDM = Intel SDM; APM = AMD's manual).
 *
 * Definitions only, no instructions: pure code built for host-side unit
 * tests (host/vmm/segment.c, loader/, host/dev/) includes this header; the
 * one-line wrappers for privileged instructions are in kernel/x86.h, which
 * includes it.  NASM sees the values it needs through
 * build/kernel/asm-offsets.inc (kernel/asm-offsets.c).
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>

/* EFLAGS (SDM Vol. 1, 3.4.3) */
#define EFLAGS_CF        (1u << 0)
#define EFLAGS_RESERVED1 (1u << 1)      /* always reads 1 */
#define EFLAGS_PF        (1u << 2)
#define EFLAGS_AF        (1u << 4)
#define EFLAGS_ZF        (1u << 6)
#define EFLAGS_SF        (1u << 7)
#define EFLAGS_TF        (1u << 8)
#define EFLAGS_IF        (1u << 9)
#define EFLAGS_DF        (1u << 10)
#define EFLAGS_OF        (1u << 11)
#define EFLAGS_IOPL      (3u << 12)
#define EFLAGS_NT        (1u << 14)
#define EFLAGS_RF        (1u << 16)
#define EFLAGS_VM        (1u << 17)
#define EFLAGS_AC        (1u << 18)
#define EFLAGS_VIF       (1u << 19)
#define EFLAGS_VIP       (1u << 20)
#define EFLAGS_ID        (1u << 21)

/* What a guest's popf/iret may change: the status flags and TF DF NT AC ID.
 * Not IF (a guest's IF is virtual), not IOPL (stays 0), not RF VM VIF VIP. */
#define EFLAGS_GUEST_MASK (EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_TF | \
                           EFLAGS_DF | EFLAGS_OF | EFLAGS_NT | EFLAGS_AC | EFLAGS_ID)
_Static_assert(EFLAGS_GUEST_MASK == 0x00244dd5u, "the guest-writable flags");

/* Control registers (SDM Vol. 3A, 2.5) */
#define CR0_PE   (1ul << 0)
#define CR0_MSW  0xful          /* PE MP EM TS: what lmsw loads (SDM Vol. 2A, LMSW) */
#define CR0_MP   (1ul << 1)
#define CR0_EM   (1ul << 2)
#define CR0_TS   (1ul << 3)
#define CR0_NE   (1ul << 5)
#define CR0_WP   (1ul << 16)
#define CR0_AM   (1ul << 18)
#define CR0_NW   (1ul << 29)
#define CR0_CD   (1ul << 30)    /* with NW: what INIT leaves an AP, caches off */
#define CR0_PG   (1ul << 31)

#define CR4_TSD  (1ul << 2)
#define CR4_DE   (1ul << 3)
#define CR4_PSE  (1ul << 4)
#define CR4_PAE  (1ul << 5)
#define CR4_PGE  (1ul << 7)
#define CR4_UMIP (1ul << 11)
#define CR4_SMEP (1ul << 20)
#define CR4_SMAP (1ul << 21)

/* Model-specific registers (SDM Vol. 4) */
#define MSR_TSC           0x10
#define MSR_PLATFORM_ID   0x17
#define MSR_APIC_BASE     0x1b
#define MSR_BIOS_SIGN_ID  0x8b          /* the microcode revision, in EDX after a cpuid */
#define MSR_DEBUGCTL      0x1d9
#define MSR_SYSENTER_CS   0x174
#define MSR_EFER          0xc0000080
#define MSR_STAR          0xc0000081
#define MSR_LSTAR         0xc0000082
#define MSR_CSTAR         0xc0000083
#define MSR_SFMASK        0xc0000084
#define MSR_GS_BASE       0xc0000101
#define MSR_KERNEL_GS     0xc0000102

#define EFER_SCE          (1ull << 0)
#define EFER_LME          (1ull << 8)
#define EFER_NXE          (1ull << 11)

/* Exception vectors (SDM Vol. 3A, 6.3.1) */
#define VEC_DE  0       /* divide error */
#define VEC_DB  1       /* debug */
#define VEC_NMI 2
#define VEC_BP  3       /* int3 */
#define VEC_UD  6       /* invalid opcode */
#define VEC_NM  7       /* device not available */
#define VEC_DF  8       /* double fault */
#define VEC_TS  10      /* invalid TSS */
#define VEC_NP  11      /* segment not present */
#define VEC_SS  12      /* stack-segment fault */
#define VEC_GP  13      /* general protection */
#define VEC_PF  14      /* page fault */
#define VEC_MF  16      /* x87 floating-point error (with CR0.NE) */
#define VEC_AC  17      /* alignment check */
#define VEC_CP  21      /* control protection (CET) */
#define VEC_VC  29      /* VMM communication (AMD SEV-ES) */
#define VEC_SX  30      /* security exception (AMD) */

/* #PF error-code bits of a fault the host takes itself (SDM Vol. 3A, 4.7) */
#define PFEC_PRESENT 1u    /* a protection violation, not a missing page */
#define PFEC_WRITE   2u
#define PFEC_FETCH   16u   /* I/D: an instruction fetch (reported with EFER.NXE) */

/* The vectors for which the CPU pushes an error code: the "Error Code: Yes"
 * rows of SDM Vol. 3A 6.15 (#DF #TS #NP #SS #GP #PF #AC #CP) and AMD's #VC
 * and #SX (APM Vol. 2, 8.2).  One set for both users: the host's vector
 * stubs (through asm-offsets) and the vCPU reflecting a trap to its guest,
 * whose frame must look as the CPU would have built it. */
#define VEC_ERROR_CODE_SET (1u << VEC_DF | 1u << VEC_TS | 1u << VEC_NP | 1u << VEC_SS | 1u << VEC_GP | \
                            1u << VEC_PF | 1u << VEC_AC | 1u << VEC_CP | 1u << VEC_VC | 1u << VEC_SX)
static inline bool vec_has_error(unsigned vec) { return vec < 32 && (VEC_ERROR_CODE_SET >> vec & 1); }

/* Contributory exceptions: two in a row make a double fault (SDM Vol. 3A,
 * 6.15, table 6-4; #PF is a class of its own). */
static inline bool vec_contributory(unsigned vec)
{
    return vec == VEC_DE || (vec >= VEC_TS && vec <= VEC_GP);
}

/* Debug registers (SDM Vol. 3B, 17.2) */
#define DR6_B0_3      0xfu               /* breakpoint conditions met */
#define DR6_BD        (1u << 13)         /* a debug-register access with DR7.GD set */
#define DR6_BS        (1u << 14)         /* single step */
#define DR6_BT        (1u << 15)         /* task switch */
#define DR6_FIXED_1   0xffff0ff0u        /* reserved bits that read 1 (bit 16 too, without RTM) */
#define DR7_GD        (1u << 13)
#define DR7_FIXED_1   0x400u             /* bit 10 reads 1 */
#define DR7_WRITABLE  0xffff23ffu        /* bits 11, 12, 14, 15 read 0 */

/* Segment descriptors (SDM Vol. 3A, 3.4.5) */
#define DESC_ACCESSED  (1ull << 40)
#define DESC_WRITABLE  (1ull << 41)       /* data: writable; code: readable */
#define DESC_CONFORM   (1ull << 42)       /* code: conforming; data: expand-down */
#define DESC_CODE      (1ull << 43)
#define DESC_S         (1ull << 44)       /* code or data, not system */
#define DESC_DPL_SHIFT 45
#define DESC_PRESENT   (1ull << 47)
#define DESC_L         (1ull << 53)       /* 64-bit code: reserved on a 32-bit CPU */
#define DESC_DB        (1ull << 54)       /* 32-bit code / big stack */
#define DESC_G         (1ull << 55)
#define DESC_TSS64     (9ull << 40)       /* system type: 64-bit TSS, available (SDM 7.2.3) */

/* A descriptor with its base, limit (20 bits) and the bits above. */
static inline uint64_t desc_make(uint32_t base, uint32_t limit, uint64_t bits)
{
    return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | bits |
           (uint64_t)(limit >> 16 & 0xf) << 48 | (uint64_t)(base >> 24) << 56;
}

static inline unsigned desc_dpl(uint64_t d) { return d >> DESC_DPL_SHIFT & 3; }
static inline bool desc_is_code(uint64_t d) { return (d & (DESC_S | DESC_CODE)) == (DESC_S | DESC_CODE); }
static inline bool desc_is_data(uint64_t d) { return (d & (DESC_S | DESC_CODE)) == DESC_S; }

static inline uint32_t desc_base(uint64_t d)
{
    return (uint32_t)((d >> 16 & 0xffffff) | (d >> 56 & 0xff) << 24);
}

/* The bits a code segment's instructions default to: 32 (D set) or 16. */
static inline unsigned desc_code_bits(uint64_t d) { return d & DESC_DB ? 32 : 16; }

/* The last valid offset (for an expand-up segment). */
static inline uint32_t desc_limit(uint64_t d)
{
    uint32_t raw = (uint32_t)((d & 0xffff) | (d >> 32 & 0xf0000));
    return d & DESC_G ? raw << 12 | 0xfff : raw;
}

/* The descriptors the host and its boot code use: base 0, DPL 0; the flat
 * ones with limit 4 GiB.  Constants, for NASM too. */
#define DESC_FLAT        (0xffffull | 0xfull << 48 | DESC_G)
#define DESC_KCODE64     (DESC_PRESENT | DESC_S | DESC_CODE | DESC_WRITABLE | DESC_L)
#define DESC_KDATA       (DESC_PRESENT | DESC_S | DESC_WRITABLE)
#define DESC_KCODE32     (DESC_FLAT | DESC_DB | DESC_PRESENT | DESC_S | DESC_CODE | DESC_WRITABLE)
#define DESC_KDATA32     (DESC_FLAT | DESC_DB | DESC_PRESENT | DESC_S | DESC_WRITABLE)
_Static_assert(DESC_KCODE64 == 0x00209a0000000000ull, "64-bit code, DPL 0");
_Static_assert(DESC_KDATA == 0x0000920000000000ull, "data, DPL 0");
_Static_assert(DESC_KCODE32 == 0x00cf9a000000ffffull, "flat 32-bit code, DPL 0");
_Static_assert(DESC_KDATA32 == 0x00cf92000000ffffull, "flat 32-bit data, DPL 0");

/* Selectors: index, table indicator (LDT), requested privilege */
#define SEL_LDT 4u
static inline unsigned sel_index(uint16_t sel) { return sel >> 3; }
static inline bool sel_null(uint16_t sel) { return (sel & ~3u) == 0; }
static inline bool sel_ldt(uint16_t sel) { return sel & SEL_LDT; }

/* Interrupt gates' type and attribute byte (SDM Vol. 3A, 6.14.1) */
#define GATE_INTERRUPT 0x8e               /* present, 64-bit interrupt gate */
#define GATE_DPL_SHIFT 5

/*
 * The host's GDT: one per CPU, full size, so that a guest's descriptors can
 * be mirrored at the guest's own indexes.  The host keeps the top indexes,
 * which no legacy guest uses:
 *
 *     0 .. 8175      guest descriptors, mirrored (host/vmm/vcpu_seg.c)
 *     8176 .. 8181   a vCPU's shadow segments, one per segment register
 *     8182, 8183     the LDT holding a vCPU's mirrored guest LDT (a 64-bit
 *                    LDT descriptor takes two)
 *     8188, 8189     host code and data
 *     8190, 8191     the TSS (a 64-bit TSS descriptor takes two)
 */
#define GDT_ENTRIES      8192
#define GDT_SHADOW_IDX   8176
#define GDT_SHADOW_SLOTS 6
#define GDT_LDT_IDX      8182
#define GDT_KCODE_IDX    8188
#define GDT_KDATA_IDX    8189
#define GDT_TSS_IDX      8190
#define SEL_KCODE        (GDT_KCODE_IDX << 3)
#define SEL_KDATA        (GDT_KDATA_IDX << 3)
#define SEL_TSS          (GDT_TSS_IDX << 3)
_Static_assert(GDT_SHADOW_IDX + GDT_SHADOW_SLOTS <= GDT_LDT_IDX, "the shadows sit below the LDT's descriptor");
_Static_assert(GDT_LDT_IDX + 2 <= GDT_KCODE_IDX, "the LDT's descriptor sits below the host's own");
#define DESC_LDT64       (2ull << 40)     /* system type: LDT (SDM 7.2.3's table 3-2) */
_Static_assert(SEL_KDATA == SEL_KCODE + 8, "syscall loads SS from the selector after CS");
_Static_assert(GDT_TSS_IDX + 2 <= GDT_ENTRIES, "the TSS descriptor takes two entries");

/* 32-bit paging entries, as a legacy guest writes them (SDM Vol. 3A, 4.3,
 * tables 4-4 to 4-6).  The host's own 64-bit entries are in kernel/vm.h. */
#define PG32_P        (1u << 0)
#define PG32_W        (1u << 1)
#define PG32_U        (1u << 2)
#define PG32_A        (1u << 5)
#define PG32_D        (1u << 6)           /* leaf only */
#define PG32_PS       (1u << 7)           /* PDE: a 4 MiB page (when CR4.PSE) */
#define PG32_G        (1u << 8)           /* leaf only: global (when CR4.PGE) */
#define PG32_ADDR     0xfffff000u         /* a table's or a 4 KiB page's frame */
#define PG32_BIG_ADDR 0xffc00000u         /* a 4 MiB page's frame */
/* Bits 21:13 of a 4 MiB PDE are address bits 39:32 with PSE-36, reserved
 * (must be 0) without it; our CPUID policy does not advertise PSE-36. */
#define PG32_BIG_RSVD 0x003fe000u
