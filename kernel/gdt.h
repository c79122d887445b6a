/*
 * Each CPU has a full-size GDT; its layout (which indexes the host keeps,
 * the selectors) is in kernel/x86-defs.h.
 */
#pragma once
#include <stdint.h>
#include "kernel/x86-defs.h"

#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define IST_STACK_SIZE   8192

struct cpu;
void gdt_init_cpu(struct cpu *c, uint64_t *table);   /* build, load, reload segments */
