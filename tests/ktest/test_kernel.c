/* In-kernel tests of the core services: formatting, memory, symbols. */
#include "tests/ktest/ktest.h"
#include "kernel/printf.h"
#include "kernel/string.h"
#include "kernel/heap.h"
#include "kernel/pmm.h"
#include "kernel/vm.h"
#include "kernel/panic.h"

KTEST(printf_formats)
{
    char b[64];
    snprintf(b, sizeof b, "%d|%5u|%-4x|%08lx|%s|%c", -42, 7u, 0xabu, 0x1234ul, "ok", 'z');
    KT_ASSERT(!strcmp(b, "-42|    7|ab  |00001234|ok|z"));
    KT_EQ(snprintf(b, 4, "%s", "truncated"), 9);
    KT_ASSERT(!strcmp(b, "tru"));
}

KTEST(heap_sizes)
{
    void *p[64];
    for (unsigned i = 0; i < 64; i++) {
        size_t size = 1 + i * 97;
        p[i] = kmalloc(size);
        KT_ASSERT(p[i]);
        memset(p[i], i, size);
    }
    for (unsigned i = 0; i < 64; i++) {
        const unsigned char *b = p[i];
        for (size_t j = 0; j < 1 + i * 97; j++)
            if (b[j] != (unsigned char)i) KT_FAIL("object %u overwritten at byte %zu", i, j);
        kfree(p[i]);
    }
}

KTEST(heap_large)
{
    char *p = kmalloc(100000);
    KT_ASSERT(p);
    memset(p, 0x5a, 100000);
    KT_EQ(heap_size_of(p), 100000);
    kfree(p);
}

KTEST(page_alloc_contiguous)
{
    uint64_t before = page_free_count();
    uint8_t *p = page_alloc(8);
    KT_ASSERT(p);
    KT_EQ(page_free_count(), before - 8);
    for (int i = 0; i < 8; i++)
        KT_EQ(virt_to_phys(p + i * PAGE_SIZE), virt_to_phys(p) + i * PAGE_SIZE);
    KT_EQ(p[PAGE_SIZE * 8 - 1], 0);               /* zeroed */
    page_free(p, 8);
    KT_EQ(page_free_count(), before);
}

KTEST(vm_map_unmap)
{
    uint64_t *frame = page_alloc(1);
    KT_ASSERT(frame);
    frame[0] = 0xfeedface;
    uint64_t va = VM_TEST_WINDOW + 0x10000;
    KT_ASSERT(vm_map(va, virt_to_phys(frame), PTE_W | PTE_NX));
    KT_EQ(vm_translate(va), virt_to_phys(frame));
    KT_EQ(*(volatile uint64_t *)va, 0xfeedface);
    KT_ASSERT(vm_unmap(va));
    KT_EQ(vm_translate(va), ~0ul);
    page_free(frame, 1);
}

KTEST(ksyms_lookup)
{
    uint64_t off = 0;
    const char *name = ksym_lookup((uint64_t)kmalloc + 3, &off);
    KT_ASSERT(name && !strcmp(name, "kmalloc"));
    KT_EQ(off, 3);
}
