/* fs: a small Unix-like file system on the ATA disk: inodes with 12 direct
 * and one indirect block, directories of fixed 32-byte entries, a block
 * bitmap.  Files are named by absolute path ("/work/w3/r7") and, once
 * looked up, by inode number.  One mutex serialises the whole file system,
 * as in the single-threaded kernels classic imitates. */
#ifndef CLASSIC_FS_H
#define CLASSIC_FS_H
#include "types.h"
#include "sched.h"
#include "fs_format.h"

#define FS_ENOENT    (-2)
#define FS_EEXIST    (-17)
#define FS_ENOTDIR   (-20)
#define FS_EISDIR    (-21)
#define FS_EINVAL    (-22)
#define FS_EFBIG     (-27)
#define FS_ENOSPC    (-28)
#define FS_ENAMETOOLONG (-36)
#define FS_ENOTEMPTY (-39)

/* API, each takes fs_mutex */
int fs_mount(void);
int fs_lookup(const char *path);
int fs_create(const char *path);
int fs_mkdir(const char *path);
int fs_unlink(const char *path);
int fs_rmdir(const char *path);
int fs_read(int inum, uint32_t off, void *buf, uint32_t n);
int fs_write(int inum, uint32_t off, const void *buf, uint32_t n);
int fs_append(int inum, const void *buf, uint32_t n);
int fs_size(int inum);
int fs_check(void);             /* fsck.c: number of inconsistencies */
const char *fs_strerror(int err);

/* internal to fs*.c and fsck.c, called with fs_mutex held */
NORETURN void fs_corrupt(const char *fmt, ...) PRINTF(1, 2);
void fs_iload(uint32_t inum, struct fs_inode *ip);
void fs_istore(uint32_t inum, const struct fs_inode *ip);
uint32_t fs_ialloc(uint16_t type);
uint32_t fs_balloc(void);
void fs_bfree(uint32_t b);
uint32_t fs_bmap(struct fs_inode *ip, uint32_t fbn, int alloc);
void fs_itrunc(struct fs_inode *ip);
void fs_count_free(void);
int fs_readi(struct fs_inode *ip, uint32_t off, void *buf, uint32_t n);
int fs_writei(uint32_t inum, struct fs_inode *ip, uint32_t off, const void *buf, uint32_t n);
int fs_check_block(uint32_t b);

extern struct fs_super fs_sb;
extern struct sched_mutex fs_mutex;
extern int fs_mounted;
extern uint32_t fs_free_blocks, fs_free_inodes;

#endif
