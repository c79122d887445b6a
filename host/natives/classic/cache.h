/*
 * The native buffer cache of a hosted classic (host/natives/classic/cache.c): it
 * serves the guest's cache_read/cache_write/cache_release and blk_read/
 * blk_write when the `cache` subsystem is peeled, and the native file
 * system (host/natives/classic/fs.c) reads and writes its blocks through it, so both
 * share one cache.  Write-through, like classic's own.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>

struct guest;
struct ncbuf;

/* Disk block blockno, held exclusively and with valid data until
 * ncache_put; NULL if the block is not on the disk.  May sleep. */
struct ncbuf *ncache_get(struct guest *g, uint32_t blockno);
uint8_t *ncache_data(struct guest *g, struct ncbuf *b);
/* n bytes of block blockno from off into dst, if the block is cached and
 * nobody holds it: taking no lock, so readers on several CPUs share the
 * buffer's lines.  False (nothing promised in dst) when it cannot: then
 * ncache_get. */
bool ncache_peek(struct guest *g, uint32_t blockno, uint32_t off, void *dst, uint32_t n);
void ncache_write(struct guest *g, struct ncbuf *b);
void ncache_put(struct guest *g, struct ncbuf *b);
/* Forget the idle cached copies, the native cache's and the guest's own
 * (classic's cache_bufs): the disk may have changed behind them. */
void ncache_forget(struct guest *g);
