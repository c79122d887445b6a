# Unit tests of the pure logic in loader/ (ELF32, Multiboot v1, SHA-256).
# Run one case alone:  build/unit/elf32 <case-name-pattern>
UNIT_TESTS += elf32 multiboot sha256
LOADER_COMMON := loader/msg.c loader/guestmem.c
elf32_SRCS     := tests/unit/test_elf32.c tests/unit/loader_image.c loader/elf32.c loader/elf32_sym.c $(LOADER_COMMON)
multiboot_SRCS := tests/unit/test_multiboot.c tests/unit/loader_image.c loader/multiboot.c \
                  loader/mb1info.c loader/elf32.c loader/elf32_sym.c $(LOADER_COMMON)
sha256_SRCS    := tests/unit/test_sha256.c loader/sha256.c
