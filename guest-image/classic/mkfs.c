/* classic-mkfs: build classic's disk image on the host.
 *
 *   classic-mkfs OUT.img [NBLOCKS] [--list]
 *
 * Lays out the "cfs" file system of fs_format.h (default 8192 blocks of
 * 512 bytes = 4 MiB, 1024 inodes) and fills in what the workload expects:
 *   /data/f00 .. /data/f15   data files, f<k> is 512 + 777*k bytes,
 *                            byte i = top byte of mix64((k+1) << 32 | i)
 *   /etc/motd                a greeting
 *   /work/                   empty: one directory per worker goes here
 *   /shared/log0 .. log3     empty logs the workers append to
 * --list prints "inode N PATH" for each file made, so tests can find the
 * bytes to corrupt.  The host is assumed little endian, like the disk. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_format.h"

#define NINODES 1024

static uint8_t *img;
static struct fs_super *sb;
static uint32_t next_inum = FS_ROOT, next_block;
static int list;
static char cur_dir[64] = "";

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static uint8_t *block(uint32_t b) { return img + (size_t)b * FS_BSIZE; }

static struct fs_inode *inode(uint32_t inum)
{
    return (struct fs_inode *)block(sb->inode_start + inum / FS_IPB) + inum % FS_IPB;
}

static uint32_t balloc(void)
{
    if (next_block >= sb->nblocks) {
        fprintf(stderr, "mkfs: image full\n");
        exit(1);
    }
    uint32_t b = next_block++;
    block(sb->bmap_start + b / FS_BPB)[b % FS_BPB / 8] |= (uint8_t)(1 << (b % 8));
    return b;
}

static uint32_t ialloc(uint16_t type, uint16_t nlink)
{
    if (next_inum >= sb->ninodes) {
        fprintf(stderr, "mkfs: out of inodes\n");
        exit(1);
    }
    struct fs_inode *ip = inode(next_inum);
    ip->type = type;
    ip->nlink = nlink;
    return next_inum++;
}

/* Disk block for file block fbn, allocated on first use. */
static uint32_t bmap(struct fs_inode *ip, uint32_t fbn)
{
    if (fbn < FS_NDIRECT)
        return ip->direct[fbn] ? ip->direct[fbn] : (ip->direct[fbn] = balloc());
    if (!ip->indirect)
        ip->indirect = balloc();
    uint32_t *ind = (uint32_t *)block(ip->indirect);
    return ind[fbn - FS_NDIRECT] ? ind[fbn - FS_NDIRECT] : (ind[fbn - FS_NDIRECT] = balloc());
}

static void append(uint32_t inum, const void *data, uint32_t n)
{
    struct fs_inode *ip = inode(inum);
    const uint8_t *p = data;
    if (ip->size + n > FS_MAXFILE) {
        fprintf(stderr, "mkfs: file too large\n");
        exit(1);
    }
    for (uint32_t i = 0; i < n; i++, ip->size++)
        block(bmap(ip, ip->size / FS_BSIZE))[ip->size % FS_BSIZE] = p[i];
}

static void link_name(uint32_t dir, const char *name, uint32_t inum)
{
    struct fs_dirent de = { inum, { 0 } };
    size_t n = strlen(name);
    memcpy(de.name, name, n < FS_NAMELEN ? n : FS_NAMELEN);
    append(dir, &de, sizeof de);
}

static uint32_t mkdir_in(uint32_t parent, const char *name)
{
    uint32_t d = ialloc(FS_T_DIR, 2);
    link_name(d, ".", d);
    link_name(d, "..", parent);
    link_name(parent, name, d);
    inode(parent)->nlink++;
    snprintf(cur_dir, sizeof cur_dir, "/%s", name);
    if (list)
        printf("inode %u %s\n", d, cur_dir);
    return d;
}

static uint32_t mkfile_in(uint32_t dir, const char *name, const void *data, uint32_t n)
{
    uint32_t f = ialloc(FS_T_FILE, 1);
    append(f, data, n);
    link_name(dir, name, f);
    if (list)
        printf("inode %u %s/%s\n", f, cur_dir, name);
    return f;
}

static void layout(uint32_t nblocks)
{
    sb = (struct fs_super *)block(FS_SUPER);
    sb->magic = FS_MAGIC;
    sb->version = FS_VERSION;
    sb->block_size = FS_BSIZE;
    sb->nblocks = nblocks;
    sb->ninodes = NINODES;
    sb->inode_start = FS_SUPER + 1;
    sb->bmap_start = sb->inode_start + (NINODES + FS_IPB - 1) / FS_IPB;
    sb->data_start = sb->bmap_start + (nblocks + FS_BPB - 1) / FS_BPB;
    for (next_block = 0; next_block < sb->data_start;)
        balloc();               /* metadata blocks are marked in use */
}

static void populate(void)
{
    static uint8_t data[512 + 777 * 15];
    char name[16];
    uint32_t root = ialloc(FS_T_DIR, 2);
    link_name(root, ".", root);
    link_name(root, "..", root);
    uint32_t d = mkdir_in(root, "data");
    for (uint32_t k = 0; k < 16; k++) {
        uint32_t size = 512 + 777 * k;
        for (uint32_t i = 0; i < size; i++)
            data[i] = (uint8_t)(mix64((uint64_t)(k + 1) << 32 | i) >> 56);
        snprintf(name, sizeof name, "f%02u", k);
        mkfile_in(d, name, data, size);
    }
    const char motd[] = "classic: a legacy uniprocessor kernel, the first image Peel peels\n";
    mkfile_in(mkdir_in(root, "etc"), "motd", motd, sizeof motd - 1);
    mkdir_in(root, "work");
    uint32_t s = mkdir_in(root, "shared");
    for (uint32_t j = 0; j < 4; j++) {
        snprintf(name, sizeof name, "log%u", j);
        mkfile_in(s, name, "", 0);
    }
}

int main(int argc, char **argv)
{
    list = argc > 2 && !strcmp(argv[argc - 1], "--list");
    argc -= list;
    uint32_t nblocks = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 8192;
    if (argc < 2 || argc > 3 || nblocks < 512 || nblocks > (1u << 20)) {
        fprintf(stderr, "usage: classic-mkfs OUT.img [NBLOCKS 512..1048576] [--list]\n");
        return 2;
    }
    img = calloc(nblocks, FS_BSIZE);
    if (!img)
        return 1;
    layout(nblocks);
    populate();
    FILE *f = fopen(argv[1], "wb");
    if (!f || fwrite(img, FS_BSIZE, nblocks, f) != nblocks || fclose(f)) {
        perror(argv[1]);
        return 1;
    }
    printf("classic-mkfs: %s: %u blocks, %u inodes (%u used), data from block %u, %u used\n",
           argv[1], nblocks, NINODES, next_inum - 1, sb->data_start, next_block);
    return 0;
}
