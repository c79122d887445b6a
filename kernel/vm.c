#include "kernel/vm.h"
#include "kernel/pmm.h"
#include "kernel/x86.h"
#include "kernel/panic.h"
#include "smp/spinlock.h"

bool vm_ready;
static uint64_t *kernel_pml4;
static struct spinlock vm_lock = SPINLOCK_INIT("vm");

#define GiB (1ul << 30)
#define MiB (1ul << 20)
#define IDX(va, level) (((va) >> (12 + 9 * (level))) & 511)

static uint64_t *alloc_table(void)
{
    uint64_t *t = page_alloc(1);
    if (!t)
        panic("vm: out of memory for page tables");
    return t;
}

static uint64_t *table_of(uint64_t entry) { return phys_to_virt(entry & PTE_ADDR); }

/* Next-level table under t[i], made on demand. */
/* Before vm_ready a missing table is fatal; afterwards the caller is told. */
static uint64_t *walk_next(uint64_t *t, unsigned i, bool create)
{
    if (!(t[i] & PTE_P)) {
        if (!create) return 0;
        uint64_t *next = vm_ready ? page_alloc(1) : alloc_table();
        if (!next) return 0;
        t[i] = virt_to_phys(next) | PTE_P | PTE_W;
    }
    return table_of(t[i]);
}

/* 2 MiB pages; the PCI hole below 4 GiB (LAPIC, IOAPIC) uncached. */
static void map_direct(uint64_t top)
{
    for (uint64_t pa = 0; pa < top; pa += 2 * MiB) {
        uint64_t va = DMAP_BASE + pa;
        uint64_t *pdpt = walk_next(kernel_pml4, IDX(va, 3), true);
        uint64_t *pd = walk_next(pdpt, IDX(va, 2), true);
        uint64_t cache = pa >= 3 * GiB && pa < 4 * GiB ? PTE_PCD | PTE_PWT : 0;
        pd[IDX(va, 1)] = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX | cache;
    }
}

static void map_image(void)
{
    uint64_t *pdpt = walk_next(kernel_pml4, IDX(KERNEL_VMA, 3), true);
    uint64_t *pd = walk_next(pdpt, IDX(KERNEL_VMA, 2), true);
    for (unsigned i = 0; i < 512; i++)
        pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_PS | PTE_G;
}

static uint64_t *pte_of(uint64_t va, bool create);

void vm_init(uint64_t top)
{
    if (top < 4 * GiB)
        top = 4 * GiB;
    kernel_pml4 = alloc_table();
    map_direct(top);
    map_image();
    /* every upper-half PML4 slot gets its table now, so address spaces made
     * later can share the upper half by copying these 256 entries */
    for (unsigned i = 256; i < 512; i++)
        walk_next(kernel_pml4, i, true);
    pte_of(VM_TEST_WINDOW, true);       /* its first 2 MiB get their page table now */
    write_cr4(read_cr4() | (1ul << 7));                  /* PGE: global pages */
    write_cr3(virt_to_phys(kernel_pml4));
    vm_ready = true;
}

void vm_load_kernel(void) { write_cr3(virt_to_phys(kernel_pml4)); }
uint64_t vm_kernel_root(void) { return virt_to_phys(kernel_pml4); }

static uint64_t *pte_of(uint64_t va, bool create)
{
    uint64_t *t = kernel_pml4;
    for (int level = 3; level > 0; level--) {
        t = walk_next(t, IDX(va, level), create);
        if (!t) return 0;
    }
    return &t[IDX(va, 0)];
}

bool vm_map(uint64_t va, uint64_t pa, uint64_t flags)
{
    if (va < DMAP_BASE)
        return false;
    spin_lock_irq(&vm_lock);
    uint64_t *pte = pte_of(va, true);
    if (pte)
        *pte = (pa & PTE_ADDR) | flags | PTE_P;
    spin_unlock_irq(&vm_lock);
    invlpg(va);
    return pte != 0;
}

bool vm_unmap(uint64_t va)
{
    spin_lock_irq(&vm_lock);
    uint64_t *pte = pte_of(va, false);
    bool was = pte && (*pte & PTE_P);
    if (pte) *pte = 0;
    spin_unlock_irq(&vm_lock);
    invlpg(va);
    return was;
}

uint64_t vm_translate(uint64_t va)
{
    spin_lock_irq(&vm_lock);
    uint64_t *pte = pte_of(va, false);
    uint64_t pa = pte && (*pte & PTE_P) ? (*pte & PTE_ADDR) | (va & 0xfff) : ~0ul;
    spin_unlock_irq(&vm_lock);
    return pa;
}

/* 4 GiB at va (4 GiB aligned, upper half) in which every 4 KiB page is
 * the same fresh page: one page directory whose entries all name one page
 * table whose entries all name that page (kernel/espfix.h). */
bool vm_alias_4g(uint64_t va)
{
    uint64_t *page = page_alloc(1), *pt = page_alloc(1), *pd = page_alloc(1);
    if (!page || !pt || !pd) {
        if (page) page_free(page, 1);
        if (pt) page_free(pt, 1);
        if (pd) page_free(pd, 1);
        return false;
    }
    for (unsigned i = 0; i < 512; i++) {
        pt[i] = virt_to_phys(page) | PTE_P | PTE_W | PTE_G | PTE_NX;
        pd[i] = virt_to_phys(pt) | PTE_P | PTE_W;
    }
    spin_lock_irq(&vm_lock);
    uint64_t *pdpt = walk_next(kernel_pml4, IDX(va, 3), false);      /* made at vm_init: shared */
    for (unsigned g = 0; pdpt && g < 4; g++)
        pdpt[IDX(va, 2) + g] = virt_to_phys(pd) | PTE_P | PTE_W;
    spin_unlock_irq(&vm_lock);
    return pdpt != 0;
}

/* ---- address spaces for guests -------------------------------------------- */

uint64_t vm_space_create(void)
{
    uint64_t *pml4 = page_alloc(1);
    if (!pml4)
        return 0;
    for (unsigned i = 256; i < 512; i++)
        pml4[i] = kernel_pml4[i];                     /* the shared upper half */
    return virt_to_phys(pml4);
}

bool vm_space_map(uint64_t root, uint64_t va, uint64_t pa, uint64_t flags)
{
    if (va >= (1ul << 47))
        return false;
    uint64_t *t = phys_to_virt(root);
    for (int level = 3; level > 0; level--) {
        unsigned i = IDX(va, level);
        if (!(t[i] & PTE_P)) {
            uint64_t *next = page_alloc(1);
            if (!next) return false;
            t[i] = virt_to_phys(next) | PTE_P | PTE_W | PTE_U;
        }
        t = table_of(t[i]);
    }
    t[IDX(va, 0)] = (pa & PTE_ADDR) | flags | PTE_P;
    return true;
}

/* The leaf entry that maps va (4 KiB, lower half) in root, or NULL if none:
 * for changing one page's permissions in place (the caller invalidates). */
uint64_t *vm_space_pte(uint64_t root, uint64_t va)
{
    if (va >= (1ul << 47))
        return 0;
    uint64_t *t = phys_to_virt(root);
    for (int level = 3; level > 0; level--) {
        unsigned i = IDX(va, level);
        if (!(t[i] & PTE_P) || (t[i] & PTE_PS))
            return 0;
        t = table_of(t[i]);
    }
    return &t[IDX(va, 0)];
}

static void free_level(uint64_t *t, int level)
{
    for (unsigned i = 0; i < 512; i++)
        if (level > 1 && (t[i] & PTE_P))
            free_level(table_of(t[i]), level - 1);
    page_free(t, 1);
}

/* Frees the lower half's page tables (not the frames they map) and the root. */
void vm_space_destroy(uint64_t root)
{
    uint64_t *pml4 = phys_to_virt(root);
    for (unsigned i = 0; i < 256; i++)
        if (pml4[i] & PTE_P)
            free_level(table_of(pml4[i]), 3);
    page_free(pml4, 1);
}
