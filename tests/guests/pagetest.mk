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

PAGETEST_OBJS := $(patsubst $(PAGETEST_DIR)/%.c,$(PAGETEST_OUT)/%.o,$(wildcard $(PAGETEST_DIR)/*.c))

$(PAGETEST_OUT)/%.o: $(PAGETEST_DIR)/%.c $(PAGETEST_DIR)/../pagetest.mk
	@mkdir -p $(dir $@)
	$(CC) $(PAGETEST_CFLAGS) -c $< -o $@
$(PAGETEST_OUT)/entry.o: $(PAGETEST_DIR)/entry.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -g -F dwarf $< -o $@
$(PAGETEST_ELF): $(PAGETEST_OUT)/entry.o $(PAGETEST_OBJS) $(PAGETEST_DIR)/pagetest.ld
	$(LD) -m elf_i386 -nostdlib -z noexecstack -z max-page-size=0x1000 --no-warn-rwx-segments \
		-T $(PAGETEST_DIR)/pagetest.ld -o $@ $(PAGETEST_OUT)/entry.o $(PAGETEST_OBJS)

GUEST_TARGETS += $(PAGETEST_ELF)
-include $(PAGETEST_OBJS:.o=.d)

# The bare transcripts tests/suites/pagetest.sh keeps as its oracle,
# rewritten from a bare i386 PC: run after changing the guest, and commit them.
.PHONY: pagetest-oracle
pagetest-oracle: $(PAGETEST_ELF)
	@for m in full ring0only; do \
		f=$(PAGETEST_DIR)/bare$$([ $$m = full ] || echo -$$m).txt; \
		st=$$(sh tests/guests/bare-oracle.sh $(PAGETEST_ELF) $$f.tmp "$$([ $$m = full ] || echo $$m)" 180); \
		tr -d '\r' < $$f.tmp > $$f && rm -f $$f.tmp; \
		echo "$$f: QEMU status $$st, $$(grep '^DIGEST' $$f)"; \
		[ "$$st" = 1 ] || exit 1; \
	done
