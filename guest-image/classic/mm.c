/* mm: memory comes from the Multiboot memory map (or mem_upper when the
 * loader gives no map); only RAM above the kernel image is managed, so the
 * BIOS areas, VGA memory and the image itself are never handed out. */
#include "mm.h"
#include "boot.h"
#include "console.h"
#include "exit.h"
#include "klib.h"
#include "x86.h"

#define KM_MIN_SHIFT 4          /* smallest block: 16 bytes */
#define KM_CLASSES   8          /* 16 .. 2048 bytes */
#define KM_MAGIC     0x6b6d0000u
#define KM_FREED     0x6b660000u

/* Every kmalloc block starts with this header; the caller gets what follows. */
struct km_header {
    uint32_t magic;             /* KM_MAGIC | class, or KM_MAGIC | 0xff for pages */
    uint32_t pages;             /* page-sized blocks: how many pages */
};
/* A free block keeps its header word, so a second kfree is caught. */
struct km_free {
    uint32_t magic;             /* KM_FREED | class */
    struct km_free *next;
};

uint8_t mm_page_used[MM_MAX_PAGES / 8];
uint32_t mm_total_pages;
uint32_t mm_free_pages;
uint32_t mm_kmalloc_live;
struct km_free *mm_km_free[KM_CLASSES];
uint32_t mm_search_hint;

extern uint8_t _end[];          /* linker.ld: end of the image, page aligned */

static int page_used(uint32_t pg) { return mm_page_used[pg / 8] >> (pg % 8) & 1; }
static void page_set(uint32_t pg) { mm_page_used[pg / 8] |= (uint8_t)(1 << (pg % 8)); }
static void page_clear(uint32_t pg) { mm_page_used[pg / 8] &= (uint8_t)~(1 << (pg % 8)); }

/* Make the whole pages inside [base, base+len) available. */
static __init void add_range(uint64_t base, uint64_t len)
{
    uint64_t lo = base, hi = base + len;
    if (lo < (uint32_t)_end)
        lo = (uint32_t)_end;
    if (hi > MM_MAX_BYTES)
        hi = MM_MAX_BYTES;
    for (uint64_t a = (lo + MM_PAGE_SIZE - 1) & ~(uint64_t)(MM_PAGE_SIZE - 1);
         a + MM_PAGE_SIZE <= hi; a += MM_PAGE_SIZE) {
        uint32_t pg = (uint32_t)(a / MM_PAGE_SIZE);
        if (page_used(pg)) {
            page_clear(pg);
            mm_total_pages++;
            mm_free_pages++;
        }
    }
}

API __init int mm_init(const struct mb_info *mbi)
{
    memset(mm_page_used, 0xff, sizeof mm_page_used);
    if (mbi->flags & MB_INFO_MMAP) {
        uint32_t p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
        while (p < end) {
            const struct mb_mmap_entry *e = (const void *)p;
            if (e->type == 1)
                add_range(e->addr, e->len);
            p += e->size + 4;   /* size does not count itself */
        }
    } else if (mbi->flags & MB_INFO_MEM) {
        add_range(1u << 20, (uint64_t)mbi->mem_upper << 10);
    } else {
        console_printf("mm: the loader passed no memory information\n");
        return -1;
    }
    mm_search_hint = (uint32_t)_end / MM_PAGE_SIZE;
    return 0;
}

static int run_free(uint32_t pg, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (pg + i >= MM_MAX_PAGES || page_used(pg + i))
            return 0;
    return 1;
}

/* n physically contiguous pages, or NULL. */
API void *mm_page_alloc(uint32_t n)
{
    uint32_t f = irq_save();
    void *p = NULL;
    for (uint32_t k = 0; k < MM_MAX_PAGES && !p; k++) {
        uint32_t pg = (mm_search_hint + k) % MM_MAX_PAGES;
        if (!run_free(pg, n))
            continue;
        for (uint32_t i = 0; i < n; i++)
            page_set(pg + i);
        mm_free_pages -= n;
        mm_search_hint = pg + n;
        p = (void *)(pg * MM_PAGE_SIZE);
    }
    irq_restore(f);
    return p;
}

API void mm_page_free(void *p, uint32_t n)
{
    uint32_t f = irq_save();
    uint32_t pg = (uint32_t)p / MM_PAGE_SIZE;
    if ((uint32_t)p % MM_PAGE_SIZE || p < (void *)_end || pg + n > MM_MAX_PAGES)
        panic("mm_page_free: bad address %p", p);
    for (uint32_t i = 0; i < n; i++) {
        if (!page_used(pg + i))
            panic("mm_page_free: page %p freed twice", (void *)((pg + i) * MM_PAGE_SIZE));
        page_clear(pg + i);
    }
    mm_free_pages += n;
    irq_restore(f);
}

/* Cut a fresh page into blocks of one class. */
static int refill(uint32_t cls)
{
    uint8_t *page = mm_page_alloc(1);
    if (!page)
        return -1;
    uint32_t size = 1u << (cls + KM_MIN_SHIFT);
    for (uint32_t off = 0; off + size <= MM_PAGE_SIZE; off += size) {
        struct km_free *b = (void *)(page + off);
        b->magic = KM_FREED | cls;
        b->next = mm_km_free[cls];
        mm_km_free[cls] = b;
    }
    return 0;
}

static void *alloc_pages_block(size_t size)
{
    uint32_t pages = (uint32_t)((size + sizeof(struct km_header) + MM_PAGE_SIZE - 1) / MM_PAGE_SIZE);
    struct km_header *h = mm_page_alloc(pages);
    if (!h)
        return NULL;
    h->magic = KM_MAGIC | 0xff;
    h->pages = pages;
    return h + 1;
}

API void *kmalloc(size_t size)
{
    uint32_t cls = 0;
    while (cls < KM_CLASSES && (1u << (cls + KM_MIN_SHIFT)) < size + sizeof(struct km_header))
        cls++;
    uint32_t f = irq_save();
    void *p = NULL;
    if (cls == KM_CLASSES) {
        p = alloc_pages_block(size);
    } else if (mm_km_free[cls] || refill(cls) == 0) {
        struct km_header *h = (void *)mm_km_free[cls];
        mm_km_free[cls] = mm_km_free[cls]->next;
        h->magic = KM_MAGIC | cls;
        h->pages = 0;
        p = h + 1;
    }
    if (p)
        mm_kmalloc_live++;
    irq_restore(f);
    return p;
}

API void kfree(void *p)
{
    if (!p)
        return;
    uint32_t f = irq_save();
    struct km_header *h = (struct km_header *)p - 1;
    uint32_t cls = h->magic & 0xffff;
    if ((h->magic & 0xffff0000u) != KM_MAGIC || (cls >= KM_CLASSES && cls != 0xff))
        panic("kfree(%p): %s", p, (h->magic & 0xffff0000u) == KM_FREED ? "freed twice"
                                                                        : "not from kmalloc");
    if (cls == 0xff) {
        h->magic = KM_FREED | cls;
        mm_page_free(h, h->pages);
    } else {
        struct km_free *b = (void *)h;
        b->magic = KM_FREED | cls;
        b->next = mm_km_free[cls];
        mm_km_free[cls] = b;
    }
    mm_kmalloc_live--;
    irq_restore(f);
}
