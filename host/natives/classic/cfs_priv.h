/*
 * cfs's insides, shared by its files and by nothing else: cfs_inode.c
 * (blocks, inodes, file contents), cfs_dir.c (directories), cfs_path.c
 * (paths, and the operations by path) and cfs.c (files by number, the
 * superblock).  Every int result is 0 or a count, a negated classic error
 * number, or BAD: corrupt metadata or an unreadable block, where classic
 * would stop, so the glue lets classic's own code run the call (cfs.h).
 */
#pragma once
#include "host/natives/classic/cfs.h"

#define BAD CFS_DECLINE

/* cfs_inode.c */
/* Copy n bytes at off of block blk out; false if it cannot be read. */
bool cfs_bcopy_out(struct cfs *fs, uint32_t blk, uint32_t off, void *dst, uint32_t n);
/* Inode inum into *ip, BAD if it makes no sense; cfs_istore writes it back. */
int cfs_iload(struct cfs *fs, uint32_t inum, struct cfs_inode *ip);
int cfs_istore(struct cfs *fs, uint32_t inum, const struct cfs_inode *ip);
/* A free inode of the given type, first fit; 0 if none. */
int64_t cfs_ialloc(struct cfs *fs, uint16_t type);
/* *out = disk block of file block fbn (0 for a hole); with alloc a missing
 * one is allocated into ip (the caller stores ip), 0 if the disk is full. */
int cfs_bmap(struct cfs *fs, struct cfs_inode *ip, uint32_t fbn, bool alloc, uint32_t *out);
/* Free every block of ip (the caller stores ip). */
int cfs_itrunc(struct cfs *fs, struct cfs_inode *ip);
/* n bytes of ip's contents at off into dst (a hole reads as zeros); the
 * count read, short at the end of the file. */
int cfs_readi(struct cfs *fs, struct cfs_inode *ip, uint32_t off, uint8_t *dst, uint32_t n);
/* n bytes from src into inode inum's contents at off (ip is its
 * copy; stored with the new size); the count written. */
int cfs_writei(struct cfs *fs, uint32_t inum, struct cfs_inode *ip, uint32_t off, const uint8_t *src,
               uint32_t n);

/* cfs_dir.c */
/* The inode named `name` in dip (0 if none), and its offset. */
int64_t cfs_dir_find(struct cfs *fs, struct cfs_inode *dip, const char *name, uint32_t *offp);
/* Entry for inum in the first free slot of directory dinum, or at its end. */
int cfs_dir_link(struct cfs *fs, uint32_t dinum, struct cfs_inode *dip, const char *name, uint32_t inum);
/* 1 if dip holds nothing but "." and "..", else 0. */
int cfs_dir_empty(struct cfs *fs, struct cfs_inode *dip);
