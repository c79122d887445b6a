/*
 * cfs paths: walked hand over hand from the root (the lock order is in
 * cfs.h), and the operations by path, cfs_lookup, cfs_create and cfs_remove,
 * each in classic's order of checks and writes, so results, error codes and
 * even the blocks left behind by a failure are classic's.
 */
#include "host/natives/classic/cfs_priv.h"
#include "kernel/string.h"

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
        if (!r && !(r = cfs_iload(fs, dir, &dip)) && (next = cfs_dir_find(fs, &dip, name, &off)) < 0)
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
        if ((r = cfs_iload(fs, dir, &dip)) || dip.type != CFS_DIR) {
            o->unlock(fs->dev, dir, held);
            return r ? r : CFS_ENOTDIR;
        }
    }
}

static int lookup_locked(struct cfs *fs, uint32_t parent, const char *name)
{
    struct cfs_inode dip;
    int64_t inum;
    if (cfs_iload(fs, parent, &dip) || (inum = cfs_dir_find(fs, &dip, name, NULL)) < 0)
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
    if (cfs_iload(fs, parent, &dip) || (found = cfs_dir_find(fs, &dip, name, NULL)) < 0)
        return BAD;
    if (found)
        return CFS_EEXIST;
    if ((inum = cfs_ialloc(fs, type)) <= 0)
        return inum < 0 ? BAD : CFS_ENOSPC;
    fs->ops->lock(fs->dev, (uint32_t)inum, CFS_EXCL);
    int r = cfs_iload(fs, (uint32_t)inum, &ip);
    if (!r) {
        ip.nlink = type == CFS_DIR ? 2 : 1;
        r = cfs_istore(fs, (uint32_t)inum, &ip);
    }
    if (!r && type == CFS_DIR)
        r = cfs_dir_link(fs, (uint32_t)inum, &ip, ".", (uint32_t)inum);
    if (!r && type == CFS_DIR)
        r = cfs_dir_link(fs, (uint32_t)inum, &ip, "..", parent);
    fs->ops->unlock(fs->dev, (uint32_t)inum, CFS_EXCL);
    if (r || (r = cfs_dir_link(fs, parent, &dip, name, (uint32_t)inum)))
        return r;
    if (type == CFS_DIR) {
        dip.nlink++;
        if (cfs_istore(fs, parent, &dip))
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
    if (cfs_iload(fs, inum, &ip))
        return BAD;
    if (ip.type != want)
        return want == CFS_DIR ? CFS_ENOTDIR : CFS_EISDIR;
    int r = want == CFS_DIR ? cfs_dir_empty(fs, &ip) : 1;
    if (r <= 0)
        return r < 0 ? r : CFS_ENOTEMPTY;
    static const struct cfs_dirent none;
    if (cfs_writei(fs, parent, dip, off, (const uint8_t *)&none, sizeof none) < 0)
        return BAD;
    if (want == CFS_DIR) {
        dip->nlink--;                        /* the child's ".." */
        if (cfs_istore(fs, parent, dip))
            return BAD;
        ip.nlink = 0;
    } else {
        ip.nlink--;
    }
    if (ip.nlink == 0) {
        if (cfs_itrunc(fs, &ip))
            return BAD;
        ip.type = CFS_FREE;
        fs->ops->count(fs->dev, 0, 1);
    }
    return cfs_istore(fs, inum, &ip);
}

static int remove_locked(struct cfs *fs, uint32_t parent, const char *name, uint16_t want)
{
    struct cfs_inode dip;
    uint32_t off = 0;
    int64_t inum;
    if (cfs_iload(fs, parent, &dip) || (inum = cfs_dir_find(fs, &dip, name, &off)) < 0)
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
