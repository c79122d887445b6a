/*
 * The reference for tests/unit/test_cfs.c: classic's own file system code
 * (guest-image/classic/fs*.c and fsck.c, compiled unchanged for the build
 * machine) over an in-memory disk.  This file supplies what those sources
 * need from the rest of classic: a buffer cache straight onto the image, a
 * mutex that never waits (this side is single-threaded), the console,
 * kmalloc, and an exit that returns to the test (ref_call) instead of
 * stopping a machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest-image/classic/fs.h"
#include "guest-image/classic/cache.h"
#include "guest-image/classic/blk.h"
#include "guest-image/classic/console.h"
#include "guest-image/classic/exit.h"
#include "guest-image/classic/klib.h"
#include "guest-image/classic/mm.h"
#include "tests/unit/classic_fs_ref.h"

static uint8_t *ref_disk;
uint32_t blk_sectors;
int ref_quiet = 1;
static jmp_buf *failed;

struct buf *cache_read(uint32_t blockno)
{
    if (blockno >= blk_sectors)
        panic("cache: cannot read block %u", blockno);
    struct buf *b = calloc(1, sizeof *b);
    b->blockno = blockno;
    b->valid = b->busy = 1;
    memcpy(b->data, ref_disk + (size_t)blockno * CACHE_BSIZE, CACHE_BSIZE);
    return b;
}

int cache_write(struct buf *b)
{
    memcpy(ref_disk + (size_t)b->blockno * CACHE_BSIZE, b->data, CACHE_BSIZE);
    return 0;
}

void cache_release(struct buf *b) { free(b); }
void sched_mutex_lock(struct sched_mutex *m) { m->locked = 1; }
void sched_mutex_unlock(struct sched_mutex *m) { m->locked = 0; }
void *kmalloc(size_t size) { return malloc(size); }
void kfree(void *p) { free(p); }

int console_vprintf(const char *fmt, va_list ap)
{
    return ref_quiet ? 0 : vprintf(fmt, ap);
}

int console_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = console_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap) { return vsnprintf(buf, size, fmt, ap); }

static NORETURN void stop(int code)
{
    if (!failed)
        abort();
    longjmp(*failed, 100 + code);
}

void classic_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    console_vprintf(fmt, ap);
    va_end(ap);
    stop(code);
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    console_vprintf(fmt, ap);
    va_end(ap);
    stop(EXIT_PANIC);
}

void classic_exit(int code) { stop(code); }

int ref_mount(uint8_t *disk, uint32_t sectors)
{
    ref_disk = disk;
    blk_sectors = sectors;
    return ref_call(REF_MOUNT, 0, 0, 0, 0, 0);
}

int ref_call(enum ref_op op, const char *path, int inum, uint32_t off, void *buf, uint32_t n)
{
    jmp_buf here;
    volatile int r = 0;
    int code = setjmp(here);
    if (code) {
        failed = 0;
        return code == 100 + EXIT_BADFS ? REF_CORRUPT : REF_DIED;
    }
    failed = &here;
    switch (op) {
    case REF_MOUNT: r = fs_mount(); break;
    case REF_LOOKUP: r = fs_lookup(path); break;
    case REF_CREATE: r = fs_create(path); break;
    case REF_MKDIR: r = fs_mkdir(path); break;
    case REF_UNLINK: r = fs_unlink(path); break;
    case REF_RMDIR: r = fs_rmdir(path); break;
    case REF_READ: r = fs_read(inum, off, buf, n); break;
    case REF_WRITE: r = fs_write(inum, off, buf, n); break;
    case REF_APPEND: r = fs_append(inum, buf, n); break;
    case REF_SIZE: r = fs_size(inum); break;
    case REF_FSCK: r = fs_check(); break;
    }
    failed = 0;
    return r;
}

uint32_t ref_free_blocks(void) { return fs_free_blocks; }
uint32_t ref_free_inodes(void) { return fs_free_inodes; }
