/* fsck: an independent consistency check of the on-disk file system,
 * reading raw inodes and blocks (not through the checked fs paths, which
 * would stop at the first problem).  It walks the tree from the root and
 * compares what it finds with what the disk claims:
 *   - every block of a reachable inode lies in the data area, is claimed
 *     once, and is marked in the bitmap; every marked block is claimed;
 *   - "." and ".." are right, entries name allocated inodes;
 *   - link counts: a file's nlink = entries naming it, a directory's
 *     nlink = 2 + subdirectories, and a directory is named exactly once;
 *   - no allocated inode is unreachable. */
#include "fs.h"
#include "cache.h"
#include "console.h"
#include "klib.h"
#include "mm.h"

#define FSCK_MAX_REPORTS 20

struct fsck {
    uint32_t errors;
    uint16_t *refs;         /* entries naming each inode, "." and ".." aside */
    uint16_t *subdirs;      /* subdirectories of each directory */
    uint32_t *queue;        /* inodes still to visit */
    uint8_t *seen;          /* inode queued */
    uint8_t *claimed;       /* bitmap of blocks referenced by some inode */
    uint32_t tail;          /* queue length */
    uint32_t nfiles, ndirs, nblocks_used;
};

static int bit(const uint8_t *m, uint32_t i) { return m[i / 8] >> (i % 8) & 1; }
static void set_bit(uint8_t *m, uint32_t i) { m[i / 8] |= (uint8_t)(1 << (i % 8)); }

static void report(struct fsck *c, const char *fmt, ...) PRINTF(2, 3);
static void report(struct fsck *c, const char *fmt, ...)
{
    va_list ap;
    if (++c->errors > FSCK_MAX_REPORTS)
        return;
    console_printf("fsck: ");
    va_start(ap, fmt);
    console_vprintf(fmt, ap);
    va_end(ap);
    console_printf("\n");
}

static void raw_inode(uint32_t inum, struct fs_inode *ip)
{
    struct buf *b = cache_read(fs_sb.inode_start + inum / FS_IPB);
    *ip = ((struct fs_inode *)b->data)[inum % FS_IPB];
    cache_release(b);
}

/* Claim one block for inode inum; 0 if it may not be read. */
static uint32_t claim(struct fsck *c, uint32_t inum, uint32_t blk)
{
    if (!blk)
        return 0;
    if (!fs_check_block(blk)) {
        report(c, "inode %u: block %u outside the data area", inum, blk);
        return 0;
    }
    if (bit(c->claimed, blk)) {
        report(c, "inode %u: block %u already used by another inode", inum, blk);
        return 0;
    }
    set_bit(c->claimed, blk);
    c->nblocks_used++;
    return blk;
}

/* Claim all blocks of an inode; blk_of[i] gets file block i's disk block. */
static void claim_blocks(struct fsck *c, uint32_t inum, const struct fs_inode *ip, uint32_t *blk_of)
{
    uint32_t nfb = (ip->size + FS_BSIZE - 1) / FS_BSIZE;
    memset(blk_of, 0, FS_MAXBLOCKS * sizeof *blk_of);
    for (uint32_t i = 0; i < FS_NDIRECT; i++) {
        blk_of[i] = claim(c, inum, ip->direct[i]);
        if (blk_of[i] && i >= nfb)
            report(c, "inode %u: block %u past the end of the file", inum, blk_of[i]);
    }
    uint32_t ind = claim(c, inum, ip->indirect);
    if (!ind)
        return;
    struct buf *b = cache_read(ind);
    for (uint32_t i = 0; i < FS_NINDIRECT; i++) {
        uint32_t fb = FS_NDIRECT + i;
        blk_of[fb] = claim(c, inum, ((uint32_t *)b->data)[i]);
        if (blk_of[fb] && fb >= nfb)
            report(c, "inode %u: block %u past the end of the file", inum, blk_of[fb]);
    }
    cache_release(b);
}

/* Entry `slot` of the directory's first block, if that block is sane. */
static void raw_dirent(const struct fs_inode *ip, uint32_t slot, struct fs_dirent *de)
{
    if (!fs_check_block(ip->direct[0]) || ip->size < (slot + 1) * sizeof *de)
        return;
    struct buf *b = cache_read(ip->direct[0]);
    *de = ((struct fs_dirent *)b->data)[slot];
    cache_release(b);
}

static void check_entry(struct fsck *c, uint32_t dir, uint32_t slot, const struct fs_dirent *de)
{
    char name[FS_NAMELEN + 1];
    memcpy(name, de->name, FS_NAMELEN);
    name[FS_NAMELEN] = 0;
    uint32_t want = slot == 0 ? dir : 0;
    if (slot == 0 && (de->inum != want || strcmp(name, ".")))
        report(c, "directory %u: first entry is not \".\" naming itself", dir);
    if (slot == 1 && dir == FS_ROOT && de->inum != FS_ROOT)
        report(c, "root directory: \"..\" is %u, not the root", de->inum);
    if (slot <= 1)
        return;                 /* ".." is checked from the parent's side */
    if (!de->inum)
        return;
    if (de->inum >= fs_sb.ninodes) {
        report(c, "directory %u: entry '%s' names inode %u out of range", dir, name, de->inum);
        return;
    }
    struct fs_inode ip;
    raw_inode(de->inum, &ip);
    if (ip.type == FS_T_FREE) {
        report(c, "directory %u: entry '%s' names free inode %u", dir, name, de->inum);
        return;
    }
    c->refs[de->inum]++;
    if (ip.type == FS_T_DIR) {
        c->subdirs[dir]++;
        struct fs_dirent dotdot = { 0, "" };
        raw_dirent(&ip, 1, &dotdot);
        if (dotdot.inum != dir || strncmp(dotdot.name, "..", FS_NAMELEN))
            report(c, "directory %u ('%s'): \"..\" is %u, not its parent %u", de->inum, name,
                   dotdot.inum, dir);
    }
    if (!bit(c->seen, de->inum)) {
        set_bit(c->seen, de->inum);
        c->queue[c->tail++] = de->inum;
    } else if (ip.type == FS_T_DIR) {
        report(c, "directory %u linked more than once", de->inum);
    }
}

static void check_dir(struct fsck *c, uint32_t inum, const struct fs_inode *ip, const uint32_t *blk_of)
{
    if (ip->size % sizeof(struct fs_dirent) || ip->size < 2 * sizeof(struct fs_dirent)) {
        report(c, "directory %u: bad size %u", inum, ip->size);
        return;
    }
    for (uint32_t off = 0; off < ip->size; off += sizeof(struct fs_dirent)) {
        uint32_t blk = blk_of[off / FS_BSIZE];
        if (!blk) {
            report(c, "directory %u: hole at offset %u", inum, off);
            continue;
        }
        struct buf *b = cache_read(blk);
        struct fs_dirent de = *(struct fs_dirent *)(b->data + off % FS_BSIZE);
        cache_release(b);
        check_entry(c, inum, off / sizeof de, &de);
    }
}

/* Breadth-first walk from the root. */
static void walk(struct fsck *c, uint32_t *blk_of)
{
    c->queue[c->tail++] = FS_ROOT;
    set_bit(c->seen, FS_ROOT);
    for (uint32_t head = 0; head < c->tail; head++) {
        uint32_t inum = c->queue[head];
        struct fs_inode ip;
        raw_inode(inum, &ip);
        if (ip.size > FS_MAXFILE) {
            report(c, "inode %u: size %u beyond the largest file", inum, ip.size);
            ip.size = FS_MAXFILE;
        }
        claim_blocks(c, inum, &ip, blk_of);
        if (ip.type == FS_T_DIR) {
            c->ndirs++;
            check_dir(c, inum, &ip, blk_of);
        } else if (ip.type == FS_T_FILE) {
            c->nfiles++;
        } else {
            report(c, "inode %u: bad type %u", inum, ip.type);
        }
    }
}

/* Link counts, and allocated inodes the walk never reached. */
static void check_inodes(struct fsck *c)
{
    for (uint32_t inum = FS_ROOT; inum < fs_sb.ninodes; inum++) {
        struct fs_inode ip;
        raw_inode(inum, &ip);
        if (!bit(c->seen, inum)) {
            if (ip.type != FS_T_FREE)
                report(c, "inode %u (type %u) allocated but unreachable", inum, ip.type);
            continue;
        }
        if (ip.type == FS_T_FILE && ip.nlink != c->refs[inum])
            report(c, "file %u: link count %u, but %u entries name it", inum, ip.nlink,
                   c->refs[inum]);
        if (ip.type == FS_T_DIR && ip.nlink != 2 + c->subdirs[inum])
            report(c, "directory %u: link count %u, expected %u", inum, ip.nlink,
                   2 + c->subdirs[inum]);
    }
}

/* Metadata blocks must be marked; data blocks marked iff claimed. */
static void check_bitmap(struct fsck *c)
{
    for (uint32_t blk = 0; blk < fs_sb.nblocks; blk++) {
        struct buf *b = cache_read(fs_sb.bmap_start + blk / FS_BPB);
        int marked = bit(b->data, blk % FS_BPB);
        cache_release(b);
        int used = blk < fs_sb.data_start || bit(c->claimed, blk);
        if (used && !marked)
            report(c, "block %u in use but marked free", blk);
        else if (marked && !used)
            report(c, "block %u marked in use but not referenced (leaked)", blk);
    }
}

static int alloc_state(struct fsck *c)
{
    uint32_t n = fs_sb.ninodes;
    c->refs = kmalloc(n * sizeof *c->refs);
    c->subdirs = kmalloc(n * sizeof *c->subdirs);
    c->queue = kmalloc(n * sizeof *c->queue);
    c->seen = kmalloc(n / 8 + 1);
    c->claimed = kmalloc(fs_sb.nblocks / 8 + 1);
    if (!c->refs || !c->subdirs || !c->queue || !c->seen || !c->claimed)
        return -1;
    memset(c->refs, 0, n * sizeof *c->refs);
    memset(c->subdirs, 0, n * sizeof *c->subdirs);
    memset(c->seen, 0, n / 8 + 1);
    memset(c->claimed, 0, fs_sb.nblocks / 8 + 1);
    return 0;
}

static void free_state(struct fsck *c)
{
    kfree(c->refs);
    kfree(c->subdirs);
    kfree(c->queue);
    kfree(c->seen);
    kfree(c->claimed);
}

API int fs_check(void)
{
    struct fsck c;
    memset(&c, 0, sizeof c);
    uint32_t *blk_of = kmalloc(FS_MAXBLOCKS * sizeof *blk_of);
    sched_mutex_lock(&fs_mutex);
    if (!blk_of || alloc_state(&c)) {
        console_printf("fsck: out of memory\n");
        c.errors = 1;
    } else {
        walk(&c, blk_of);
        check_inodes(&c);
        check_bitmap(&c);
        if (c.errors > FSCK_MAX_REPORTS)
            console_printf("fsck: ... %u more\n", c.errors - FSCK_MAX_REPORTS);
        if (c.errors == 0)
            console_printf("fsck: clean (%u directories, %u files, %u data blocks in use)\n",
                           c.ndirs, c.nfiles, c.nblocks_used);
        else
            console_printf("fsck: %u errors\n", c.errors);
    }
    sched_mutex_unlock(&fs_mutex);
    free_state(&c);
    kfree(blk_of);
    return (int)c.errors;
}
