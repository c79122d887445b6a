/* fs: superblock, inodes, block allocation and file contents.  Every block
 * number read from disk is range-checked before use: a corrupt image must
 * end in a clear message, never in a read of some other structure. */
#include "fs.h"
#include "cache.h"
#include "blk.h"
#include "console.h"
#include "exit.h"
#include "klib.h"

struct fs_super fs_sb;
struct sched_mutex fs_mutex = { 0, NULL, "fs" };
int fs_mounted;
uint32_t fs_free_blocks, fs_free_inodes;

API NORETURN void fs_corrupt(const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    classic_fail(EXIT_BADFS, "fs: corrupt file system: %s\n", msg);
}

API int fs_check_block(uint32_t b)
{
    return b >= fs_sb.data_start && b < fs_sb.nblocks;
}

static const char *super_problem(const struct fs_super *s)
{
    uint32_t iblocks = (s->ninodes + FS_IPB - 1) / FS_IPB;
    uint32_t bblocks = (s->nblocks + FS_BPB - 1) / FS_BPB;
    if (s->magic != FS_MAGIC)
        return "bad magic";
    if (s->version != FS_VERSION || s->block_size != FS_BSIZE)
        return "unsupported version or block size";
    if (s->nblocks > blk_sectors)
        return "larger than the disk";
    if (s->ninodes < 2 || s->ninodes > FS_MAXINODES)
        return "bad inode count";
    if (s->inode_start != FS_SUPER + 1 || s->bmap_start != s->inode_start + iblocks
        || s->data_start != s->bmap_start + bblocks || s->data_start >= s->nblocks)
        return "inconsistent layout";
    return NULL;
}

API int fs_mount(void)
{
    struct buf *b = cache_read(FS_SUPER);
    memcpy(&fs_sb, b->data, sizeof fs_sb);
    cache_release(b);
    const char *why = super_problem(&fs_sb);
    if (why) {
        console_printf("fs: bad superblock: %s (magic %08x, %u blocks, %u inodes; disk has %u sectors)\n",
                       why, fs_sb.magic, fs_sb.nblocks, fs_sb.ninodes, blk_sectors);
        return FS_EINVAL;
    }
    struct fs_inode root;
    fs_iload(FS_ROOT, &root);
    if (root.type != FS_T_DIR)
        fs_corrupt("root inode is not a directory (type %u)", root.type);
    for (uint32_t i = 0; i * FS_BSIZE < root.size; i++)
        fs_bmap(&root, i, 0);   /* range-checks the root's blocks */
    fs_count_free();
    fs_mounted = 1;
    return 0;
}

static struct buf *inode_block(uint32_t inum, struct fs_inode **ip)
{
    if (inum == 0 || inum >= fs_sb.ninodes)
        fs_corrupt("inode number %u out of range (1..%u)", inum, fs_sb.ninodes - 1);
    struct buf *b = cache_read(fs_sb.inode_start + inum / FS_IPB);
    *ip = (struct fs_inode *)b->data + inum % FS_IPB;
    return b;
}

API void fs_iload(uint32_t inum, struct fs_inode *ip)
{
    struct fs_inode *dp;
    struct buf *b = inode_block(inum, &dp);
    *ip = *dp;
    cache_release(b);
    if (ip->type > FS_T_DIR || ip->size > FS_MAXFILE)
        fs_corrupt("inode %u: bad type %u or size %u", inum, ip->type, ip->size);
}

API void fs_istore(uint32_t inum, const struct fs_inode *ip)
{
    struct fs_inode *dp;
    struct buf *b = inode_block(inum, &dp);
    *dp = *ip;
    cache_write(b);
    cache_release(b);
}

static uint32_t checked(uint32_t blk, const char *what)
{
    if (blk && !fs_check_block(blk))
        fs_corrupt("%s block number %u out of range (%u..%u)", what, blk, fs_sb.data_start,
                   fs_sb.nblocks - 1);
    return blk;
}

/* Disk block holding file block fbn of ip; 0 for a hole unless alloc, in
 * which case a new block is put in ip (the caller stores the inode). */
API uint32_t fs_bmap(struct fs_inode *ip, uint32_t fbn, int alloc)
{
    if (fbn < FS_NDIRECT) {
        if (!checked(ip->direct[fbn], "direct") && alloc)
            ip->direct[fbn] = fs_balloc();
        return ip->direct[fbn];
    }
    fbn -= FS_NDIRECT;
    if (fbn >= FS_NINDIRECT)
        return 0;
    if (!checked(ip->indirect, "indirect") && (!alloc || !(ip->indirect = fs_balloc())))
        return 0;
    struct buf *b = cache_read(ip->indirect);
    uint32_t *slot = (uint32_t *)b->data + fbn;
    uint32_t blk = checked(*slot, "indirect entry");
    if (!blk && alloc && (blk = fs_balloc())) {
        *slot = blk;
        cache_write(b);
    }
    cache_release(b);
    return blk;
}

API void fs_itrunc(struct fs_inode *ip)
{
    for (uint32_t i = 0; i < FS_NDIRECT; i++)
        if (checked(ip->direct[i], "direct"))
            fs_bfree(ip->direct[i]), ip->direct[i] = 0;
    if (checked(ip->indirect, "indirect")) {
        struct buf *b = cache_read(ip->indirect);
        for (uint32_t i = 0; i < FS_NINDIRECT; i++) {
            uint32_t blk = checked(((uint32_t *)b->data)[i], "indirect entry");
            if (blk)
                fs_bfree(blk);
        }
        cache_release(b);
        fs_bfree(ip->indirect);
        ip->indirect = 0;
    }
    ip->size = 0;
}

API int fs_readi(struct fs_inode *ip, uint32_t off, void *buf, uint32_t n)
{
    if (off >= ip->size)
        return 0;
    if (n > ip->size - off)
        n = ip->size - off;
    for (uint32_t done = 0, m; done < n; done += m, off += m) {
        m = FS_BSIZE - off % FS_BSIZE;
        if (m > n - done)
            m = n - done;
        uint32_t blk = fs_bmap(ip, off / FS_BSIZE, 0);
        if (!blk) {
            memset((uint8_t *)buf + done, 0, m);    /* hole */
            continue;
        }
        struct buf *b = cache_read(blk);
        memcpy((uint8_t *)buf + done, b->data + off % FS_BSIZE, m);
        cache_release(b);
    }
    return (int)n;
}

API int fs_writei(uint32_t inum, struct fs_inode *ip, uint32_t off, const void *buf, uint32_t n)
{
    if (off > FS_MAXFILE || n > FS_MAXFILE - off)
        return FS_EFBIG;
    int err = 0;
    uint32_t done = 0;
    for (uint32_t m; done < n; done += m, off += m) {
        m = FS_BSIZE - off % FS_BSIZE;
        if (m > n - done)
            m = n - done;
        uint32_t blk = fs_bmap(ip, off / FS_BSIZE, 1);
        if (!blk) {
            err = FS_ENOSPC;
            break;
        }
        struct buf *b = cache_read(blk);
        memcpy(b->data + off % FS_BSIZE, (const uint8_t *)buf + done, m);
        cache_write(b);
        cache_release(b);
    }
    if (off > ip->size)
        ip->size = off;
    fs_istore(inum, ip);
    return err ? err : (int)done;
}

static int file_inode(int inum, struct fs_inode *ip)
{
    if (inum <= 0 || (uint32_t)inum >= fs_sb.ninodes)
        return FS_EINVAL;
    fs_iload((uint32_t)inum, ip);
    if (ip->type == FS_T_DIR)
        return FS_EISDIR;
    return ip->type == FS_T_FILE ? 0 : FS_ENOENT;
}

API int fs_read(int inum, uint32_t off, void *buf, uint32_t n)
{
    struct fs_inode ip;
    sched_mutex_lock(&fs_mutex);
    int r = file_inode(inum, &ip);
    if (r == 0)
        r = fs_readi(&ip, off, buf, n);
    sched_mutex_unlock(&fs_mutex);
    return r;
}

API int fs_write(int inum, uint32_t off, const void *buf, uint32_t n)
{
    struct fs_inode ip;
    sched_mutex_lock(&fs_mutex);
    int r = file_inode(inum, &ip);
    if (r == 0)
        r = fs_writei((uint32_t)inum, &ip, off, buf, n);
    sched_mutex_unlock(&fs_mutex);
    return r;
}

/* Atomic with respect to other appenders: size is read and extended
 * under the one file system mutex. */
API int fs_append(int inum, const void *buf, uint32_t n)
{
    struct fs_inode ip;
    sched_mutex_lock(&fs_mutex);
    int r = file_inode(inum, &ip);
    if (r == 0)
        r = fs_writei((uint32_t)inum, &ip, ip.size, buf, n);
    sched_mutex_unlock(&fs_mutex);
    return r;
}

API int fs_size(int inum)
{
    struct fs_inode ip;
    sched_mutex_lock(&fs_mutex);
    int r = file_inode(inum, &ip);
    sched_mutex_unlock(&fs_mutex);
    return r ? r : (int)ip.size;
}

API const char *fs_strerror(int err)
{
    switch (err) {
    case FS_ENOENT: return "no such file or directory";
    case FS_EEXIST: return "already exists";
    case FS_ENOTDIR: return "not a directory";
    case FS_EISDIR: return "is a directory";
    case FS_EINVAL: return "invalid argument";
    case FS_EFBIG: return "file too large";
    case FS_ENOSPC: return "no space left";
    case FS_ENAMETOOLONG: return "name too long";
    case FS_ENOTEMPTY: return "directory not empty";
    default: return err < 0 ? "unknown error" : "success";
    }
}
