# linux: Debian's current i386 Linux kernel, unmodified, and a one-program
# initramfs built here (README.md here).  The build fetches the kernel once
# with apt-get into $(DOWNLOADS) and puts it on the large ISO
# (build/peel-large.iso) as the module linux.bzImage, with linux.initrd
# beside it, so guest=linux finds them there; its default command line is
# in guestargs.
#
#   make run GUEST=linux        boot it hosted
#   make linux-bare             boot it alone in qemu-system-i386, print its transcript
#   make linux-map              fetch its symbols (the -dbg package's System.map) for prof
#   make bench-linux            its boot to /init hosted against bare, side by side (LINUX_REPEAT=3)

LINUX_DIR     := guest-image/linux
LINUX_BZIMAGE := $(BUILD)/guest/linux.bzImage
LINUX_INITRD  := $(BUILD)/guest/linux.initrd
LINUX_INIT    := $(BUILD)/guest/linux/init
LINUX_MKCPIO  := $(BUILD)/guest/linux/mkcpio
DOWNLOADS     ?= downloads

# /init: static i386, no libc, raw int $0x80 (init.c)
LINUX_INIT_CFLAGS := -m32 -static -nostdlib -ffreestanding -fno-pic -fno-pie -no-pie -Os $(WARN) \
	-fno-stack-protector

# the kernel package is resolved when this runs (fetch.sh); linux.version says which it was
$(LINUX_BZIMAGE): $(LINUX_DIR)/fetch.sh guest-image/apt-i386.sh
	@mkdir -p $(dir $@)
	sh $(LINUX_DIR)/fetch.sh $(DOWNLOADS) $@

$(LINUX_INIT): $(LINUX_DIR)/init.c
	@mkdir -p $(dir $@)
	$(CC) $(LINUX_INIT_CFLAGS) -o $@ $<

$(LINUX_MKCPIO): $(LINUX_DIR)/mkcpio.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 -g $(WARN) -o $@ $<

$(LINUX_INITRD): $(LINUX_INIT) $(LINUX_MKCPIO)
	$(LINUX_MKCPIO) $(LINUX_INIT) $@

# A second initramfs of userland nobody here wrote: Debian's busybox-static
# (fetch-busybox.sh) with busybox-init.sh as /init, booted as guest
# linux-busybox (the same kernel under that name: NAME.bzImage, NAME.initrd)
LINUX_BUSYBOX := $(BUILD)/guest/linux/busybox
$(LINUX_BUSYBOX): $(LINUX_DIR)/fetch-busybox.sh guest-image/apt-i386.sh
	@mkdir -p $(dir $@)
	sh $(LINUX_DIR)/fetch-busybox.sh $(DOWNLOADS) $@

$(BUILD)/guest/linux-busybox.initrd: $(LINUX_DIR)/busybox-init.sh $(LINUX_BUSYBOX) $(LINUX_MKCPIO)
	$(LINUX_MKCPIO) $(LINUX_DIR)/busybox-init.sh $@ bin/busybox=$(LINUX_BUSYBOX)

$(BUILD)/guest/linux-busybox.bzImage: $(LINUX_BZIMAGE)
	cp $< $@

# on the second ISO only (the Makefile's ISO_LARGE: GRUB would load 5.7 MB at every test boot)
LARGE_GUESTS  += linux linux-busybox
LARGE_TARGETS += $(LINUX_BZIMAGE) $(LINUX_INITRD) $(BUILD)/guest/linux-busybox.bzImage \
                 $(BUILD)/guest/linux-busybox.initrd
TEST_DEPS     += $(ISO_LARGE)

# The symbols (System.map from the 765 MB -dbg package), only when asked
# for: then linux.map rides on the large ISO too, and prof names functions.
LINUX_MAP     := $(BUILD)/guest/linux.map
LARGE_TARGETS += $(wildcard $(LINUX_MAP))

.PHONY: linux-map
linux-map: $(LINUX_BZIMAGE)
	sh $(LINUX_DIR)/fetch-map.sh $(DOWNLOADS) $(BUILD)/guest/linux.version $(LINUX_MAP)
	@$(MAKE) --no-print-directory $(ISO_LARGE)

.PHONY: linux-bare
linux-bare: $(LINUX_BZIMAGE) $(LINUX_INITRD)
	@BUILD=$(BUILD) sh tests/linux/bare.sh $(LINUX_BZIMAGE) $(LINUX_INITRD)

# Booting to /init, hosted against bare, side by side (tests/bench/linux.sh)
LINUX_REPEAT ?= 3
.PHONY: bench-linux
bench-linux: deps $(ISO_LARGE)
	@BUILD=$(BUILD) QEMU=$(QEMU) REPEAT=$(LINUX_REPEAT) sh tests/bench/linux.sh
