/*
 * cfs directories (cfs_priv.h): files of 32-byte entries, slot 0 ".", slot 1
 * "..", inum 0 a free slot; found, linked and tested for emptiness in
 * classic's order, so the slot a name lands in is classic's.
 */
#include "host/natives/classic/cfs_priv.h"
#include "kernel/string.h"

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
        if (cfs_bmap(fs, dip, off / CFS_BSIZE, false, &b))
            return BAD;
        if (!b)
            memset(blk, 0, m);
        else if (!cfs_bcopy_out(fs, b, in, blk, m))
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
int64_t cfs_dir_find(struct cfs *fs, struct cfs_inode *dip, const char *name, uint32_t *offp)
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
int cfs_dir_link(struct cfs *fs, uint32_t dinum, struct cfs_inode *dip, const char *name, uint32_t inum)
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
    r = cfs_writei(fs, dinum, dip, off, (const uint8_t *)&de, sizeof de);
    return r < 0 ? r : 0;
}

int cfs_dir_empty(struct cfs *fs, struct cfs_inode *dip)
{
    struct cfs_dirent de;
    uint32_t off;
    if (dip->size % sizeof de)
        return BAD;
    for (off = 2 * sizeof de; off < dip->size; off += sizeof de) {
        int r = cfs_readi(fs, dip, off, (uint8_t *)&de, sizeof de);
        if (r < 0)
            return r;
        if (de.inum)
            return 0;
    }
    return 1;
}
