/* fs_alloc: inode and block allocation.  Allocation is first fit from the
 * start of the inode table and the bitmap, one cache read per table or
 * bitmap block, so a fresh file system fills from the front as mkfs left it. */
#include "fs.h"
#include "cache.h"
#include "klib.h"

/* Free counts for the mount message; kept current by the allocators. */
API void fs_count_free(void)
{
    fs_free_blocks = fs_free_inodes = 0;
    for (uint32_t blk = fs_sb.data_start; blk < fs_sb.nblocks; blk++) {
        struct buf *b = cache_read(fs_sb.bmap_start + blk / FS_BPB);
        uint32_t bit = blk % FS_BPB;
        fs_free_blocks += !(b->data[bit / 8] & (1 << (bit % 8)));
        cache_release(b);
    }
    for (uint32_t inum = FS_ROOT + 1; inum < fs_sb.ninodes; inum++) {
        struct fs_inode ip;
        fs_iload(inum, &ip);
        fs_free_inodes += ip.type == FS_T_FREE;
    }
}

API uint32_t fs_ialloc(uint16_t type)
{
    for (uint32_t first = 0; first < fs_sb.ninodes; first += FS_IPB) {
        struct buf *b = cache_read(fs_sb.inode_start + first / FS_IPB);
        struct fs_inode *dp = (struct fs_inode *)b->data;
        for (uint32_t i = 0; i < FS_IPB; i++) {
            uint32_t inum = first + i;
            if (inum <= FS_ROOT || inum >= fs_sb.ninodes || dp[i].type != FS_T_FREE)
                continue;
            memset(&dp[i], 0, sizeof dp[i]);
            dp[i].type = type;
            cache_write(b);
            cache_release(b);
            fs_free_inodes--;
            return inum;
        }
        cache_release(b);
    }
    return 0;
}

/* Take a free data block from one bitmap block, or return 0. */
static uint32_t take_bit(struct buf *b, uint32_t first)
{
    for (uint32_t byte = 0; byte < FS_BSIZE; byte++) {
        if (b->data[byte] == 0xff)
            continue;
        for (uint32_t bit = 0; bit < 8; bit++) {
            uint32_t blk = first + byte * 8 + bit;
            if (blk < fs_sb.data_start || blk >= fs_sb.nblocks || (b->data[byte] >> bit & 1))
                continue;
            b->data[byte] |= (uint8_t)(1 << bit);
            return blk;
        }
    }
    return 0;
}

/* First free data block; it comes back zeroed so a new directory or
 * indirect block holds no stale data. */
API uint32_t fs_balloc(void)
{
    for (uint32_t first = 0; first < fs_sb.nblocks; first += FS_BPB) {
        struct buf *b = cache_read(fs_sb.bmap_start + first / FS_BPB);
        uint32_t blk = take_bit(b, first);
        if (blk)
            cache_write(b);
        cache_release(b);
        if (!blk)
            continue;
        struct buf *z = cache_read(blk);
        memset(z->data, 0, FS_BSIZE);
        cache_write(z);
        cache_release(z);
        fs_free_blocks--;
        return blk;
    }
    return 0;
}

API void fs_bfree(uint32_t blk)
{
    if (!fs_check_block(blk))
        fs_corrupt("freeing block %u outside the data area", blk);
    struct buf *b = cache_read(fs_sb.bmap_start + blk / FS_BPB);
    uint32_t bit = blk % FS_BPB;
    if (!(b->data[bit / 8] & (1 << (bit % 8))))
        fs_corrupt("block %u freed but not marked in use", blk);
    b->data[bit / 8] &= (uint8_t)~(1 << (bit % 8));
    cache_write(b);
    cache_release(b);
    fs_free_blocks++;
}
