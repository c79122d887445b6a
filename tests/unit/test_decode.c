/*
 * Unit tests for host/decode/decode.c: a table of named, hand-verified encodings
 * (SDM Vol. 2 opcode tables), each a cmocka test of its own, plus control
 * flow cases.  Run one case:  build/unit/decode <name>
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/decode/decode.h"

enum check {
    CK_MEM = 1 << 0,        /* seg, base, index, scale, disp */
    CK_IMM = 1 << 1,        /* imm (and imm2) */
    CK_REG = 1 << 2,        /* ModRM reg and rm */
    CK_SIZES = 1 << 3,      /* operand and address size */
    CK_AVAIL = 1 << 4,      /* pass avail instead of the byte count */
};

struct decode_case {
    const char *name;
    int mode;
    const char *bytes;
    size_t count;
    int status;
    unsigned length;
    enum insn_class cls;
    unsigned checks;
    struct insn_mem mem;
    uint32_t imm, imm2;
    uint8_t reg, rm;
    uint8_t op_size, addr_size;
    size_t avail;
};

#define B(s) .bytes = s, .count = sizeof(s) - 1
#define OK(len, c) DECODE_OK, len, c
#define BAD DECODE_INVALID, 0, INSN_OTHER
#define MEM(s, b, i, sc, d) .checks = CK_MEM, .mem = { s, b, i, sc, d }
#define N REG_NONE

static const struct decode_case cases[] = {
    /* interrupt flag, halt, flags, interrupts */
    { "cli", 32, B("\xfa"), OK(1, INSN_CLI) },
    { "cli16", 16, B("\xfa"), OK(1, INSN_CLI) },
    { "sti", 32, B("\xfb"), OK(1, INSN_STI) },
    { "hlt", 32, B("\xf4"), OK(1, INSN_HLT) },
    { "pushf", 32, B("\x9c"), OK(1, INSN_PUSHF) },
    { "pushfw", 32, B("\x66\x9c"), OK(2, INSN_PUSHF), .checks = CK_SIZES, .op_size = 16, .addr_size = 32 },
    { "popf16", 16, B("\x9d"), OK(1, INSN_POPF), .checks = CK_SIZES, .op_size = 16, .addr_size = 16 },
    { "iret", 32, B("\xcf"), OK(1, INSN_IRET) },
    { "iretw", 32, B("\x66\xcf"), OK(2, INSN_IRET) },
    { "int80", 32, B("\xcd\x80"), OK(2, INSN_INT), .checks = CK_IMM, .imm = 0x80 },
    { "int3", 32, B("\xcc"), OK(1, INSN_INT3) },
    { "into", 32, B("\xce"), OK(1, INSN_INTO) },
    { "int1", 32, B("\xf1"), OK(1, INSN_INT1) },
    /* MSRs, CPUID, TSC, caches */
    { "wrmsr", 32, B("\x0f\x30"), OK(2, INSN_WRMSR) },
    { "rdmsr", 32, B("\x0f\x32"), OK(2, INSN_RDMSR) },
    { "cpuid", 32, B("\x0f\xa2"), OK(2, INSN_CPUID) },
    { "cpuid16", 16, B("\x0f\xa2"), OK(2, INSN_CPUID) },
    { "rdtsc", 32, B("\x0f\x31"), OK(2, INSN_RDTSC) },
    { "rdtscp", 32, B("\x0f\x01\xf9"), OK(3, INSN_RDTSCP) },
    { "rdpmc", 32, B("\x0f\x33"), OK(2, INSN_RDPMC) },
    { "clts", 32, B("\x0f\x06"), OK(2, INSN_CLTS) },
    { "wbinvd", 32, B("\x0f\x09"), OK(2, INSN_WBINVD) },
    { "invd", 32, B("\x0f\x08"), OK(2, INSN_INVD) },
    /* control and debug registers: mod is ignored, no SIB/disp follows */
    { "mov_cr0_eax", 32, B("\x0f\x22\xc0"), OK(3, INSN_MOV_TO_CR), .checks = CK_REG, .reg = 0, .rm = 0 },
    { "mov_eax_cr3", 32, B("\x0f\x20\xd8"), OK(3, INSN_MOV_FROM_CR), .checks = CK_REG, .reg = 3, .rm = 0 },
    { "mov_cr4_ecx16", 16, B("\x0f\x22\xe1"), OK(3, INSN_MOV_TO_CR), .checks = CK_REG, .reg = 4, .rm = 1 },
    { "mov_cr3_mod00", 32, B("\x0f\x22\x1d\x44\x33\x22\x11"), OK(3, INSN_MOV_TO_CR), .checks = CK_REG, .reg = 3, .rm = 5 },
    { "mov_cr0_mod01_sib", 32, B("\x0f\x22\x44\x24\x08"), OK(3, INSN_MOV_TO_CR), .checks = CK_REG, .reg = 0, .rm = 4 },
    { "mov_cr1_invalid", 32, B("\x0f\x22\xc8"), BAD },
    { "mov_cr5_invalid", 32, B("\x0f\x20\xe8"), BAD },
    { "mov_dr7_eax", 32, B("\x0f\x23\xf8"), OK(3, INSN_MOV_TO_DR), .checks = CK_REG, .reg = 7, .rm = 0 },
    { "mov_edx_dr6", 32, B("\x0f\x21\xf2"), OK(3, INSN_MOV_FROM_DR), .checks = CK_REG, .reg = 6, .rm = 2 },
    /* segment registers */
    { "mov_ds_ax", 32, B("\x8e\xd8"), OK(2, INSN_MOV_TO_SREG), .checks = CK_REG, .reg = SEG_DS, .rm = 0 },
    { "mov_ss_mem16", 16, B("\x8e\x56\x02"), OK(3, INSN_MOV_TO_SREG), MEM(SEG_SS, REG_BP, N, 1, 2) },
    { "mov_cs_invalid", 32, B("\x8e\xc8"), BAD },
    { "mov_sreg6_invalid", 32, B("\x8e\xf0"), BAD },
    { "mov_ax_gs", 32, B("\x8c\xe8"), OK(2, INSN_MOV_FROM_SREG), .checks = CK_REG, .reg = SEG_GS, .rm = 0 },
    { "mov_from_sreg7_invalid", 32, B("\x8c\xf8"), BAD },
    /* descriptor tables: 0F 00 and 0F 01 groups */
    { "lgdt_eax", 32, B("\x0f\x01\x10"), OK(3, INSN_LGDT), MEM(SEG_DS, REG_AX, N, 1, 0) },
    { "lidt_ebp8", 32, B("\x0f\x01\x5d\x08"), OK(4, INSN_LIDT), MEM(SEG_SS, REG_BP, N, 1, 8) },
    { "sgdt_abs", 32, B("\x0f\x01\x05\x00\x10\x00\x00"), OK(7, INSN_SGDT), MEM(SEG_DS, N, N, 1, 0x1000) },
    { "sidt_fs_sib", 32, B("\x64\x0f\x01\x0c\x8b"), OK(5, INSN_SIDT), MEM(SEG_FS, REG_BX, REG_CX, 4, 0) },
    { "lgdt16_bp_si", 16, B("\x0f\x01\x12"), OK(3, INSN_LGDT), MEM(SEG_SS, REG_BP, REG_SI, 1, 0) },
    { "lgdt16_abs", 16, B("\x0f\x01\x16\x34\x12"), OK(5, INSN_LGDT), MEM(SEG_DS, N, N, 1, 0x1234) },
    { "lgdt32_addr16", 32, B("\x67\x0f\x01\x16\x34\x12"), OK(6, INSN_LGDT), MEM(SEG_DS, N, N, 1, 0x1234) },
    { "lidt16_addr32", 16, B("\x67\x66\x0f\x01\x1d\x78\x56\x34\x12"), OK(9, INSN_LIDT), MEM(SEG_DS, N, N, 1, 0x12345678) },
    { "lldt_ax", 32, B("\x0f\x00\xd0"), OK(3, INSN_LLDT), .checks = CK_REG, .reg = 2, .rm = 0 },
    { "sldt_mem", 32, B("\x0f\x00\x00"), OK(3, INSN_SLDT), MEM(SEG_DS, REG_AX, N, 1, 0) },
    { "ltr_bx", 32, B("\x0f\x00\xdb"), OK(3, INSN_LTR) },
    { "str_eax", 32, B("\x0f\x00\xc8"), OK(3, INSN_STR) },
    { "grp6_reg6_invalid", 32, B("\x0f\x00\xf0"), BAD },
    { "smsw_eax", 32, B("\x0f\x01\xe0"), OK(3, INSN_SMSW) },
    { "smsw_mem", 32, B("\x0f\x01\x20"), OK(3, INSN_SMSW) },
    { "lmsw_ax", 32, B("\x0f\x01\xf0"), OK(3, INSN_LMSW) },
    { "invlpg_disp8", 32, B("\x0f\x01\x78\xfc"), OK(4, INSN_INVLPG), MEM(SEG_DS, REG_AX, N, 1, -4) },
    { "swapgs_invalid_in_32bit", 32, B("\x0f\x01\xf8"), BAD },
    { "vmcall_is_other", 32, B("\x0f\x01\xc1"), OK(3, INSN_OTHER) },
    /* port I/O */
    { "in_al_imm", 32, B("\xe4\x60"), OK(2, INSN_IN), .checks = CK_IMM, .imm = 0x60 },
    { "in_eax_dx", 32, B("\xed"), OK(1, INSN_IN), .checks = CK_SIZES, .op_size = 32, .addr_size = 32 },
    { "in_ax_dx16", 16, B("\xed"), OK(1, INSN_IN), .checks = CK_SIZES, .op_size = 16, .addr_size = 16 },
    { "out_imm_al", 32, B("\xe6\x80"), OK(2, INSN_OUT), .checks = CK_IMM, .imm = 0x80 },
    { "out_dx_ax", 32, B("\x66\xef"), OK(2, INSN_OUT), .checks = CK_SIZES, .op_size = 16, .addr_size = 32 },
    { "insb", 32, B("\x6c"), OK(1, INSN_INS), MEM(SEG_ES, REG_DI, N, 1, 0) },
    { "rep_insd_es_fixed", 32, B("\xf3\x2e\x6d"), OK(3, INSN_INS), MEM(SEG_ES, REG_DI, N, 1, 0) },
    { "outsb_cs", 32, B("\x2e\x6e"), OK(2, INSN_OUTS), MEM(SEG_CS, REG_SI, N, 1, 0) },
    { "rep_outsw16", 16, B("\xf3\x6f"), OK(2, INSN_OUTS), .checks = CK_SIZES, .op_size = 16, .addr_size = 16 },
    /* MOV r/m forms */
    { "mov_ebp_m4_eax", 32, B("\x89\x45\xfc"), OK(3, INSN_MOV), MEM(SEG_SS, REG_BP, N, 1, -4) },
    { "mov_eax_esp", 32, B("\x8b\x04\x24"), OK(3, INSN_MOV), MEM(SEG_SS, REG_SP, N, 1, 0) },
    { "mov_eax_table", 32, B("\x8b\x04\x8d\x00\x10\x00\x00"), OK(7, INSN_MOV), MEM(SEG_DS, N, REG_CX, 4, 0x1000) },
    { "mov_ebp_base_disp32", 32, B("\x8b\x84\x2b\x00\x01\x00\x00"), OK(7, INSN_MOV), MEM(SEG_DS, REG_BX, REG_BP, 1, 0x100) },
    { "mov_sib_ebp_base_mod01", 32, B("\x88\x44\x35\x80"), OK(4, INSN_MOV), MEM(SEG_SS, REG_BP, REG_SI, 1, -128) },
    { "mov_es_override", 32, B("\x26\x88\x07"), OK(3, INSN_MOV), MEM(SEG_ES, REG_DI, N, 1, 0) },
    { "mov16_bx_di_disp16", 16, B("\x8b\x81\x00\x80"), OK(4, INSN_MOV), MEM(SEG_DS, REG_BX, REG_DI, 1, -32768) },
    { "mov16_bp_disp8", 16, B("\x89\x46\x04"), OK(3, INSN_MOV), MEM(SEG_SS, REG_BP, N, 1, 4) },
    { "mov_byte_imm", 32, B("\xc6\x05\x00\x80\x0b\x00\x41"), OK(7, INSN_MOV), .checks = CK_IMM, .imm = 0x41 },
    { "mov_dword_imm", 32, B("\xc7\x45\xf8\x78\x56\x34\x12"), OK(7, INSN_MOV), .checks = CK_IMM, .imm = 0x12345678 },
    { "mov_word_imm16", 16, B("\xc7\x06\x00\x01\x34\x12"), OK(6, INSN_MOV), .checks = CK_IMM, .imm = 0x1234 },
    { "mov_c7_reg1_invalid", 32, B("\xc7\xc8\x00\x00\x00\x00"), BAD },
    { "mov_moffs32", 32, B("\xa1\x00\x00\x0b\x00"), OK(5, INSN_MOV), MEM(SEG_DS, N, N, 1, 0xb0000) },
    { "mov_moffs16", 16, B("\xa3\x34\x12"), OK(3, INSN_MOV), MEM(SEG_DS, N, N, 1, 0x1234) },
    { "mov_moffs_fs", 32, B("\x64\xa1\x30\x00\x00\x00"), OK(6, INSN_MOV), MEM(SEG_FS, N, N, 1, 0x30) },
    { "mov_moffs_addr16", 32, B("\x67\xa0\x10\x00"), OK(4, INSN_MOV), MEM(SEG_DS, N, N, 1, 0x10) },
    { "mov_reg_imm", 32, B("\xb8\x78\x56\x34\x12"), OK(5, INSN_MOV), .checks = CK_IMM, .imm = 0x12345678 },
    { "mov_reg_imm16", 16, B("\xb8\x34\x12"), OK(3, INSN_MOV), .checks = CK_IMM, .imm = 0x1234 },
    /* stack */
    { "push_eax", 32, B("\x50"), OK(1, INSN_PUSH) },
    { "pop_edi", 32, B("\x5f"), OK(1, INSN_POP) },
    { "push_imm8_sx", 32, B("\x6a\xff"), OK(2, INSN_PUSH), .checks = CK_IMM, .imm = 0xffffffff },
    { "push_imm8_sx16", 16, B("\x6a\x80"), OK(2, INSN_PUSH), .checks = CK_IMM, .imm = 0xff80 },
    { "push_imm32", 32, B("\x68\x00\x00\x00\x80"), OK(5, INSN_PUSH), .checks = CK_IMM, .imm = 0x80000000 },
    { "push_mem", 32, B("\xff\x35\x00\x20\x00\x00"), OK(6, INSN_PUSH), MEM(SEG_DS, N, N, 1, 0x2000) },
    { "pop_mem", 32, B("\x8f\x00"), OK(2, INSN_POP) },
    { "pop_grp1a_reg1_invalid", 32, B("\x8f\xc8"), BAD },
    { "push_es", 32, B("\x06"), OK(1, INSN_PUSH) },
    { "pop_ss", 32, B("\x17"), OK(1, INSN_POP) },
    { "push_fs", 32, B("\x0f\xa0"), OK(2, INSN_PUSH) },
    { "pop_gs", 32, B("\x0f\xa9"), OK(2, INSN_POP) },
    { "add_imm8_sx", 32, B("\x83\xc0\xfe"), OK(3, INSN_OTHER), .checks = CK_IMM, .imm = 0xfffffffe },
    /* far transfers */
    { "jmp_far_ptr32", 32, B("\xea\x78\x56\x34\x12\x08\x00"), OK(7, INSN_JMP_FAR), .checks = CK_IMM, .imm = 0x12345678, .imm2 = 8 },
    { "jmp_far_ptr16", 16, B("\xea\x34\x12\x00\xf0"), OK(5, INSN_JMP_FAR), .checks = CK_IMM, .imm = 0x1234, .imm2 = 0xf000 },
    { "jmp_far_ptr16_in32", 32, B("\x66\xea\x34\x12\x10\x00"), OK(6, INSN_JMP_FAR), .checks = CK_IMM, .imm = 0x1234, .imm2 = 0x10 },
    { "call_far_ptr32", 32, B("\x9a\x00\x00\x10\x00\x10\x00"), OK(7, INSN_CALL_FAR), .checks = CK_IMM, .imm = 0x100000, .imm2 = 0x10 },
    { "jmp_far_mem", 32, B("\xff\x2d\x00\x30\x00\x00"), OK(6, INSN_JMP_FAR), MEM(SEG_DS, N, N, 1, 0x3000) },
    { "call_far_mem16", 16, B("\xff\x1e\x00\x30"), OK(4, INSN_CALL_FAR), MEM(SEG_DS, N, N, 1, 0x3000) },
    { "jmp_far_reg_invalid", 32, B("\xff\xe8"), BAD },
    { "lret", 32, B("\xcb"), OK(1, INSN_RET_FAR) },
    { "lret_imm", 32, B("\xca\x08\x00"), OK(3, INSN_RET_FAR), .checks = CK_IMM, .imm = 8 },
    { "ret_imm", 32, B("\xc2\x04\x00"), OK(3, INSN_RET), .checks = CK_IMM, .imm = 4 },
    /* string instructions */
    { "movsb", 32, B("\xa4"), OK(1, INSN_MOVS), MEM(SEG_DS, REG_SI, N, 1, 0) },
    { "rep_movsd_fs", 32, B("\xf3\x64\xa5"), OK(3, INSN_MOVS), MEM(SEG_FS, REG_SI, N, 1, 0) },
    { "cmpsb", 32, B("\xa6"), OK(1, INSN_CMPS) },
    { "stosd_es", 32, B("\x26\xab"), OK(2, INSN_STOS), MEM(SEG_ES, REG_DI, N, 1, 0) },
    { "lodsb_es_override", 16, B("\x26\xac"), OK(2, INSN_LODS), MEM(SEG_ES, REG_SI, N, 1, 0) },
    { "repne_scasb", 32, B("\xf2\xae"), OK(2, INSN_SCAS) },
    /* near branches */
    { "call_rel32", 32, B("\xe8\x00\x00\x00\x00"), OK(5, INSN_CALL) },
    { "jmp_rel16_in32", 32, B("\x66\xe9\x00\x10"), OK(4, INSN_JMP) },
    { "jz_rel32", 32, B("\x0f\x84\x00\x01\x00\x00"), OK(6, INSN_JCC) },
    { "jz_rel16", 16, B("\x0f\x84\x00\x01"), OK(4, INSN_JCC) },
    { "loop", 32, B("\xe2\xfe"), OK(2, INSN_LOOP) },
    { "call_indirect", 32, B("\xff\xd0"), OK(2, INSN_CALL) },
    { "xbegin", 32, B("\xc7\xf8\x10\x00\x00\x00"), OK(6, INSN_XBEGIN) },
    /* prefixes and the 15-byte limit */
    { "redundant_prefixes", 32, B("\x66\x66\x66\x90"), OK(4, INSN_OTHER) },
    { "fifteen_bytes", 32, B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90"), OK(15, INSN_OTHER) },
    { "sixteen_bytes", 32, B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90"), DECODE_TOO_LONG, 0, INSN_OTHER },
    { "too_long_by_imm", 32, B("\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\xc7\x00\x01\x02\x03\x04"), DECODE_TOO_LONG, 0, INSN_OTHER },
    { "last_segment_wins", 32, B("\x26\x64\x8b\x00"), OK(4, INSN_MOV), MEM(SEG_FS, REG_AX, N, 1, 0) },
    { "lock_add_mem", 32, B("\xf0\x01\x18"), OK(3, INSN_OTHER) },
    { "lock_add_reg_invalid", 32, B("\xf0\x01\xd8"), BAD },
    { "lock_nop_invalid", 32, B("\xf0\x90"), BAD },
    { "lock_cmp_invalid", 32, B("\xf0\x83\x38\x01"), BAD },
    { "lock_cmpxchg8b", 32, B("\xf0\x0f\xc7\x0e"), OK(4, INSN_OTHER) },
    /* truncated input */
    { "truncated_empty", 32, B(""), DECODE_TRUNCATED, 0, INSN_OTHER, .checks = CK_AVAIL, .avail = 0 },
    { "truncated_escape", 32, B("\x0f"), DECODE_TRUNCATED, 0, INSN_OTHER },
    { "truncated_prefix", 32, B("\x66\xf3"), DECODE_TRUNCATED, 0, INSN_OTHER },
    { "truncated_rel32", 32, B("\xe8\x00\x00"), DECODE_TRUNCATED, 0, INSN_OTHER },
    { "truncated_sib", 32, B("\x0f\x01\x14"), DECODE_TRUNCATED, 0, INSN_OTHER },
    { "truncated_disp16", 16, B("\x0f\x01\x16\x34"), DECODE_TRUNCATED, 0, INSN_OTHER },
    { "truncated_avail_short", 32, B("\xb8\x01\x02\x03\x04"), DECODE_TRUNCATED, 0, INSN_OTHER, .checks = CK_AVAIL, .avail = 4 },
    { "bad_mode", 64, B("\x90"), DECODE_BAD_MODE, 0, INSN_OTHER },
    /* invalid and always-#UD encodings */
    { "ud2", 32, B("\x0f\x0b"), OK(2, INSN_UD) },
    { "ud1", 32, B("\x0f\xb9\xc0"), OK(3, INSN_UD) },
    { "ud0", 32, B("\x0f\xff\x00"), OK(3, INSN_UD) },
    { "0f04_invalid", 32, B("\x0f\x04"), BAD },
    { "mov_tr_invalid", 32, B("\x0f\x24\xc0"), BAD },
    { "syscall_invalid_legacy", 32, B("\x0f\x05"), BAD },
    { "grp5_reg7_invalid", 32, B("\xff\xff"), BAD },
    { "grp4_reg2_invalid", 32, B("\xfe\x10"), BAD },
    { "lea_reg_invalid", 32, B("\x8d\xc0"), BAD },
    { "lss_reg_invalid", 32, B("\x0f\xb2\xc0"), BAD },
    { "x87_d9d1_invalid", 32, B("\xd9\xd1"), BAD },
    { "x87_dd_reg5_mem_invalid", 32, B("\xdd\x28"), BAD },
    { "sse_f2_movdq_invalid", 32, B("\xf2\x0f\x6f\xc1"), BAD },
    { "sse_0f38_unused", 32, B("\x66\x0f\x38\x50\xc1"), BAD },
    { "3dnow_bad_suffix", 32, B("\x0f\x0f\xc1\x00"), BAD },
    /* x87, SSE, 3DNow!, VEX, EVEX, and the legacy opcodes VEX/EVEX reuse */
    { "fld1", 32, B("\xd9\xe8"), OK(2, INSN_OTHER) },
    { "fld_qword_ebp", 32, B("\xdd\x45\xf8"), OK(3, INSN_OTHER), MEM(SEG_SS, REG_BP, N, 1, -8) },
    { "fstp1_alias", 32, B("\xd9\xd9"), OK(2, INSN_OTHER) },
    { "movdqa", 32, B("\x66\x0f\x6f\xc1"), OK(4, INSN_OTHER) },
    { "movdqu_mem", 32, B("\xf3\x0f\x6f\x00"), OK(4, INSN_OTHER) },
    { "pshufb", 32, B("\x0f\x38\x00\xc1"), OK(4, INSN_OTHER) },
    { "palignr", 32, B("\x66\x0f\x3a\x0f\xc1\x08"), OK(6, INSN_OTHER) },
    { "psrldq_imm", 32, B("\x66\x0f\x73\xd8\x04"), OK(5, INSN_OTHER) },
    { "crc32_f2", 32, B("\xf2\x0f\x38\xf1\xc1"), OK(5, INSN_OTHER) },
    { "pfadd", 32, B("\x0f\x0f\xc1\x9e"), OK(4, INSN_OTHER) },
    { "pfmul_disp8", 32, B("\x0f\x0f\x40\x10\xb4"), OK(5, INSN_OTHER) },
    { "les", 32, B("\xc4\x05\x00\x10\x00\x00"), OK(6, INSN_OTHER) },
    { "lds16", 16, B("\xc5\x36\x00\x10"), OK(4, INSN_OTHER) },
    { "bound", 32, B("\x62\x03"), OK(2, INSN_OTHER) },
    { "vzeroupper", 32, B("\xc5\xf8\x77"), OK(3, INSN_OTHER) },
    { "vpshufb_mem", 32, B("\xc4\xe2\x79\x00\x04\x24"), OK(6, INSN_OTHER) },
    { "vpalignr", 32, B("\xc4\xe3\x79\x0f\xc1\x08"), OK(6, INSN_OTHER) },
    { "vex_after_66_invalid", 32, B("\x66\xc5\xf8\x77"), BAD },
    { "vex_map0_invalid", 32, B("\xc4\xe0\x78\x10\xc0"), BAD },
    { "evex_vaddps", 32, B("\x62\xf1\x7c\x48\x58\xc1"), OK(6, INSN_OTHER) },
    { "evex_disp8", 32, B("\x62\xf1\x7c\x48\x58\x40\x01"), OK(7, INSN_OTHER) },
};

#define CASE_COUNT (sizeof cases / sizeof cases[0])
static unsigned cases_run;

static void check_fields(const struct decode_case *c, const struct insn *in)
{
    if (c->checks & CK_MEM) {
        assert_true(in->has_mem);
        assert_int_equal(in->mem.seg, c->mem.seg);
        assert_int_equal(in->mem.base, c->mem.base);
        assert_int_equal(in->mem.index, c->mem.index);
        if (c->mem.index != REG_NONE)
            assert_int_equal(in->mem.scale, c->mem.scale);
        assert_int_equal(in->mem.disp, c->mem.disp);
    }
    if (c->checks & CK_IMM) {
        assert_int_equal(in->imm, c->imm);
        assert_int_equal(in->imm2, c->imm2);
    }
    if (c->checks & CK_REG) {
        assert_int_equal(in->reg, c->reg);
        assert_int_equal(in->rm, c->rm);
        assert_int_equal(in->mod, 3);
        assert_false(in->has_mem);
    }
    if (c->checks & CK_SIZES) {
        assert_int_equal(in->op_size, c->op_size);
        assert_int_equal(in->addr_size, c->addr_size);
    }
}

static void run_case(void **state)
{
    const struct decode_case *c = *state;
    size_t avail = c->checks & CK_AVAIL ? c->avail : c->count;
    /* an exact-size heap copy: ASan catches any read past avail */
    uint8_t *bytes = malloc(avail ? avail : 1);
    assert_non_null(bytes);
    memcpy(bytes, c->bytes, avail);
    struct insn in;
    int status = decode(bytes, avail, c->mode, &in);
    free(bytes);
    cases_run++;
    if (status != c->status)
        fail_msg("%s: status %s, want %s", c->name, decode_status_name(status),
             decode_status_name(c->status));
    if (status != DECODE_OK)
        return;
    assert_int_equal(in.length, c->length);
    if (in.cls != c->cls)
        fail_msg("%s: class %s, want %s", c->name, insn_class_name(in.cls), insn_class_name(c->cls));
    check_fields(c, &in);
}

/* ---- control flow ---------------------------------------------------------- */

static void flow_of(int mode, const char *bytes, size_t n, uint32_t eip, struct flow *f)
{
    struct insn in;
    assert_int_equal(decode((const uint8_t *)bytes, n, mode, &in), DECODE_OK);
    insn_flow(&in, eip, f);
}

#define FLOW(mode, s, eip) flow_of(mode, s, sizeof(s) - 1, eip, &f)

static void test_flow_direct(void **state)
{
    (void)state;
    struct flow f;
    FLOW(32, "\xeb\xfe", 0x1000);           /* jmp $ */
    assert_int_equal(f.kind, FLOW_JMP);
    assert_true(f.has_target && !f.falls_through && !f.indirect);
    assert_int_equal(f.target, 0x1000);
    FLOW(32, "\xe8\xfb\xff\xff\xff", 0x2000);       /* call $ */
    assert_int_equal(f.kind, FLOW_CALL);
    assert_true(f.has_target && f.falls_through);
    assert_int_equal(f.target, 0x2000);
    FLOW(32, "\x0f\x85\x00\x01\x00\x00", 0x3000);
    assert_int_equal(f.kind, FLOW_JCC);
    assert_true(f.falls_through);
    assert_int_equal(f.target, 0x3106);
    FLOW(32, "\xe3\x10", 0x100);                    /* jecxz */
    assert_int_equal(f.kind, FLOW_JCC);
    assert_int_equal(f.target, 0x112);
}

static void test_flow_16bit_wraps(void **state)
{
    (void)state;
    struct flow f;
    /* SDM JMP: with a 16-bit operand size "the upper two bytes of EIP are cleared" */
    FLOW(16, "\xeb\x20", 0xfff0);
    assert_int_equal(f.target, 0x0012);
    FLOW(32, "\x66\xe9\x00\x80", 0x1000);   /* jmp rel16 in 32-bit code */
    assert_int_equal(f.target, (0x1004 + 0x8000 - 0x10000) & 0xffff);
}

static void test_flow_indirect_far_and_stops(void **state)
{
    (void)state;
    struct flow f;
    FLOW(32, "\xff\x24\x85\x00\x10\x00\x00", 0);    /* jmp [eax*4+0x1000] */
    assert_int_equal(f.kind, FLOW_JMP);
    assert_true(f.indirect && !f.has_target && !f.falls_through);
    FLOW(32, "\xea\x00\x00\x10\x00\x08\x00", 0);
    assert_int_equal(f.kind, FLOW_JMP_FAR);
    assert_true(f.has_far_target && !f.falls_through);
    assert_int_equal(f.far_sel, 8);
    assert_int_equal(f.target, 0x100000);
    FLOW(32, "\xc3", 0);
    assert_int_equal(f.kind, FLOW_RET);
    assert_false(f.falls_through);
    FLOW(32, "\xcf", 0);
    assert_int_equal(f.kind, FLOW_IRET);
    FLOW(32, "\xcd\x80", 0);
    assert_int_equal(f.kind, FLOW_INT);
    assert_true(f.falls_through);
    FLOW(32, "\x0f\x0b", 0);
    assert_int_equal(f.kind, FLOW_STOP);
    assert_false(f.falls_through);
    FLOW(32, "\x90", 0);
    assert_int_equal(f.kind, FLOW_NONE);
    assert_true(f.falls_through);
}

/* Meta-check (sel4test "all tests ran"): every table case ran exactly once. */
/* decode keeps a copy of every one-byte instruction's decoding: for every
 * first byte, in both modes, and whatever follows it, its answer is the
 * decoder's own (decode_uncached), field for field. */
static void test_one_byte_copies(void **state)
{
    (void)state;
    static const uint8_t tails[][3] = { { 0x90, 0x90, 0x90 }, { 0x00, 0x00, 0x00 }, { 0xff, 0xff, 0xff },
                                        { 0x0f, 0x05, 0xc3 }, { 0x66, 0x9c, 0x9d } };
    unsigned copied = 0;
    for (int round = 0; round < 2; round++)          /* the first call makes the copies */
        for (int mode = 16; mode <= 32; mode += 16)
            for (unsigned b = 0; b < 256; b++)
                for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++)
                    for (size_t avail = 1; avail <= 4; avail++) {
                        uint8_t bytes[4] = { (uint8_t)b, tails[t][0], tails[t][1], tails[t][2] };
                        struct insn fast, slow;
                        memset(&fast, 0xa5, sizeof fast);
                        memset(&slow, 0xa5, sizeof slow);
                        int rf = decode(bytes, avail, mode, &fast), rs = decode_uncached(bytes, avail, mode, &slow);
                        assert_int_equal(rf, rs);
                        if (rs == DECODE_OK) {
                            assert_memory_equal(&fast, &slow, sizeof fast);
                            copied += round && slow.length == 1;
                        }
                    }
    /* pushf popf iret cli sti hlt ret and in/out through DX are among them */
    assert_true(copied >= 2 * 5 * 4 * 9);
}

static void test_all_cases_ran(void **state)
{
    (void)state;
    if (getenv("DECODE_FILTER") == NULL)
        assert_int_equal(cases_run, CASE_COUNT);
}

int main(int argc, char **argv)
{
    static struct CMUnitTest tests[CASE_COUNT + 5];
    size_t n = 0;
    for (size_t i = 0; i < CASE_COUNT; i++) {
        tests[n] = (struct CMUnitTest){ .name = cases[i].name, .test_func = run_case,
                         .initial_state = (void *)&cases[i] };
        n++;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_flow_direct);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_flow_16bit_wraps);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_flow_indirect_far_and_stops);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_one_byte_copies);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_all_cases_ran);
    if (argc > 1) {         /* run one case by name */
        setenv("DECODE_FILTER", argv[1], 1);
        cmocka_set_test_filter(argv[1]);
    }
    return _cmocka_run_group_tests("decode", tests, n, NULL, NULL);
}
