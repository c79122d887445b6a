/*
 * cfs: classic's file system operations over struct cfs_ops (see cfs.h for
 * the format and the lock order).  Each function follows classic's own
 * order of checks and writes, so results, error codes and even the blocks
 * left behind by a failure are classic's.  This file: files by number and
 * the superblock; the rest, one concern a file, behind cfs_priv.h:
 * cfs_inode.c (blocks, inodes, file contents), cfs_dir.c (directories),
 * cfs_path.c (paths and the operations by path).
 */
#include "host/natives/classic/cfs_priv.h"
#include "kernel/string.h"

/* ---- files by number -------------------------------------------------------------- */

static int file_inode(struct cfs *fs, int32_t inum, struct cfs_inode *ip)
{
    if (inum <= 0 || (uint32_t)inum >= fs->sb.ninodes)
        return CFS_EINVAL;
    if (cfs_iload(fs, (uint32_t)inum, ip))
        return BAD;
    if (ip->type == CFS_DIR)
        return CFS_EISDIR;
    return ip->type == CFS_FILE ? 0 : CFS_ENOENT;
}

/* Take inode inum's lock if it is a valid number (classic checks the
 * range before anything else). */
static bool lock_file(struct cfs *fs, int32_t inum, enum cfs_mode mode)
{
    if (inum <= 0 || (uint32_t)inum >= fs->sb.ninodes)
        return false;
    fs->ops->lock(fs->dev, (uint32_t)inum, mode);
    return true;
}

static void unlock_file(struct cfs *fs, int32_t inum, enum cfs_mode mode, bool locked)
{
    if (locked)
        fs->ops->unlock(fs->dev, (uint32_t)inum, mode);
}

int cfs_read(struct cfs *fs, int32_t inum, uint32_t off, uint32_t addr, uint32_t n)
{
    struct cfs_inode ip;
    bool locked = lock_file(fs, inum, CFS_SHARED);
    int r = file_inode(fs, inum, &ip);
    if (r == 0) {
        uint32_t len = off >= ip.size ? 0 : n > ip.size - off ? ip.size - off : n;
        uint8_t *dst = len ? fs->ops->mem(fs->dev, addr, len) : 0;
        r = !len ? 0 : dst ? cfs_readi(fs, &ip, off, dst, len) : BAD;
    }
    unlock_file(fs, inum, CFS_SHARED, locked);
    return r;
}

static int write_locked(struct cfs *fs, int32_t inum, bool append, uint32_t off, uint32_t addr, uint32_t n)
{
    struct cfs_inode ip;
    int r = file_inode(fs, inum, &ip);
    if (r)
        return r;
    if (append)
        off = ip.size;
    static const uint8_t nothing[1];
    const uint8_t *src = nothing;
    if (!(off > CFS_MAXFILE || n > CFS_MAXFILE - off) && n && !(src = fs->ops->mem(fs->dev, addr, n)))
        return BAD;
    return cfs_writei(fs, (uint32_t)inum, &ip, off, src, n);
}

int cfs_write(struct cfs *fs, int32_t inum, uint32_t off, uint32_t addr, uint32_t n)
{
    bool locked = lock_file(fs, inum, CFS_EXCL);
    int r = write_locked(fs, inum, false, off, addr, n);
    unlock_file(fs, inum, CFS_EXCL, locked);
    return r;
}

/* Atomic with respect to other appenders: the size is read and extended
 * under the inode's lock. */
int cfs_append(struct cfs *fs, int32_t inum, uint32_t addr, uint32_t n)
{
    bool locked = lock_file(fs, inum, CFS_EXCL);
    int r = write_locked(fs, inum, true, 0, addr, n);
    unlock_file(fs, inum, CFS_EXCL, locked);
    return r;
}

int cfs_size(struct cfs *fs, int32_t inum)
{
    struct cfs_inode ip;
    bool locked = lock_file(fs, inum, CFS_SHARED);
    int r = file_inode(fs, inum, &ip);
    unlock_file(fs, inum, CFS_SHARED, locked);
    return r ? r : (int)ip.size;
}

/* ---- superblock ------------------------------------------------------------------- */

const char *cfs_super_problem(const struct cfs_super *s, uint32_t disk_blocks)
{
    uint32_t iblocks = (s->ninodes + CFS_IPB - 1) / CFS_IPB;
    uint32_t bblocks = (s->nblocks + CFS_BPB - 1) / CFS_BPB;
    if (s->magic != CFS_MAGIC)
        return "bad magic";
    if (s->version != CFS_VERSION || s->block_size != CFS_BSIZE)
        return "unsupported version or block size";
    if (s->nblocks > disk_blocks)
        return "larger than the disk";
    if (s->ninodes < 2 || s->ninodes > CFS_MAXINODES)
        return "bad inode count";
    if (s->inode_start != CFS_SUPER + 1 || s->bmap_start != s->inode_start + iblocks
        || s->data_start != s->bmap_start + bblocks || s->data_start >= s->nblocks)
        return "inconsistent layout";
    return 0;
}

void cfs_init(struct cfs *fs, const struct cfs_ops *ops, void *dev, const struct cfs_super *sb)
{
    fs->ops = ops;
    fs->dev = dev;
    fs->sb = *sb;
}
