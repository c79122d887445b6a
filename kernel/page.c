/*
 * The kernel's page allocator: struct pmm (kernel/pmm.c) behind a lock,
 * handing out zeroed pages by their direct-map address.  The bitmap is
 * static: 2 MiB of .bss covers 64 GiB, and needs no allocator to exist.
 */
#include "kernel/pmm.h"
#include "kernel/vm.h"
#include "kernel/string.h"
#include "kernel/panic.h"
#include "kernel/sections.h"
#include "kernel/console.h"
#include "kernel/failalloc.h"
#include "smp/spinlock.h"

#define MAX_PHYS (64ul << 30)
static uint64_t bitmap[MAX_PHYS / PAGE_SIZE / 64];
static struct pmm pmm;
static struct spinlock page_lock = SPINLOCK_INIT("pages");
static uint64_t total;

void page_init(const struct mem_region *r, size_t n, uint64_t top)
{
    if (top > MAX_PHYS) {
        kprintf("mem: ignoring memory above %lu GiB\n", MAX_PHYS >> 30);
        top = MAX_PHYS;
    }
    pmm_init(&pmm, bitmap, top / PAGE_SIZE);
    pmm_add_map(&pmm, r, n);
    pmm_reserve(&pmm, 0, 1ul << 20);                     /* BIOS, AP trampoline */
    pmm_reserve(&pmm, 1ul << 20, (uint64_t)_end - KERNEL_VMA - (1ul << 20));
    total = pmm.nfree;
}

void page_reserve(uint64_t base, uint64_t len)
{
    spin_lock_irq(&page_lock);
    pmm_reserve(&pmm, base, len);
    spin_unlock_irq(&page_lock);
}

void *page_alloc(size_t count)
{
    if (failalloc_should_fail())
        return 0;
    uint64_t pfn;
    spin_lock_irq(&page_lock);
    bool ok = pmm_alloc(&pmm, count, &pfn);
    spin_unlock_irq(&page_lock);
    if (!ok)
        return 0;
    if (!vm_ready && (pfn + count) * PAGE_SIZE > (1ul << 30))
        panic("page_alloc: early frame %lx beyond the boot mapping", pfn);
    void *va = phys_to_virt(pfn * PAGE_SIZE);
    memset(va, 0, count * PAGE_SIZE);
    return va;
}

void page_free(void *va, size_t count)
{
    uint64_t pfn = virt_to_phys(va) / PAGE_SIZE;
    spin_lock_irq(&page_lock);
    bool ok = pmm_free(&pmm, pfn, count);
    spin_unlock_irq(&page_lock);
    if (!ok)
        panic("page_free: %p (+%zu pages) was not allocated: double free?", va, count);
}

uint64_t page_free_count(void) { return __atomic_load_n(&pmm.nfree, __ATOMIC_RELAXED); }
uint64_t page_total_count(void) { return total; }
