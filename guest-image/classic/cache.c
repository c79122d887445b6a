/* cache: the V6 buffer cache shape: a fixed pool, a busy flag per buffer
 * (waiters sleep on the buffer), LRU reuse of idle buffers.  Writes go
 * straight to disk, so the disk is always as consistent as the last
 * completed file system operation left it. */
#include "cache.h"
#include "blk.h"
#include "exit.h"
#include "sched.h"
#include "x86.h"

struct buf cache_bufs[CACHE_NBUF];
struct buf cache_lru;
uint32_t cache_hits, cache_misses;

static void unlink_buf(struct buf *b)
{
    b->prev->next = b->next;
    b->next->prev = b->prev;
}

static void push_front(struct buf *b)
{
    b->next = cache_lru.next;
    b->prev = &cache_lru;
    cache_lru.next->prev = b;
    cache_lru.next = b;
}

API __init void cache_init(void)
{
    cache_lru.next = cache_lru.prev = &cache_lru;
    for (int i = 0; i < CACHE_NBUF; i++) {
        cache_bufs[i].blockno = ~0u;
        push_front(&cache_bufs[i]);
    }
}

/* Find the block's buffer, or recycle the least recently used idle one,
 * and mark it busy.  Interrupts are off. */
static struct buf *get(uint32_t blockno)
{
    for (;;) {
        struct buf *b, *idle = NULL;
        for (b = cache_lru.next; b != &cache_lru; b = b->next)
            if (b->blockno == blockno)
                break;
        if (b != &cache_lru) {
            if (!b->busy) {
                b->busy = 1;
                cache_hits++;
                return b;
            }
            sched_sleep(b);
            continue;
        }
        for (b = cache_lru.prev; b != &cache_lru && !idle; b = b->prev)
            if (!b->busy)
                idle = b;
        if (idle) {
            idle->blockno = blockno;
            idle->valid = 0;
            idle->busy = 1;
            cache_misses++;
            return idle;
        }
        sched_sleep(&cache_lru);
    }
}

API struct buf *cache_read(uint32_t blockno)
{
    uint32_t f = irq_save();
    struct buf *b = get(blockno);
    irq_restore(f);
    if (!b->valid) {
        if (blk_read(blockno, b->data))
            panic("cache: cannot read block %u", blockno);
        b->valid = 1;
    }
    return b;
}

API int cache_write(struct buf *b)
{
    if (!b->busy)
        panic("cache_write: block %u not held", b->blockno);
    return blk_write(b->blockno, b->data);
}

API void cache_release(struct buf *b)
{
    uint32_t f = irq_save();
    if (!b->busy)
        panic("cache_release: block %u not held", b->blockno);
    b->busy = 0;
    unlink_buf(b);
    push_front(b);
    sched_wakeup(b);
    sched_wakeup(&cache_lru);
    irq_restore(f);
}
