# gnumach: Debian's GNU Mach, unmodified (README.md here).  The build
# fetches it once with apt-get into $(DOWNLOADS) and puts it on the ISO as
# the module gnumach.elf, so guest=gnumach finds it; its default command
# line is in guestargs (console=com0).
#
#   make run GUEST=gnumach      boot it hosted
#   make gnumach-bare           boot it alone in qemu-system-i386, compare with tests/gnumach/bare.txt

GNUMACH_DIR := guest-image/gnumach
GNUMACH_ELF := $(BUILD)/guest/gnumach.elf
DOWNLOADS   ?= downloads

$(GNUMACH_ELF): $(GNUMACH_DIR)/fetch.sh $(GNUMACH_DIR)/sha256sums
	@mkdir -p $(dir $@)
	sh $(GNUMACH_DIR)/fetch.sh $(DOWNLOADS) $@

GUEST_TARGETS += $(GNUMACH_ELF)
TEST_DEPS     += $(GNUMACH_ELF)

.PHONY: gnumach-bare
gnumach-bare: $(GNUMACH_ELF)
	@BUILD=$(BUILD) sh tests/gnumach/bare.sh $(GNUMACH_ELF)
