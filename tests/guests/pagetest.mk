# pagetest (tests/guests/pagetest/): the paging torture guest, a Multiboot
# ELF32 image run bare in qemu-system-i386 and hosted as guest=pagetest,
# its transcripts compared by tests/suites/pagetest.sh.  C for the
# enumeration and the model, assembly for the entry, the stubs and the
# accesses; built freestanding, nothing from the host tree.
PAGETEST_DIR := tests/guests/pagetest
PAGETEST_OUT := $(BUILD)/guest/pagetest
PAGETEST_ELF := $(BUILD)/guest/pagetest.elf
PAGETEST_CFLAGS := -m32 -march=i486 -ffreestanding -std=gnu11 -O2 -g $(WARN) -fno-pic -fno-pie \
	-fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables -fno-common \
	-fno-tree-loop-distribute-patterns -MMD -MP

$(PAGETEST_OUT)/pagetest.o: $(PAGETEST_DIR)/pagetest.c $(PAGETEST_DIR)/../pagetest.mk
	@mkdir -p $(dir $@)
	$(CC) $(PAGETEST_CFLAGS) -c $< -o $@
$(PAGETEST_OUT)/entry.o: $(PAGETEST_DIR)/entry.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -g -F dwarf $< -o $@
$(PAGETEST_ELF): $(PAGETEST_OUT)/entry.o $(PAGETEST_OUT)/pagetest.o $(PAGETEST_DIR)/pagetest.ld
	$(LD) -m elf_i386 -nostdlib -z noexecstack -z max-page-size=0x1000 --no-warn-rwx-segments \
		-T $(PAGETEST_DIR)/pagetest.ld -o $@ $(PAGETEST_OUT)/entry.o $(PAGETEST_OUT)/pagetest.o

GUEST_TARGETS += $(PAGETEST_ELF)
-include $(PAGETEST_OUT)/pagetest.d
