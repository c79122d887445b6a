/*
 * Kernel address space.  The upper half is the host's and is shared by
 * every address space: the kernel image at KERNEL_VMA (-2 GiB, mapping the
 * first GiB of physical memory) and a direct map of all physical memory
 * (and the 4 GiB below, for MMIO) at DMAP_BASE.  The lower half is empty:
 * it belongs to guests.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>

#define KERNEL_VMA 0xffffffff80000000ul
#define DMAP_BASE  0xffff800000000000ul
#define VM_TEST_WINDOW 0xffffc00000000000ul   /* 4 KiB mappings made at run time */

#define PTE_P   (1ul << 0)
#define PTE_W   (1ul << 1)
#define PTE_U   (1ul << 2)
#define PTE_PWT (1ul << 3)
#define PTE_PCD (1ul << 4)
#define PTE_PS  (1ul << 7)
#define PTE_G   (1ul << 8)
#define PTE_NX  (1ul << 63)
#define PTE_ADDR 0x000ffffffffff000ul

extern bool vm_ready;

/* Before vm_init only the first GiB is reachable, through the image mapping. */
static inline void *phys_to_virt(uint64_t pa)
{
    return (void *)(pa + (vm_ready ? DMAP_BASE : KERNEL_VMA));
}

static inline uint64_t virt_to_phys(const void *va)
{
    uint64_t v = (uint64_t)va;
    return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DMAP_BASE;
}

void vm_init(uint64_t top);                   /* build the kernel tables, switch to them */
void vm_load_kernel(void);                    /* CR3 = the kernel's tables (APs) */
uint64_t vm_kernel_root(void);                /* physical address of the kernel PML4 */
/* 4 KiB mappings in the kernel's upper half (they are shared by every space). */
bool vm_map(uint64_t va, uint64_t pa, uint64_t flags);
bool vm_unmap(uint64_t va);                   /* local invlpg only: callers shoot down */
uint64_t vm_translate(uint64_t va);           /* physical address, or ~0 */
bool vm_alias_4g(uint64_t va);                /* 4 GiB of one page (kernel/espfix.h) */

/* Address spaces: the kernel's upper half plus a private lower half. */
uint64_t vm_space_create(void);               /* root (physical), 0 when out of memory */
bool vm_space_map(uint64_t root, uint64_t va, uint64_t pa, uint64_t flags);   /* 4 KiB, lower half */
uint64_t *vm_space_pte(uint64_t root, uint64_t va);  /* its 4 KiB leaf entry, or NULL */
void vm_space_destroy(uint64_t root);
