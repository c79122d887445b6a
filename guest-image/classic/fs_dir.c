/* fs_dir: directories and path names.  A directory is a file of 32-byte
 * entries; slot 0 is ".", slot 1 is "..", inum 0 marks a free slot that
 * the next link may reuse.  Paths are absolute, components up to
 * FS_NAMELEN bytes. */
#include "fs.h"
#include "klib.h"

static int name_eq(const char *a, const char *entry)
{
    return strncmp(a, entry, FS_NAMELEN) == 0;
}

/* Inode named `name` in directory dip, and its byte offset; 0 if none. */
static uint32_t dir_find(struct fs_inode *dip, const char *name, uint32_t *offp)
{
    struct fs_dirent de;
    for (uint32_t off = 0; off < dip->size; off += sizeof de) {
        fs_readi(dip, off, &de, sizeof de);
        if (de.inum && name_eq(name, de.name)) {
            if (offp)
                *offp = off;
            return de.inum;
        }
    }
    return 0;
}

static int dir_link(uint32_t dinum, struct fs_inode *dip, const char *name, uint32_t inum)
{
    struct fs_dirent de;
    uint32_t off;
    for (off = 0; off < dip->size; off += sizeof de) {
        fs_readi(dip, off, &de, sizeof de);
        if (!de.inum)
            break;
    }
    memset(&de, 0, sizeof de);
    de.inum = inum;
    strncpy(de.name, name, FS_NAMELEN);
    int r = fs_writei(dinum, dip, off, &de, sizeof de);
    return r < 0 ? r : 0;
}

static void dir_clear(uint32_t dinum, struct fs_inode *dip, uint32_t off)
{
    struct fs_dirent de;
    memset(&de, 0, sizeof de);
    fs_writei(dinum, dip, off, &de, sizeof de);
}

/* Walk path to its last component: *parent gets the directory holding it,
 * name the component.  Returns 0 or an error. */
static int walk_parent(const char *path, uint32_t *parent, char name[FS_NAMELEN + 1])
{
    if (*path != '/')
        return FS_EINVAL;
    uint32_t dir = FS_ROOT;
    for (;;) {
        while (*path == '/')
            path++;
        size_t n = 0;
        while (path[n] && path[n] != '/')
            n++;
        if (n == 0)
            return FS_EINVAL;           /* "/" itself, or a trailing slash */
        if (n > FS_NAMELEN)
            return FS_ENAMETOOLONG;
        memcpy(name, path, n);
        name[n] = 0;
        path += n;
        if (!*path) {
            *parent = dir;
            return 0;
        }
        struct fs_inode dip;
        fs_iload(dir, &dip);
        uint32_t next = dir_find(&dip, name, NULL);
        if (!next)
            return FS_ENOENT;
        fs_iload(next, &dip);
        if (dip.type != FS_T_DIR)
            return FS_ENOTDIR;
        dir = next;
    }
}

static int lookup_locked(const char *path)
{
    uint32_t parent;
    char name[FS_NAMELEN + 1];
    struct fs_inode dip;
    int r = walk_parent(path, &parent, name);
    if (r)
        return r;
    fs_iload(parent, &dip);
    uint32_t inum = dir_find(&dip, name, NULL);
    return inum ? (int)inum : FS_ENOENT;
}

API int fs_lookup(const char *path)
{
    sched_mutex_lock(&fs_mutex);
    int r = lookup_locked(path);
    sched_mutex_unlock(&fs_mutex);
    return r;
}

/* New inode of the given type linked as path; a directory gets "." and
 * ".." and raises its parent's link count. */
static int create_locked(const char *path, uint16_t type)
{
    uint32_t parent;
    char name[FS_NAMELEN + 1];
    struct fs_inode dip, ip;
    int r = walk_parent(path, &parent, name);
    if (r)
        return r;
    fs_iload(parent, &dip);
    if (dir_find(&dip, name, NULL))
        return FS_EEXIST;
    uint32_t inum = fs_ialloc(type);
    if (!inum)
        return FS_ENOSPC;
    fs_iload(inum, &ip);
    ip.nlink = type == FS_T_DIR ? 2 : 1;
    fs_istore(inum, &ip);
    if (type == FS_T_DIR && ((r = dir_link(inum, &ip, ".", inum)) || (r = dir_link(inum, &ip, "..", parent))))
        return r;
    if ((r = dir_link(parent, &dip, name, inum)))
        return r;
    if (type == FS_T_DIR) {
        dip.nlink++;
        fs_istore(parent, &dip);
    }
    return (int)inum;
}

API int fs_create(const char *path)
{
    sched_mutex_lock(&fs_mutex);
    int r = create_locked(path, FS_T_FILE);
    sched_mutex_unlock(&fs_mutex);
    return r;
}

API int fs_mkdir(const char *path)
{
    sched_mutex_lock(&fs_mutex);
    int r = create_locked(path, FS_T_DIR);
    sched_mutex_unlock(&fs_mutex);
    return r;
}

static int dir_empty(struct fs_inode *dip)
{
    struct fs_dirent de;
    for (uint32_t off = 2 * sizeof de; off < dip->size; off += sizeof de) {
        fs_readi(dip, off, &de, sizeof de);
        if (de.inum)
            return 0;
    }
    return 1;
}

/* Remove path's entry; the inode is freed when its last link goes. */
static int remove_locked(const char *path, uint16_t want)
{
    uint32_t parent, off;
    char name[FS_NAMELEN + 1];
    struct fs_inode dip, ip;
    int r = walk_parent(path, &parent, name);
    if (r)
        return r;
    fs_iload(parent, &dip);
    uint32_t inum = dir_find(&dip, name, &off);
    if (!inum || !strcmp(name, ".") || !strcmp(name, ".."))
        return inum ? FS_EINVAL : FS_ENOENT;
    fs_iload(inum, &ip);
    if (ip.type != want)
        return want == FS_T_DIR ? FS_ENOTDIR : FS_EISDIR;
    if (want == FS_T_DIR && !dir_empty(&ip))
        return FS_ENOTEMPTY;
    dir_clear(parent, &dip, off);
    if (want == FS_T_DIR) {
        dip.nlink--;            /* the child's ".." */
        fs_istore(parent, &dip);
        ip.nlink = 0;
    } else {
        ip.nlink--;
    }
    if (ip.nlink == 0) {
        fs_itrunc(&ip);
        ip.type = FS_T_FREE;
        fs_free_inodes++;
    }
    fs_istore(inum, &ip);
    return 0;
}

API int fs_unlink(const char *path)
{
    sched_mutex_lock(&fs_mutex);
    int r = remove_locked(path, FS_T_FILE);
    sched_mutex_unlock(&fs_mutex);
    return r;
}

API int fs_rmdir(const char *path)
{
    sched_mutex_lock(&fs_mutex);
    int r = remove_locked(path, FS_T_DIR);
    sched_mutex_unlock(&fs_mutex);
    return r;
}
