/*
 * Each CPU has a full-size GDT (8192 descriptors).  The host's own
 * descriptors sit at the top indexes, which no legacy guest uses, so guest
 * descriptors can later be mirrored at the guest's own indexes.
 */
#pragma once
#include <stdint.h>

#define GDT_ENTRIES   8192
#define GDT_KCODE_IDX 8188
#define GDT_KDATA_IDX 8189
#define GDT_TSS_IDX   8190              /* a 64-bit TSS descriptor takes two */
#define SEL_KCODE     (GDT_KCODE_IDX << 3)
#define SEL_KDATA     (GDT_KDATA_IDX << 3)
#define SEL_TSS       (GDT_TSS_IDX << 3)

#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define IST_STACK_SIZE   8192

struct cpu;
void gdt_init_cpu(struct cpu *c, uint64_t *table);   /* build, load, reload segments */
