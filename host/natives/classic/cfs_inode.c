/*
 * cfs, the storage underneath (cfs_priv.h): blocks and the free counts,
 * inodes and the blocks they map, and file contents read and written
 * through them.  Everything read from a block is copied to a local before
 * it is checked: the buffers may live in guest memory that a wild guest can
 * write at any moment.
 */
#include "host/natives/classic/cfs_priv.h"
#include "kernel/string.h"

/* ---- blocks and counts ------------------------------------------------------ */

static bool data_block(const struct cfs *fs, uint32_t b)
{
    return b >= fs->sb.data_start && b < fs->sb.nblocks;
}

/* Copy n bytes at off of block blk out; false if it cannot be read. */
bool cfs_bcopy_out(struct cfs *fs, uint32_t blk, uint32_t off, void *dst, uint32_t n)
{
    if (fs->ops->peek && fs->ops->peek(fs->dev, blk, off, dst, n))
        return true;
    void *h;
    uint8_t *d = fs->ops->get(fs->dev, blk, &h);
    if (!d)
        return false;
    memcpy(dst, d + off, n);
    fs->ops->put(fs->dev, h);
    return true;
}

static bool bcopy_in(struct cfs *fs, uint32_t blk, uint32_t off, const void *src, uint32_t n)
{
    void *h;
    uint8_t *d = fs->ops->get(fs->dev, blk, &h);
    if (!d)
        return false;
    memcpy(d + off, src, n);
    fs->ops->write(fs->dev, h);
    fs->ops->put(fs->dev, h);
    return true;
}

/* A free data block, first fit, zeroed; 0 if the disk is full. */
static int64_t balloc(struct cfs *fs)
{
    for (uint32_t first = 0; first < fs->sb.nblocks; first += CFS_BPB) {
        void *h;
        uint8_t *map = fs->ops->get(fs->dev, fs->sb.bmap_start + first / CFS_BPB, &h);
        if (!map)
            return BAD;
        uint32_t got = 0;
        for (uint32_t byte = 0; byte < CFS_BSIZE && !got; byte++) {
            uint8_t v = map[byte];
            for (uint32_t bit = 0; v != 0xff && bit < 8 && !got; bit++) {
                uint32_t b = first + byte * 8 + bit;
                if (data_block(fs, b) && !(v >> bit & 1)) {
                    map[byte] = v | (uint8_t)(1 << bit);
                    got = b;
                }
            }
        }
        if (got)
            fs->ops->write(fs->dev, h);
        fs->ops->put(fs->dev, h);
        if (!got)
            continue;
        static const uint8_t zero[CFS_BSIZE];
        if (!bcopy_in(fs, got, 0, zero, CFS_BSIZE))
            return BAD;
        fs->ops->count(fs->dev, -1, 0);
        return got;
    }
    return 0;
}

static int bfree(struct cfs *fs, uint32_t b)
{
    void *h;
    if (!data_block(fs, b))
        return BAD;
    uint8_t *map = fs->ops->get(fs->dev, fs->sb.bmap_start + b / CFS_BPB, &h);
    if (!map)
        return BAD;
    uint32_t bit = b % CFS_BPB;
    uint8_t v = map[bit / 8];
    if (!(v >> (bit % 8) & 1)) {
        fs->ops->put(fs->dev, h);
        return BAD;                          /* freed but not in use */
    }
    map[bit / 8] = v & (uint8_t)~(1 << (bit % 8));
    fs->ops->write(fs->dev, h);
    fs->ops->put(fs->dev, h);
    fs->ops->count(fs->dev, 1, 0);
    return 0;
}

/* ---- inodes ----------------------------------------------------------------- */

int cfs_iload(struct cfs *fs, uint32_t inum, struct cfs_inode *ip)
{
    if (inum == 0 || inum >= fs->sb.ninodes
        || !cfs_bcopy_out(fs, fs->sb.inode_start + inum / CFS_IPB, inum % CFS_IPB * 64, ip, sizeof *ip))
        return BAD;
    return ip->type > CFS_DIR || ip->size > CFS_MAXFILE ? BAD : 0;
}

int cfs_istore(struct cfs *fs, uint32_t inum, const struct cfs_inode *ip)
{
    if (inum == 0 || inum >= fs->sb.ninodes
        || !bcopy_in(fs, fs->sb.inode_start + inum / CFS_IPB, inum % CFS_IPB * 64, ip, sizeof *ip))
        return BAD;
    return 0;
}

/* A free inode of the given type, first fit; 0 if none. */
int64_t cfs_ialloc(struct cfs *fs, uint16_t type)
{
    for (uint32_t first = 0; first < fs->sb.ninodes; first += CFS_IPB) {
        void *h;
        uint8_t *d = fs->ops->get(fs->dev, fs->sb.inode_start + first / CFS_IPB, &h);
        if (!d)
            return BAD;
        for (uint32_t i = 0; i < CFS_IPB; i++) {
            uint32_t inum = first + i;
            struct cfs_inode *slot = (struct cfs_inode *)d + i, fresh = { .type = type };
            if (inum <= CFS_ROOT || inum >= fs->sb.ninodes || slot->type != CFS_FREE)
                continue;
            memcpy(slot, &fresh, sizeof fresh);
            fs->ops->write(fs->dev, h);
            fs->ops->put(fs->dev, h);
            fs->ops->count(fs->dev, 0, -1);
            return inum;
        }
        fs->ops->put(fs->dev, h);
    }
    return 0;
}

/* *out = disk block of file block fbn (0 for a hole); with alloc a missing
 * one is allocated into ip (the caller stores ip), 0 if the disk is full. */
int cfs_bmap(struct cfs *fs, struct cfs_inode *ip, uint32_t fbn, bool alloc, uint32_t *out)
{
    int64_t nb;
    *out = 0;
    if (fbn < CFS_NDIRECT) {
        if (ip->direct[fbn] && !data_block(fs, ip->direct[fbn]))
            return BAD;
        if (!ip->direct[fbn] && alloc) {
            if ((nb = balloc(fs)) < 0)
                return BAD;
            ip->direct[fbn] = (uint32_t)nb;
        }
        *out = ip->direct[fbn];
        return 0;
    }
    fbn -= CFS_NDIRECT;
    if (fbn >= CFS_NINDIRECT)
        return 0;
    if (ip->indirect && !data_block(fs, ip->indirect))
        return BAD;
    if (!ip->indirect) {
        if (!alloc)
            return 0;
        if ((nb = balloc(fs)) < 0)
            return BAD;
        if (!(ip->indirect = (uint32_t)nb))
            return 0;
    }
    uint32_t b;
    if (!cfs_bcopy_out(fs, ip->indirect, fbn * 4, &b, 4) || (b && !data_block(fs, b)))
        return BAD;
    if (!b && alloc) {
        if ((nb = balloc(fs)) < 0)
            return BAD;
        b = (uint32_t)nb;
        if (b && !bcopy_in(fs, ip->indirect, fbn * 4, &b, 4))
            return BAD;
    }
    *out = b;
    return 0;
}

int cfs_itrunc(struct cfs *fs, struct cfs_inode *ip)
{
    for (uint32_t i = 0; i < CFS_NDIRECT; i++) {
        if (ip->direct[i] && bfree(fs, ip->direct[i]))
            return BAD;
        ip->direct[i] = 0;
    }
    if (ip->indirect) {
        uint32_t slots[CFS_NINDIRECT];
        if (!data_block(fs, ip->indirect) || !cfs_bcopy_out(fs, ip->indirect, 0, slots, sizeof slots))
            return BAD;
        for (uint32_t i = 0; i < CFS_NINDIRECT; i++)
            if (slots[i] && bfree(fs, slots[i]))
                return BAD;
        if (bfree(fs, ip->indirect))
            return BAD;
        ip->indirect = 0;
    }
    ip->size = 0;
    return 0;
}

/* ---- file contents ------------------------------------------------------------ */

int cfs_readi(struct cfs *fs, struct cfs_inode *ip, uint32_t off, uint8_t *dst, uint32_t n)
{
    if (off >= ip->size)
        return 0;
    if (n > ip->size - off)
        n = ip->size - off;
    for (uint32_t done = 0, m, b; done < n; done += m, off += m) {
        m = CFS_BSIZE - off % CFS_BSIZE;
        if (m > n - done)
            m = n - done;
        if (cfs_bmap(fs, ip, off / CFS_BSIZE, false, &b))
            return BAD;
        if (!b)
            memset(dst + done, 0, m);       /* a hole */
        else if (!cfs_bcopy_out(fs, b, off % CFS_BSIZE, dst + done, m))
            return BAD;
    }
    return (int)n;
}

int cfs_writei(struct cfs *fs, uint32_t inum, struct cfs_inode *ip, uint32_t off, const uint8_t *src,
               uint32_t n)
{
    if (off > CFS_MAXFILE || n > CFS_MAXFILE - off)
        return CFS_EFBIG;
    int err = 0;
    uint32_t done = 0;
    for (uint32_t m, b; done < n; done += m, off += m) {
        m = CFS_BSIZE - off % CFS_BSIZE;
        if (m > n - done)
            m = n - done;
        if (cfs_bmap(fs, ip, off / CFS_BSIZE, true, &b))
            return BAD;
        if (!b) {
            err = CFS_ENOSPC;
            break;
        }
        if (!bcopy_in(fs, b, off % CFS_BSIZE, src + done, m))
            return BAD;
    }
    if (off > ip->size)
        ip->size = off;
    if (cfs_istore(fs, inum, ip))
        return BAD;
    return err ? err : (int)done;
}
