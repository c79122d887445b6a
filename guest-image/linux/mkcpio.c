/* mkcpio INIT OUT [DIR/NAME=FILE...]: the linux guest's initramfs, an
 * uncompressed "newc" cpio archive (Linux's
 * Documentation/driver-api/early-userspace/buffer-format.rst, what
 * usr/gen_init_cpio writes) holding
 *
 *   dev           directory, 0755
 *   dev/console   character device 5:1, 0600 (the kernel opens it as init's stdio)
 *   init          regular file, 0755, the contents of INIT
 *   DIR, DIR/NAME a directory (0755) and in it a regular file (0755), the
 *                 contents of FILE, for each further argument (busybox)
 *
 * and the TRAILER!!! entry.  Owner 0:0, mtime 0 and fixed inode numbers
 * make the archive the same bytes on every build; no root, mknod or cpio
 * package is needed.  Any failure removes OUT and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static FILE *out;
static const char *out_name;
static unsigned long offset;
static unsigned ino = 721;              /* any start will do; gen_init_cpio's */

static void die(const char *what)
{
    fprintf(stderr, "mkcpio: %s\n", what);
    if (out)
        fclose(out), remove(out_name);
    exit(1);
}

static void put(const void *p, unsigned long n)
{
    if (n && fwrite(p, 1, n, out) != n)
        die("cannot write the archive");
    offset += n;
}

/* header, name and data are each padded to a multiple of 4 bytes */
static void pad4(void)
{
    static const char zero[4];
    put(zero, (4 - offset % 4) % 4);
}

static void entry(const char *name, unsigned mode, unsigned rdev_major, unsigned rdev_minor,
                  const void *data, unsigned long size)
{
    char hdr[128];
    int nlink = S_ISDIR(mode) ? 2 : 1;

    /* magic, ino, mode, uid, gid, nlink, mtime, filesize, dev major/minor,
     * rdev major/minor, namesize (with its NUL), check: 8 hex digits each */
    if (snprintf(hdr, sizeof hdr, "070701%08X%08X%08X%08X%08X%08X%08lX%08X%08X%08X%08X%08lX%08X",
                 mode ? ino++ : 0, mode, 0, 0, nlink, 0, size,
                 0, 0, rdev_major, rdev_minor, (unsigned long)strlen(name) + 1, 0) != 110)
        die("a file too large for a newc header");      /* sizes are 8 hex digits */
    put(hdr, 110);
    put(name, strlen(name) + 1);
    pad4();
    put(data, size);
    pad4();
}

static void *slurp(const char *path, unsigned long *size)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) ||
        !(buf = malloc(n)) || fread(buf, 1, n, f) != (size_t)n)
        die("cannot read a file to archive");
    fclose(f);
    *size = n;
    return buf;
}

int main(int argc, char **argv)
{
    unsigned long size;
    void *init;

    if (argc < 3) {
        fprintf(stderr, "usage: mkcpio INIT OUT [DIR/NAME=FILE...]\n");
        return 2;
    }
    init = slurp(argv[1], &size);
    out_name = argv[2];
    if (!(out = fopen(out_name, "wb")))
        die("cannot create the archive");
    entry("dev", S_IFDIR | 0755, 0, 0, NULL, 0);
    entry("dev/console", S_IFCHR | 0600, 5, 1, NULL, 0);
    entry("init", S_IFREG | 0755, 0, 0, init, size);
    for (int i = 3; i < argc; i++) {
        char name[256];
        const char *eq = strchr(argv[i], '='), *slash = strchr(argv[i], '/');
        const char *deeper = slash ? strchr(slash + 1, '/') : NULL;
        if (!eq || !slash || slash > eq || eq - argv[i] >= (long)sizeof name || (deeper && deeper < eq))
            die("an extra file is DIR/NAME=FILE, one directory deep");
        memcpy(name, argv[i], slash - argv[i]);
        name[slash - argv[i]] = 0;
        entry(name, S_IFDIR | 0755, 0, 0, NULL, 0);
        memcpy(name, argv[i], eq - argv[i]);
        name[eq - argv[i]] = 0;
        void *data = slurp(eq + 1, &size);
        entry(name, S_IFREG | 0755, 0, 0, data, size);
        free(data);
    }
    entry("TRAILER!!!", 0, 0, 0, NULL, 0);
    if (fclose(out)) {
        out = NULL;
        remove(out_name);
        die("cannot write the archive");
    }
    free(init);
    return 0;
}
