/* mm: physical page allocator (a bitmap, first fit) and kmalloc/kfree
 * (power-of-two size classes carved from pages).  No paging: an address is
 * a physical address. */
#ifndef CLASSIC_MM_H
#define CLASSIC_MM_H
#include "types.h"

#define MM_PAGE_SIZE 4096u
#define MM_MAX_BYTES (256u << 20)   /* classic manages at most 256 MiB */
#define MM_MAX_PAGES (MM_MAX_BYTES / MM_PAGE_SIZE)

struct mb_info;

int mm_init(const struct mb_info *mbi);
void *mm_page_alloc(uint32_t n);
void mm_page_free(void *p, uint32_t n);
void *kmalloc(size_t size);
void kfree(void *p);

extern uint8_t mm_page_used[MM_MAX_PAGES / 8];  /* bit set = page not free */
extern uint32_t mm_total_pages;                 /* pages handed to mm_init */
extern uint32_t mm_free_pages;
extern uint32_t mm_kmalloc_live;                /* blocks allocated, not freed */

#endif
