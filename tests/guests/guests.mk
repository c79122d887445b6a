# Hostile and corrupt test guests (tests/guests): small Multiboot ELF32
# images the hosted-guest tests start with guest=NAME.  They ride on the ISO
# as modules like every guest image.
TGUEST_DIR   := tests/guests
TGUEST_OUT   := $(BUILD)/guest
TGUEST_NAMES := $(basename $(notdir $(wildcard $(TGUEST_DIR)/hostile-*.asm $(TGUEST_DIR)/fuzz-*.asm))) echo calls entries callbench paging segbase usermode scanexec cpu pcprobe blocks
TGUEST_ELFS  := $(addprefix $(TGUEST_OUT)/,$(addsuffix .elf,$(TGUEST_NAMES)))
TGUEST_BAD   := $(addprefix $(TGUEST_OUT)/bad-,truncated.elf class.elf machine.elf entry.elf phnum.elf nomb.elf)

$(TGUEST_OUT)/%.elf: $(TGUEST_DIR)/%.asm $(TGUEST_DIR)/guest.inc $(TGUEST_DIR)/guest.ld
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -I. -o $(@:.elf=.o) $<
	$(LD) -m elf_i386 -nostdlib -z noexecstack -z max-page-size=0x1000 --no-warn-rwx-segments -T $(TGUEST_DIR)/guest.ld -o $@ $(@:.elf=.o)

# Scan-on-execute's guest and the patch blocks' (issue 14) are stripped:
# nothing may rely on their symbols; the scan finds their code as it runs.
TGUEST_STRIPPED := $(TGUEST_OUT)/scanexec.elf $(TGUEST_OUT)/blocks.elf
$(TGUEST_STRIPPED): $(TGUEST_OUT)/%.elf: $(TGUEST_DIR)/%.asm $(TGUEST_DIR)/guest.inc $(TGUEST_DIR)/timer.inc $(TGUEST_DIR)/guest.ld
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -I. -o $(@:.elf=.o) $<
	$(LD) -m elf_i386 -nostdlib -z noexecstack -z max-page-size=0x1000 --no-warn-rwx-segments -s -T $(TGUEST_DIR)/guest.ld -o $@ $(@:.elf=.o)
$(TGUEST_OUT)/blocks.elf: $(wildcard $(TGUEST_DIR)/blocks-*.inc)     # its cases, split by kind

# The containment attacks and the fuzzer (issue 11) share a GDT, an IDT and
# exception stubs; every image depends on it, so an edit rebuilds them all.
$(TGUEST_ELFS): $(TGUEST_DIR)/hostile.inc
$(TGUEST_OUT)/hostile-syscall-plain.elf: $(TGUEST_DIR)/hostile-syscall.asm
$(TGUEST_OUT)/fuzz-desc.elf $(TGUEST_OUT)/fuzz-far.elf: $(TGUEST_DIR)/fuzz-desc-tables.inc $(TGUEST_DIR)/fuzz-desc-ops.inc
$(TGUEST_OUT)/fuzz-far.elf: $(TGUEST_DIR)/fuzz-desc.asm

$(TGUEST_BAD) &: $(TGUEST_OUT)/hostile-ports.elf $(TGUEST_DIR)/mkbad.sh
	sh $(TGUEST_DIR)/mkbad.sh $(TGUEST_OUT)/hostile-ports.elf $(TGUEST_OUT)

GUEST_TARGETS += $(TGUEST_ELFS) $(TGUEST_BAD)

# Manifests for the peel framework's refusal tests.
TGUEST_MANIFESTS := $(addprefix $(TGUEST_OUT)/,$(notdir $(wildcard $(TGUEST_DIR)/*.manifest)))
$(TGUEST_OUT)/%.manifest: $(TGUEST_DIR)/%.manifest
	@mkdir -p $(dir $@)
	cp $< $@
GUEST_TARGETS += $(TGUEST_MANIFESTS)

# A Linux bzImage made by hand (the 32-bit boot protocol, loader/bzimage.h),
# its initrd, and the same image claiming protocol 2.03, which is refused.
TGUEST_BZ := $(addprefix $(TGUEST_OUT)/,bzhello.bzImage bzhello.initrd bzold.bzImage)
$(TGUEST_OUT)/bzhello.bzImage: $(TGUEST_DIR)/bzhello.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin -o $@ $<
$(TGUEST_OUT)/bzhello.initrd: $(TGUEST_DIR)/bzhello.initrd
	@mkdir -p $(dir $@)
	cp $< $@
$(TGUEST_OUT)/bzold.bzImage: $(TGUEST_OUT)/bzhello.bzImage
	cp $< $@ && printf '\003' | dd of=$@ bs=1 seek=518 conv=notrunc status=none
GUEST_TARGETS += $(TGUEST_BZ)
