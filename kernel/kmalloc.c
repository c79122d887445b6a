/* The kernel heap: struct heap (kernel/heap.c) behind one interrupt-safe lock. */
#include "kernel/heap.h"
#include "kernel/pmm.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/failalloc.h"
#include "smp/spinlock.h"

static struct heap heap;
static struct spinlock heap_lock = SPINLOCK_INIT("heap");

static void report(enum heap_error e, const void *p)
{
    static const char *const what[] = { "ok", "bad pointer", "double free", "use after free (poison overwritten)" };
    panic("kfree/kmalloc: %s at %p", what[e], p);
}

void kmalloc_init(void)
{
    heap_init(&heap, page_alloc, page_free, report);
}

void *kmalloc(size_t size)
{
    if (failalloc_should_fail())
        return 0;
    spin_lock_irq(&heap_lock);
    void *p = heap_alloc(&heap, size);
    spin_unlock_irq(&heap_lock);
    return p;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

bool kgrow(void **array, size_t *cap, size_t used, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap * 2 : first;
    while (n < need) n *= 2;
    void *a = kmalloc(n * elem);
    if (!a)
        return false;
    if (*array) { memcpy(a, *array, used * elem); kfree(*array); }
    *array = a;
    *cap = n;
    return true;
}

void kfree(void *p)
{
    spin_lock_irq(&heap_lock);
    heap_free(&heap, p);
    spin_unlock_irq(&heap_lock);
}

void kmalloc_stats(uint64_t *live, uint64_t *pages, uint64_t *allocs, uint64_t *frees)
{
    spin_lock_irq(&heap_lock);
    *live = heap.bytes_live;
    *pages = heap.pages_held;
    *allocs = heap.allocs;
    *frees = heap.frees;
    spin_unlock_irq(&heap_lock);
}
