# classic: our own legacy uniprocessor 32-bit kernel (see README.md here).
#
#   make guest-run [W=8] [R=64] [HZ=100]   boot it alone in qemu-system-i386
#
# Built with its own flags and nothing from the host tree.  Inlining and
# inter-procedural optimisations are off so that every call of an API
# function really goes through its global symbol (a host replaces
# subsystems by symbol name) and no caller assumes anything about a
# callee's registers or side effects beyond the cdecl convention.

CLASSIC_DIR   := guest-image/classic
CLASSIC_OUT   := $(BUILD)/guest/classic
CLASSIC_ELF   := $(BUILD)/guest/classic.elf
CLASSIC_DISK  := $(BUILD)/guest/classic-disk.img
CLASSIC_MKFS  := $(BUILD)/guest/classic-mkfs
CLASSIC_REF   := $(BUILD)/guest/classic-refmodel
CLASSIC_QEMU  ?= qemu-system-i386

CLASSIC_CFLAGS := -m32 -march=i486 -ffreestanding -nostdinc -I$(CLASSIC_DIR) \
	-std=gnu11 -O2 -g $(WARN) -fno-pic -fno-pie -fno-stack-protector \
	-mgeneral-regs-only -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-fno-common -fno-inline -fno-inline-functions -fno-inline-small-functions \
	-fno-inline-functions-called-once -fno-partial-inlining -fno-optimize-sibling-calls \
	-fno-ipa-cp -fno-ipa-sra -fno-ipa-icf -fno-ipa-ra -fno-ipa-modref \
	-fno-ipa-pure-const -fno-ipa-reference -fno-ipa-vrp -fno-ipa-bit-cp -MMD -MP
CLASSIC_LDFLAGS := -m elf_i386 --build-id=sha1 -nostdlib -z max-page-size=0x1000 -z noexecstack -T $(CLASSIC_DIR)/linker.ld
CLASSIC_HOSTCFLAGS := -std=gnu11 -O2 -g $(WARN)

CLASSIC_CSRCS := $(filter-out $(CLASSIC_DIR)/mkfs.c $(CLASSIC_DIR)/refmodel.c, \
	$(sort $(wildcard $(CLASSIC_DIR)/*.c)))
CLASSIC_ASRCS := $(sort $(wildcard $(CLASSIC_DIR)/*.asm))
CLASSIC_OBJS  := $(patsubst $(CLASSIC_DIR)/%.c,$(CLASSIC_OUT)/%.o,$(CLASSIC_CSRCS)) \
	$(patsubst $(CLASSIC_DIR)/%.asm,$(CLASSIC_OUT)/%.o,$(CLASSIC_ASRCS))

$(filter %.o,$(patsubst $(CLASSIC_DIR)/%.c,$(CLASSIC_OUT)/%.o,$(CLASSIC_CSRCS))): \
		$(CLASSIC_OUT)/%.o: $(CLASSIC_DIR)/%.c $(CLASSIC_DIR)/classic.mk
	@mkdir -p $(dir $@)
	$(CC) $(CLASSIC_CFLAGS) -c $< -o $@

$(patsubst $(CLASSIC_DIR)/%.asm,$(CLASSIC_OUT)/%.o,$(CLASSIC_ASRCS)): \
		$(CLASSIC_OUT)/%.o: $(CLASSIC_DIR)/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -g -F dwarf $< -o $@

# Not stripped: the symbol table is how a host finds the subsystems.
$(CLASSIC_ELF): $(CLASSIC_OBJS) $(CLASSIC_DIR)/linker.ld
	$(LD) $(CLASSIC_LDFLAGS) -o $@ $(CLASSIC_OBJS)

$(CLASSIC_MKFS): $(CLASSIC_DIR)/mkfs.c $(CLASSIC_DIR)/fs_format.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(CLASSIC_HOSTCFLAGS) -o $@ $<

$(CLASSIC_REF): $(CLASSIC_DIR)/refmodel.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(CLASSIC_HOSTCFLAGS) -o $@ $<

$(CLASSIC_DISK): $(CLASSIC_MKFS)
	$(CLASSIC_MKFS) $@

GUEST_TARGETS += $(CLASSIC_ELF) $(CLASSIC_DISK)
TEST_DEPS     += $(CLASSIC_ELF) $(CLASSIC_DISK) $(CLASSIC_REF) $(CLASSIC_MKFS)

# Boot classic alone: Multiboot v1 via -kernel, the disk as IDE primary
# master (-snapshot: every run starts from the mkfs'd image).  QEMU's exit
# status is (code << 1) | 1, so 1 is success; README.md lists the codes.
CLASSIC_W  = $(or $(W),8)
CLASSIC_R  = $(or $(R),64)
CLASSIC_HZ = $(or $(HZ),100)
CLASSIC_QEMUFLAGS = -machine pc -accel tcg -m 128M -display none -serial stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-drive file=$(CLASSIC_DISK),format=raw,if=ide,index=0,media=disk -snapshot

.PHONY: guest-run
guest-run: $(CLASSIC_ELF) $(CLASSIC_DISK) $(CLASSIC_REF)
	@$(CLASSIC_QEMU) $(CLASSIC_QEMUFLAGS) -kernel $(CLASSIC_ELF) \
		-append "workers=$(CLASSIC_W) requests=$(CLASSIC_R) hz=$(CLASSIC_HZ)"; \
	rc=$$?; echo "guest-run: QEMU exit status $$rc (1 = success)"; \
	echo "guest-run: refmodel $$($(CLASSIC_REF) $(CLASSIC_W) $(CLASSIC_R))"; \
	[ $$rc -eq 1 ]

-include $(CLASSIC_OBJS:.o=.d)

# The peel manifest rides along as a boot module, like the image.
$(BUILD)/guest/classic.manifest: $(CLASSIC_DIR)/peel.manifest
	@mkdir -p $(dir $@)
	cp $< $@
GUEST_TARGETS += $(BUILD)/guest/classic.manifest

# classic as third-party images come (tests/suites/stripped.sh): the image
# stripped, its debug information in a separate file, classic.debug, as a
# distribution's -dbg package ships it (objcopy --only-keep-debug keeps the
# symbol table, the DWARF and the build-ID note, so the two are matched by
# build ID).  Everything the host needs beyond the image comes from that
# file alone, the way it would for a kernel we did not build: the symbol
# map that rides beside the stripped image as NAME.map (nm on the debug
# file), and the layouts the natives read (host/natives/classic/layout.sh,
# pahole on the debug file).  classic-stripped keeps its build ID, so the
# natives' layouts match it; classic-badmap is the same with one garbage
# line in its map, which the host must refuse.  Each needs its own manifest
# and disk module: the host finds them by the guest's name.
CLASSIC_DEBUG    := $(BUILD)/guest/classic.debug
CLASSIC_STRIPPED := $(BUILD)/guest/classic-stripped
CLASSIC_BADMAP   := $(BUILD)/guest/classic-badmap
OBJCOPY ?= objcopy
NM      ?= nm

$(CLASSIC_DEBUG): $(CLASSIC_ELF)
	$(OBJCOPY) --only-keep-debug $< $@
$(CLASSIC_STRIPPED).elf $(CLASSIC_BADMAP).elf: $(CLASSIC_ELF)
	$(OBJCOPY) --strip-all $< $@
$(CLASSIC_STRIPPED).map: $(CLASSIC_DEBUG)
	$(NM) -S --defined-only $< > $@
$(CLASSIC_BADMAP).map: $(CLASSIC_STRIPPED).map
	sed '5i @@@ garbage @@@' $< > $@
$(CLASSIC_STRIPPED).manifest $(CLASSIC_BADMAP).manifest: $(CLASSIC_DIR)/peel.manifest
	cp $< $@

# The layouts classic's natives read (host/natives/classic/layout.want), from
# classic.debug by host/natives/classic/layout.sh: generated, never committed.
CLASSIC_LAYOUT := $(BUILD)/gen/classic_layout.h
CLASSIC_NATIVE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard host/natives/classic/*.c))
$(CLASSIC_LAYOUT): $(CLASSIC_DEBUG) host/natives/classic/layout.sh host/natives/classic/layout.want
	@mkdir -p $(dir $@)
	sh host/natives/classic/layout.sh $(CLASSIC_DEBUG) host/natives/classic/layout.want > $@.tmp
	mv $@.tmp $@
$(CLASSIC_NATIVE_OBJS): $(CLASSIC_LAYOUT)
$(CLASSIC_NATIVE_OBJS): KCFLAGS += -I$(BUILD)/gen

# (no disks of their own: they run on classic's, guestdisk=classic-disk.img)
CLASSIC_STRIPPED_FILES := $(foreach n,$(CLASSIC_STRIPPED) $(CLASSIC_BADMAP),$(n).elf $(n).map $(n).manifest)
GUEST_TARGETS += $(CLASSIC_STRIPPED_FILES)
TEST_DEPS     += $(CLASSIC_STRIPPED_FILES) $(CLASSIC_DEBUG)

# classic-o1: the same sources built at -O1, another build of classic as
# another compiler would make it.  The natives' layouts were generated from
# classic's build, so the peels that read guest layouts must refuse it with
# a sentence and leave it to run unpeeled (tests/suites/stripped.sh).
CLASSIC_O1     := $(BUILD)/guest/classic-o1
CLASSIC_O1_OBJS := $(patsubst $(CLASSIC_OUT)/%,$(CLASSIC_O1)/%,$(CLASSIC_OBJS))

$(filter-out $(patsubst $(CLASSIC_DIR)/%.asm,$(CLASSIC_O1)/%.o,$(CLASSIC_ASRCS)),$(CLASSIC_O1_OBJS)): \
		$(CLASSIC_O1)/%.o: $(CLASSIC_DIR)/%.c $(CLASSIC_DIR)/classic.mk
	@mkdir -p $(dir $@)
	$(CC) $(CLASSIC_CFLAGS) -O1 -c $< -o $@
$(patsubst $(CLASSIC_DIR)/%.asm,$(CLASSIC_O1)/%.o,$(CLASSIC_ASRCS)): $(CLASSIC_O1)/%.o: $(CLASSIC_DIR)/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -g -F dwarf $< -o $@
$(CLASSIC_O1).elf: $(CLASSIC_O1_OBJS) $(CLASSIC_DIR)/linker.ld
	$(LD) $(CLASSIC_LDFLAGS) -o $@ $(CLASSIC_O1_OBJS)
$(CLASSIC_O1).manifest: $(CLASSIC_DIR)/peel.manifest
	cp $< $@
CLASSIC_O1_FILES := $(CLASSIC_O1).elf $(CLASSIC_O1).manifest
GUEST_TARGETS += $(CLASSIC_O1_FILES)
TEST_DEPS     += $(CLASSIC_O1_FILES)
-include $(CLASSIC_O1_OBJS:.o=.d)
