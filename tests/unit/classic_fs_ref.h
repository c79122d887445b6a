/* classic's own fs code as the tests' reference (classic_fs_ref.c); this
 * header includes nothing of classic's, so a test can include host/natives/classic/cfs.h
 * beside it. */
#pragma once
#include <stdint.h>

enum ref_op { REF_MOUNT, REF_LOOKUP, REF_CREATE, REF_MKDIR, REF_UNLINK, REF_RMDIR, REF_READ,
              REF_WRITE, REF_APPEND, REF_SIZE, REF_FSCK };

#define REF_CORRUPT (-1000)   /* classic stopped: "fs: corrupt file system" */
#define REF_DIED    (-1001)   /* classic stopped otherwise (panic) */

extern int ref_quiet;         /* 0: classic's console output goes to stdout */

/* Mount disk (sectors blocks) as classic's fs_mount does; 0 or an error. */
int ref_mount(uint8_t *disk, uint32_t sectors);
/* One call of classic's fs API on the mounted disk; REF_FSCK is fs_check. */
int ref_call(enum ref_op op, const char *path, int inum, uint32_t off, void *buf, uint32_t n);
uint32_t ref_free_blocks(void);
uint32_t ref_free_inodes(void);
