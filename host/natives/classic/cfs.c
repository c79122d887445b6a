/*
 * cfs: classic's file system operations over struct cfs_ops (see cfs.h for
 * the format and the lock order).  Each function follows classic's own
 * order of checks and writes, so results, error codes and even the blocks
 * left behind by a failure are classic's.  Everything read from a block is
 * copied to a local before it is checked: the buffers may live in guest
 * memory that a wild guest can write at any moment.
 */
#include "host/natives/classic/cfs.h"
#include "kernel/string.h"

#define BAD CFS_DECLINE

/* ---- blocks and counts ------------------------------------------------------ */

static bool data_block(const struct cfs *fs, uint32_t b)
{
    return b >= fs->sb.data_start && b < fs->sb.nblocks;
}

/* Copy n bytes at off of block blk out; false if it cannot be read. */
static bool bcopy_out(struct cfs *fs, uint32_t blk, uint32_t off, void *dst, uint32_t n)
{
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

static int iload(struct cfs *fs, uint32_t inum, struct cfs_inode *ip)
{
    if (inum == 0 || inum >= fs->sb.ninodes
        || !bcopy_out(fs, fs->sb.inode_start + inum / CFS_IPB, inum % CFS_IPB * 64, ip, sizeof *ip))
        return BAD;
    return ip->type > CFS_DIR || ip->size > CFS_MAXFILE ? BAD : 0;
}

static int istore(struct cfs *fs, uint32_t inum, const struct cfs_inode *ip)
{
    if (inum == 0 || inum >= fs->sb.ninodes
        || !bcopy_in(fs, fs->sb.inode_start + inum / CFS_IPB, inum % CFS_IPB * 64, ip, sizeof *ip))
        return BAD;
    return 0;
}

/* A free inode of the given type, first fit; 0 if none. */
static int64_t ialloc(struct cfs *fs, uint16_t type)
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
static int bmap(struct cfs *fs, struct cfs_inode *ip, uint32_t fbn, bool alloc, uint32_t *out)
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
    if (!bcopy_out(fs, ip->indirect, fbn * 4, &b, 4) || (b && !data_block(fs, b)))
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

static int itrunc(struct cfs *fs, struct cfs_inode *ip)
{
    for (uint32_t i = 0; i < CFS_NDIRECT; i++) {
        if (ip->direct[i] && bfree(fs, ip->direct[i]))
            return BAD;
        ip->direct[i] = 0;
    }
    if (ip->indirect) {
        uint32_t slots[CFS_NINDIRECT];
        if (!data_block(fs, ip->indirect) || !bcopy_out(fs, ip->indirect, 0, slots, sizeof slots))
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

static int readi(struct cfs *fs, struct cfs_inode *ip, uint32_t off, uint8_t *dst, uint32_t n)
{
    if (off >= ip->size)
        return 0;
    if (n > ip->size - off)
        n = ip->size - off;
    for (uint32_t done = 0, m, b; done < n; done += m, off += m) {
        m = CFS_BSIZE - off % CFS_BSIZE;
        if (m > n - done)
            m = n - done;
        if (bmap(fs, ip, off / CFS_BSIZE, false, &b))
            return BAD;
        if (!b)
            memset(dst + done, 0, m);       /* a hole */
        else if (!bcopy_out(fs, b, off % CFS_BSIZE, dst + done, m))
            return BAD;
    }
    return (int)n;
}

static int writei(struct cfs *fs, uint32_t inum, struct cfs_inode *ip, uint32_t off, const uint8_t *src,
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
        if (bmap(fs, ip, off / CFS_BSIZE, true, &b))
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
    if (istore(fs, inum, ip))
        return BAD;
    return err ? err : (int)done;
}

/* ---- directories ---------------------------------------------------------------- */

static bool name_eq(const char *name, const char *entry)
{
    return strncmp(name, entry, CFS_NAMELEN) == 0;
}

/* Visit dip's entries in order from slot `from`; stop when want(entry) says
 * so: returns 1 with the entry and its offset, 0 at the end, BAD. */
static int dir_scan(struct cfs *fs, struct cfs_inode *dip, uint32_t from, const char *name,
                    struct cfs_dirent *de, uint32_t *offp)
{
    if (dip->size % sizeof *de)
        return BAD;                          /* classic would read a torn entry */
    struct cfs_dirent blk[CFS_DPB];
    for (uint32_t off = from * sizeof *de; off < dip->size;) {
        uint32_t b, in = off % CFS_BSIZE, m = CFS_BSIZE - in;
        if (m > dip->size - off)
            m = dip->size - off;
        if (bmap(fs, dip, off / CFS_BSIZE, false, &b))
            return BAD;
        if (!b)
            memset(blk, 0, m);
        else if (!bcopy_out(fs, b, in, blk, m))
            return BAD;
        for (uint32_t i = 0; i < m / sizeof *de; i++, off += sizeof *de) {
            bool hit = name ? blk[i].inum && name_eq(name, blk[i].name) : !blk[i].inum;
            if (hit) {
                *de = blk[i];
                *offp = off;
                return 1;
            }
        }
    }
    return 0;
}

/* The inode named `name` in dip (0 if none), and its offset. */
static int64_t dir_find(struct cfs *fs, struct cfs_inode *dip, const char *name, uint32_t *offp)
{
    struct cfs_dirent de;
    uint32_t off;
    int r = dir_scan(fs, dip, 0, name, &de, &off);
    if (r <= 0)
        return r;
    if (offp)
        *offp = off;
    return de.inum;
}

/* Entry for inum in the first free slot of directory dinum, or at its end. */
static int dir_link(struct cfs *fs, uint32_t dinum, struct cfs_inode *dip, const char *name, uint32_t inum)
{
    struct cfs_dirent de;
    uint32_t off;
    int r = dir_scan(fs, dip, 0, NULL, &de, &off);
    if (r < 0)
        return r;
    if (r == 0)
        off = dip->size;
    memset(&de, 0, sizeof de);
    de.inum = inum;
    for (uint32_t i = 0; i < CFS_NAMELEN && name[i]; i++)
        de.name[i] = name[i];
    r = writei(fs, dinum, dip, off, (const uint8_t *)&de, sizeof de);
    return r < 0 ? r : 0;
}

static int dir_empty(struct cfs *fs, struct cfs_inode *dip)
{
    struct cfs_dirent de;
    uint32_t off;
    if (dip->size % sizeof de)
        return BAD;
    for (off = 2 * sizeof de; off < dip->size; off += sizeof de) {
        int r = readi(fs, dip, off, (uint8_t *)&de, sizeof de);
        if (r < 0)
            return r;
        if (de.inum)
            return 0;
    }
    return 1;
}

/* ---- paths ---------------------------------------------------------------------- */

struct path { const char *p; size_t len, at; };

/* -1 for a character past what the glue could copy */
static int pch(const struct path *pa, size_t i)
{
    return i < pa->len ? (unsigned char)pa->p[i] : -1;
}

/* The next component into name (its length, which may exceed CFS_NAMELEN:
 * then the rest is not read) and whether it is the last; BAD if the path
 * runs past what the glue could copy. */
static int64_t component(struct path *pa, char name[CFS_NAMELEN + 1], bool *last)
{
    int c;
    while ((c = pch(pa, pa->at)) == '/')
        pa->at++;
    size_t n = 0;
    for (; (c = pch(pa, pa->at)) > 0 && c != '/'; pa->at++, n++) {
        if (n == CFS_NAMELEN)
            return n + 1;
        name[n] = (char)c;
    }
    if (c < 0)
        return BAD;
    name[n] = 0;
    *last = c == 0;
    return (int64_t)n;
}

/* The lock mode for the directory the walk is about to enter: `mode` if
 * the path's last component will be looked up in it (only "." components
 * come before it), shared otherwise. */
static enum cfs_mode mode_for(const struct path *pa, enum cfs_mode mode)
{
    struct path look = *pa;
    char name[CFS_NAMELEN + 1];
    bool last = false;
    int64_t n;
    while ((n = component(&look, name, &last)) == 1 && name[0] == '.' && !last)
        ;
    return n >= 0 && last ? mode : CFS_SHARED;
}

/* Walk to the directory holding the last component: on success *parent is
 * locked in `mode` and name holds the component.  Intermediate directories
 * are held shared, hand over hand: a child is locked before its parent is
 * let go, so nothing on the way can be removed under the walk. */
static int walk_parent(struct cfs *fs, const char *path, size_t len, enum cfs_mode mode,
                       uint32_t *parent, char name[CFS_NAMELEN + 1])
{
    const struct cfs_ops *o = fs->ops;
    struct path pa;
    uint32_t dir;
    enum cfs_mode held;
restart:
    pa = (struct path){ path, len, 0 };
    if (pch(&pa, 0) != '/')
        return pch(&pa, 0) < 0 ? BAD : CFS_EINVAL;
    dir = CFS_ROOT;
    held = mode_for(&pa, mode);
    o->lock(fs->dev, dir, held);
    for (;;) {
        bool last = false;
        struct cfs_inode dip;
        uint32_t off = 0;
        int64_t next = 0, n = component(&pa, name, &last);
        int r = n < 0 ? BAD : n == 0 ? CFS_EINVAL : n > CFS_NAMELEN ? CFS_ENAMETOOLONG : 0;
        if (!r && last) {
            *parent = dir;
            return 0;
        }
        if (!r && !(r = iload(fs, dir, &dip)) && (next = dir_find(fs, &dip, name, &off)) < 0)
            r = BAD;
        if (!r && !next)
            r = CFS_ENOENT;
        if (r) {
            o->unlock(fs->dev, dir, held);
            return r;
        }
        enum cfs_mode want = mode_for(&pa, mode);
        if ((uint32_t)next == dir) {         /* ".", or the root's ".." */
            if (want != held && dir != CFS_ROOT) {
                o->unlock(fs->dev, dir, held);
                return BAD;                  /* a directory naming itself */
            }
            if (want != held) {              /* the root is never removed: safe to let go */
                o->unlock(fs->dev, dir, held);
                o->lock(fs->dev, dir, want);
                held = want;
            }
            continue;
        }
        if ((uint32_t)next >= fs->sb.ninodes) {
            o->unlock(fs->dev, dir, held);
            return BAD;                      /* classic: "inode number out of range" */
        }
        if (off >= 2 * sizeof(struct cfs_dirent)) {
            o->lock(fs->dev, (uint32_t)next, want);       /* a child: downward */
        } else if (!o->trylock(fs->dev, (uint32_t)next, want)) {
            o->unlock(fs->dev, dir, held);   /* "..": upward, so never wait holding a lock */
            o->lock(fs->dev, (uint32_t)next, want);
            o->unlock(fs->dev, (uint32_t)next, want);
            goto restart;
        }
        o->unlock(fs->dev, dir, held);
        dir = (uint32_t)next;
        held = want;
        if ((r = iload(fs, dir, &dip)) || dip.type != CFS_DIR) {
            o->unlock(fs->dev, dir, held);
            return r ? r : CFS_ENOTDIR;
        }
    }
}

static int lookup_locked(struct cfs *fs, uint32_t parent, const char *name)
{
    struct cfs_inode dip;
    int64_t inum;
    if (iload(fs, parent, &dip) || (inum = dir_find(fs, &dip, name, NULL)) < 0)
        return BAD;
    return inum ? (int)inum : CFS_ENOENT;
}

int cfs_lookup(struct cfs *fs, const char *path, size_t len)
{
    uint32_t parent;
    char name[CFS_NAMELEN + 1];
    int r = walk_parent(fs, path, len, CFS_SHARED, &parent, name);
    if (r)
        return r;
    r = lookup_locked(fs, parent, name);
    fs->ops->unlock(fs->dev, parent, CFS_SHARED);
    return r;
}

/* With the parent held exclusively: a new inode linked as name; a directory
 * gets "." and ".." and raises the parent's link count. */
static int create_locked(struct cfs *fs, uint32_t parent, const char *name, uint16_t type)
{
    struct cfs_inode dip, ip;
    int64_t found, inum;
    if (iload(fs, parent, &dip) || (found = dir_find(fs, &dip, name, NULL)) < 0)
        return BAD;
    if (found)
        return CFS_EEXIST;
    if ((inum = ialloc(fs, type)) <= 0)
        return inum < 0 ? BAD : CFS_ENOSPC;
    fs->ops->lock(fs->dev, (uint32_t)inum, CFS_EXCL);
    int r = iload(fs, (uint32_t)inum, &ip);
    if (!r) {
        ip.nlink = type == CFS_DIR ? 2 : 1;
        r = istore(fs, (uint32_t)inum, &ip);
    }
    if (!r && type == CFS_DIR)
        r = dir_link(fs, (uint32_t)inum, &ip, ".", (uint32_t)inum);
    if (!r && type == CFS_DIR)
        r = dir_link(fs, (uint32_t)inum, &ip, "..", parent);
    fs->ops->unlock(fs->dev, (uint32_t)inum, CFS_EXCL);
    if (r || (r = dir_link(fs, parent, &dip, name, (uint32_t)inum)))
        return r;
    if (type == CFS_DIR) {
        dip.nlink++;
        if (istore(fs, parent, &dip))
            return BAD;
    }
    return (int)inum;
}

int cfs_create(struct cfs *fs, const char *path, size_t len, enum cfs_type type)
{
    uint32_t parent;
    char name[CFS_NAMELEN + 1];
    int r = walk_parent(fs, path, len, CFS_EXCL, &parent, name);
    if (r)
        return r;
    r = create_locked(fs, parent, name, (uint16_t)type);
    fs->ops->unlock(fs->dev, parent, CFS_EXCL);
    return r;
}

/* With the parent and the victim held exclusively. */
static int remove_child(struct cfs *fs, uint32_t parent, struct cfs_inode *dip, uint32_t off,
                        uint32_t inum, uint16_t want)
{
    struct cfs_inode ip;
    if (iload(fs, inum, &ip))
        return BAD;
    if (ip.type != want)
        return want == CFS_DIR ? CFS_ENOTDIR : CFS_EISDIR;
    int r = want == CFS_DIR ? dir_empty(fs, &ip) : 1;
    if (r <= 0)
        return r < 0 ? r : CFS_ENOTEMPTY;
    static const struct cfs_dirent none;
    if (writei(fs, parent, dip, off, (const uint8_t *)&none, sizeof none) < 0)
        return BAD;
    if (want == CFS_DIR) {
        dip->nlink--;                        /* the child's ".." */
        if (istore(fs, parent, dip))
            return BAD;
        ip.nlink = 0;
    } else {
        ip.nlink--;
    }
    if (ip.nlink == 0) {
        if (itrunc(fs, &ip))
            return BAD;
        ip.type = CFS_FREE;
        fs->ops->count(fs->dev, 0, 1);
    }
    return istore(fs, inum, &ip);
}

static int remove_locked(struct cfs *fs, uint32_t parent, const char *name, uint16_t want)
{
    struct cfs_inode dip;
    uint32_t off = 0;
    int64_t inum;
    if (iload(fs, parent, &dip) || (inum = dir_find(fs, &dip, name, &off)) < 0)
        return BAD;
    if (!inum || !strcmp(name, ".") || !strcmp(name, ".."))
        return inum ? CFS_EINVAL : CFS_ENOENT;
    if ((uint32_t)inum == parent || off < 2 * sizeof(struct cfs_dirent) || (uint32_t)inum >= fs->sb.ninodes)
        return BAD;                          /* its own directory, or out of range */
    fs->ops->lock(fs->dev, (uint32_t)inum, CFS_EXCL);
    int r = remove_child(fs, parent, &dip, off, (uint32_t)inum, want);
    fs->ops->unlock(fs->dev, (uint32_t)inum, CFS_EXCL);
    return r;
}

int cfs_remove(struct cfs *fs, const char *path, size_t len, enum cfs_type type)
{
    uint32_t parent;
    char name[CFS_NAMELEN + 1];
    int r = walk_parent(fs, path, len, CFS_EXCL, &parent, name);
    if (r)
        return r;
    r = remove_locked(fs, parent, name, (uint16_t)type);
    fs->ops->unlock(fs->dev, parent, CFS_EXCL);
    return r;
}

/* ---- files by number -------------------------------------------------------------- */

static int file_inode(struct cfs *fs, int32_t inum, struct cfs_inode *ip)
{
    if (inum <= 0 || (uint32_t)inum >= fs->sb.ninodes)
        return CFS_EINVAL;
    if (iload(fs, (uint32_t)inum, ip))
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
        r = !len ? 0 : dst ? readi(fs, &ip, off, dst, len) : BAD;
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
    return writei(fs, (uint32_t)inum, &ip, off, src, n);
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
