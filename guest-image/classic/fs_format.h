/* The on-disk format of classic's file system ("cfs"), shared by the
 * kernel (fs*.c) and the host-side mkfs.c.  All fields little endian.
 *
 *   block 0                  unused (boot block)
 *   block 1                  superblock
 *   inode_start ..           inode table, FS_IPB inodes per block
 *   bmap_start ..            free-block bitmap, bit set = block in use
 *   data_start .. nblocks-1  data blocks (file contents, directories,
 *                            indirect blocks)
 *
 * Blocks are 512 bytes, one ATA sector.  Inode 0 is never used (a zero
 * inum in a directory entry marks a free slot); inode 1 is the root. */
#ifndef CLASSIC_FS_FORMAT_H
#define CLASSIC_FS_FORMAT_H

#define FS_MAGIC      0x31534643u   /* "CFS1" */
#define FS_VERSION    1
#define FS_BSIZE      512
#define FS_SUPER      1
#define FS_ROOT       1
#define FS_NDIRECT    12
#define FS_NINDIRECT  (FS_BSIZE / 4)
#define FS_MAXBLOCKS  (FS_NDIRECT + FS_NINDIRECT)
#define FS_MAXFILE    (FS_MAXBLOCKS * FS_BSIZE)
#define FS_NAMELEN    28
#define FS_MAXINODES  4096

enum fs_type { FS_T_FREE = 0, FS_T_FILE = 1, FS_T_DIR = 2 };

struct fs_super {
    uint32_t magic;
    uint32_t version;
    uint32_t block_size;
    uint32_t nblocks;       /* whole file system, including blocks 0 and 1 */
    uint32_t ninodes;
    uint32_t inode_start;
    uint32_t bmap_start;
    uint32_t data_start;
};

/* 64 bytes.  A directory's nlink is 2 + its number of subdirectories
 * (its entry in the parent, its own ".", each child's ".."); a file's is
 * the number of directory entries naming it. */
struct fs_inode {
    uint16_t type;
    uint16_t nlink;
    uint32_t size;
    uint32_t direct[FS_NDIRECT];
    uint32_t indirect;
    uint32_t reserved;
};

/* 32 bytes; name NUL-padded, not necessarily NUL-terminated. */
struct fs_dirent {
    uint32_t inum;
    char name[FS_NAMELEN];
};

#define FS_IPB (FS_BSIZE / sizeof(struct fs_inode))
#define FS_DPB (FS_BSIZE / sizeof(struct fs_dirent))
#define FS_BPB (FS_BSIZE * 8)   /* bitmap bits per block */

_Static_assert(sizeof(struct fs_inode) == 64, "inode size");
_Static_assert(sizeof(struct fs_dirent) == 32, "dirent size");

#endif
