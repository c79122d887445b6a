/*
 * cfs: classic's file system, served natively (host/natives/classic/fs.c is the glue
 * to a guest).  The on-disk format, described here from the host's side
 * (classic documents it in its README and fs_format.h; nothing of the
 * guest's is included):
 *
 *   block 0                  unused
 *   block 1                  superblock (struct cfs_super)
 *   inode_start ..           inode table, CFS_IPB 64-byte inodes per block
 *   bmap_start ..            block bitmap, bit set = in use (metadata too)
 *   data_start .. nblocks-1  file contents, directories, indirect blocks
 *
 * Inode 0 is never used; inode 1 is the root.  A directory is a file of
 * 32-byte entries: slot 0 ".", slot 1 "..", inum 0 a free slot.  A
 * directory's nlink is 2 + its subdirectories, a file's the entries naming it.
 *
 * Pure logic: blocks, locks and guest memory come through struct cfs_ops,
 * so the same file runs in the kernel and in tests/unit/test_cfs.c.  Every
 * operation gives the result classic's own fs_*() would give, and in a
 * single-threaded run leaves the disk byte for byte as classic would (the
 * same first-fit placement).
 *
 * Locking: a sleeping reader/writer lock per inode (ops->lock).  A path is
 * walked hand over hand, taking a child's lock before dropping its parent's;
 * an operation holds at most a directory and one inode below it.  Lock order:
 * ancestor before descendant (there is no rename, so the tree order is fixed)
 * — except a ".." step, which only try-locks upward and on failure restarts
 * the walk holding nothing.  Block buffers (ops->get) come after inode locks
 * and are held one at a time, never across an inode lock.  The allocators
 * need no lock of their own: a bitmap or inode-table block held by get() is
 * the unit of atomicity.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define CFS_MAGIC     0x31534643u           /* "CFS1" */
#define CFS_VERSION   1
#define CFS_BSIZE     512
#define CFS_SUPER     1
#define CFS_ROOT      1
#define CFS_NDIRECT   12
#define CFS_NINDIRECT (CFS_BSIZE / 4)
#define CFS_MAXFILE   ((CFS_NDIRECT + CFS_NINDIRECT) * CFS_BSIZE)
#define CFS_NAMELEN   28
#define CFS_MAXINODES 4096
#define CFS_IPB       (CFS_BSIZE / 64)
#define CFS_DPB       (CFS_BSIZE / 32)
#define CFS_BPB       (CFS_BSIZE * 8)
#define CFS_PATH_MAX  512                   /* longer paths are declined */

enum cfs_type { CFS_FREE = 0, CFS_FILE = 1, CFS_DIR = 2 };

struct cfs_super {
    uint32_t magic, version, block_size;
    uint32_t nblocks;                       /* including blocks 0 and 1 */
    uint32_t ninodes;
    uint32_t inode_start, bmap_start, data_start;
};

struct cfs_inode {
    uint16_t type, nlink;
    uint32_t size;
    uint32_t direct[CFS_NDIRECT];
    uint32_t indirect;
    uint32_t reserved;
};

struct cfs_dirent {
    uint32_t inum;
    char name[CFS_NAMELEN];                 /* NUL-padded, not always terminated */
};

_Static_assert(sizeof(struct cfs_super) == 32, "superblock fields");
_Static_assert(sizeof(struct cfs_inode) == 64, "inode size");
_Static_assert(sizeof(struct cfs_dirent) == 32, "dirent size");

/* classic's error numbers (negated) */
#define CFS_ENOENT       (-2)
#define CFS_EEXIST       (-17)
#define CFS_ENOTDIR      (-20)
#define CFS_EISDIR       (-21)
#define CFS_EINVAL       (-22)
#define CFS_EFBIG        (-27)
#define CFS_ENOSPC       (-28)
#define CFS_ENAMETOOLONG (-36)
#define CFS_ENOTEMPTY    (-39)
/* Not classic's: the call cannot be served natively (corrupt metadata
 * where classic would stop with "fs: corrupt file system", a block that
 * cannot be read, a guest buffer outside guest memory, a path longer than
 * CFS_PATH_MAX).  The glue lets the guest's own code run the call: it
 * reports the problem exactly as it would unpeeled. */
#define CFS_DECLINE      (-1000)

enum cfs_mode { CFS_SHARED, CFS_EXCL };

struct cfs_ops {
    /* Block blk held exclusively until put: its CFS_BSIZE bytes, or NULL. */
    uint8_t *(*get)(void *dev, uint32_t blk, void **hold);
    void (*write)(void *dev, void *hold);   /* write through to the disk */
    void (*put)(void *dev, void *hold);
    /* Inode inum's sleeping reader/writer lock. */
    void (*lock)(void *dev, uint32_t inum, enum cfs_mode mode);
    bool (*trylock)(void *dev, uint32_t inum, enum cfs_mode mode);
    void (*unlock)(void *dev, uint32_t inum, enum cfs_mode mode);
    /* The free block and inode counts moved by these amounts. */
    void (*count)(void *dev, int blocks, int inodes);
    /* Guest memory [addr, addr + len) as a host pointer, or NULL. */
    void *(*mem)(void *dev, uint32_t addr, uint32_t len);
    /* Optional: n bytes of block blk from off, copied without holding it,
     * if that can be done now; false to have cfs get and put it. */
    bool (*peek)(void *dev, uint32_t blk, uint32_t off, void *dst, uint32_t n);
};

struct cfs {
    const struct cfs_ops *ops;
    void *dev;
    struct cfs_super sb;
};

/* NULL if the superblock describes a file system classic would mount on a
 * disk of disk_blocks blocks, else why not (classic's words). */
const char *cfs_super_problem(const struct cfs_super *s, uint32_t disk_blocks);
void cfs_init(struct cfs *fs, const struct cfs_ops *ops, void *dev, const struct cfs_super *sb);

/* The guest's API.  A path is path[0 .. len) (it ends at a NUL, if any). */
int cfs_lookup(struct cfs *fs, const char *path, size_t len);
int cfs_create(struct cfs *fs, const char *path, size_t len, enum cfs_type type);
int cfs_remove(struct cfs *fs, const char *path, size_t len, enum cfs_type type);
int cfs_read(struct cfs *fs, int32_t inum, uint32_t off, uint32_t addr, uint32_t n);
int cfs_write(struct cfs *fs, int32_t inum, uint32_t off, uint32_t addr, uint32_t n);
int cfs_append(struct cfs *fs, int32_t inum, uint32_t addr, uint32_t n);
int cfs_size(struct cfs *fs, int32_t inum);
