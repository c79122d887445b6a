# The native classic file system core (host/natives/classic/cfs*.c) against classic's own fs
# code, on disks made by classic's own mkfs.
#   build/unit/cfs      one case alone: build/unit/cfs errors_match
UNIT_TESTS += cfs
CLASSIC_FS_REF := $(addprefix guest-image/classic/,fs.c fs_alloc.c fs_dir.c fsck.c)
CFS_SRCS   := $(addprefix host/natives/classic/,cfs.c cfs_inode.c cfs_dir.c cfs_path.c)
cfs_SRCS   := tests/unit/test_cfs.c $(CFS_SRCS) tests/unit/classic_fs_ref.c $(CLASSIC_FS_REF)
cfs_CFLAGS := -DCLASSIC_MKFS='"$(CLASSIC_MKFS)"' -pthread
cfs_LIBS   := -pthread
$(BUILD)/unit/cfs: $(CLASSIC_MKFS) host/natives/classic/cfs.h host/natives/classic/cfs_priv.h tests/unit/classic_fs_ref.h $(wildcard guest-image/classic/*.h)
