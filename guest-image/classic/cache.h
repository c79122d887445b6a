/* cache: buffer cache of disk blocks (one block = one 512-byte sector),
 * LRU, write-through.  A buffer returned by cache_read is held exclusively
 * by the caller until cache_release. */
#ifndef CLASSIC_CACHE_H
#define CLASSIC_CACHE_H
#include "types.h"

#define CACHE_NBUF  64
#define CACHE_BSIZE 512

struct buf {
    uint32_t blockno;
    int valid;              /* data holds the block's contents */
    int busy;               /* held by a thread */
    struct buf *prev, *next;    /* LRU list, most recently used first */
    uint8_t data[CACHE_BSIZE];
};

void cache_init(void);
struct buf *cache_read(uint32_t blockno);
int cache_write(struct buf *b);
void cache_release(struct buf *b);

extern struct buf cache_bufs[CACHE_NBUF];
extern struct buf cache_lru;        /* list head */
extern uint32_t cache_hits, cache_misses;

#endif
