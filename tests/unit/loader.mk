# Unit tests of the pure logic in loader/ (ELF32, Multiboot v1, SHA-256).
# Run one case alone:  build/unit/elf32 overlap_inside   (or a glob: '*overlap*')
UNIT_TESTS += elf32 multiboot sha256
LOADER_COMMON := kernel/fmt.c loader/guestmem.c
LOADER_ELF32  := loader/elf32.c loader/elf32_sym.c
elf32_SRCS     := tests/unit/test_elf32.c tests/unit/loader_image.c $(LOADER_ELF32) $(LOADER_COMMON)
multiboot_SRCS := tests/unit/test_multiboot.c tests/unit/loader_image.c loader/multiboot.c \
                  loader/mb1info.c $(LOADER_ELF32) $(LOADER_COMMON)
sha256_SRCS    := tests/unit/test_sha256.c loader/sha256.c

# A real Multiboot ELF32 kernel from binutils, built here, never checked in.
TINY_KERNEL := $(BUILD)/unit/tiny-kernel.elf
multiboot_CFLAGS := -DTINY_KERNEL='"$(TINY_KERNEL)"'
$(BUILD)/unit/multiboot: $(TINY_KERNEL)
$(TINY_KERNEL): tests/unit/tiny_kernel.S tests/unit/tiny_kernel.ld
	@mkdir -p $(dir $@)
	$(CC) -m32 -c tests/unit/tiny_kernel.S -o $(@:.elf=.o)
	$(LD) -m elf_i386 -T tests/unit/tiny_kernel.ld $(@:.elf=.o) -o $@
# The GNU build ID note (loader/note.c): what ties an image to its debug file.
UNIT_TESTS += note
note_SRCS := tests/unit/test_note.c tests/unit/loader_image.c loader/note.c $(LOADER_ELF32) $(LOADER_COMMON)
# The Linux/x86 32-bit boot protocol: bzImage header, layout, zero page.
UNIT_TESTS += bzimage
bzimage_SRCS := tests/unit/test_bzimage.c tests/unit/loader_image.c loader/bzimage.c $(LOADER_COMMON)
