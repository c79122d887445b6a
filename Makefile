# Peel — one Makefile you can read.
#
#   make run [SMP=4] [MEM=512M]   install what is missing, build the ISO, boot it in QEMU
#   make run GUEST=classic [GUESTARGS="workers=8 requests=64"] [PEEL=checksum] [ONESHOT=1] [GUESTMEM=128M]
#   make run GUEST=gnumach        Debian's GNU Mach, fetched unmodified (guest-image/gnumach)
#   make test                     install, build, run every test; ends "N passed, N failed, N skipped"
#   make gdb                      boot with QEMU waiting for GDB, symbols loaded
#   make iso | unit | deps | clean
#   make core                     the core alone (no host/, no loader/): build/core.elf, build/core.iso
#
# Everything is built out of tree in build/.  Fragments named *.mk below
# guest-image/ and tests/unit/ add guest images and unit tests.

BUILD   ?= build
SMP     ?= 4
STRESS_SMP ?= $(if $(filter command line,$(origin SMP)),$(SMP),1 2 4 8)
DURATION ?= 20
MEM     ?= 512M
CPU     ?= max
ACCEL   ?= tcg,thread=multi
QEMU    ?= qemu-system-x86_64

CC      ?= gcc
NASM    ?= nasm
LD      ?= ld
OBJCOPY ?= objcopy
HOSTCC  ?= gcc

WARN    := -Wall -Wextra -Werror
KCODE   := -O2 -ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
           -fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables
# Link-time optimisation: under TCG every return is a jump-cache lookup, and
# the trap path crosses a dozen files (trap, vcpu, gkl, peel, sched): the
# inlining LTO allows cut the guest kernel lock's held time by an eighth
# with every peel (docs/bench.md).  asm-offsets.s must stay real assembly.
KCFLAGS := -std=gnu11 -g $(WARN) -I. $(KCODE) -flto -MMD -MP
KNASM   := -f elf64 -g -F dwarf -I$(BUILD)/ -I.
KLINK   := $(CC) $(KCODE) -flto=auto -g -nostdlib -no-pie \
           -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -T boot/linker.ld

# Host-side unit tests: the same pure sources, built with sanitizers.
UCFLAGS := -std=gnu11 -O1 -g $(WARN) -I. -DUNIT_TEST -fsanitize=address,undefined \
           -fno-sanitize-recover=all -fno-omit-frame-pointer
ULIBS   := -lcmocka

KDIRS   := boot kernel smp sched loader host/vmm host/decode host/dev host/peel $(wildcard host/natives/*) tests/ktest tests/ktest/host tests/stress
KCSRCS  := $(filter-out kernel/asm-offsets.c,$(sort $(foreach d,$(KDIRS),$(wildcard $(d)/*.c))))
KASRCS  := $(sort $(foreach d,$(KDIRS),$(wildcard $(d)/*.asm)))
KOBJS   := $(patsubst %.c,$(BUILD)/%.o,$(KCSRCS)) $(patsubst %.asm,$(BUILD)/%.o,$(KASRCS))

# The core: a kernel that knows no client (docs/kernel.md#layers).  The
# hypervisor registers itself on the core's hooks, so the core links, and
# boots, without it; tests/suites/layers.sh checks that it still does.
CORE_DIRS := boot kernel smp sched tests/ktest tests/stress
CORE_OBJS := $(foreach o,$(KOBJS),$(if $(filter $(CORE_DIRS),$(patsubst $(BUILD)/%/,%,$(dir $(o)))),$(o)))

KERNEL  := $(BUILD)/peel.elf
ISO     := $(BUILD)/peel.iso
ISO_LARGE := $(BUILD)/peel-large.iso

QEMUFLAGS := -machine pc -cpu $(CPU) -accel $(ACCEL) -smp $(SMP) -m $(MEM) \
             -serial stdio -display none -no-reboot \
             -device isa-debug-exit,iobase=0xf4,iosize=0x04

# GUEST=name starts that hosted image (default classic; GUEST= for none),
# GUESTARGS="w=1 x=2" is its command line (default: the words in
# guest-image/NAME/guestargs, if there is one: GNU Mach's console=com0);
# ONESHOT=1 powers off when it ends and returns its exit status; GUESTMEM=128M gives it that much RAM
# (the host's default, 64 MiB, without it).  The test suites take
# GUESTMEM from the environment too (tests/qemu.sh).
GUEST     ?= classic
GUESTARGS ?= $(shell cat guest-image/$(GUEST)/guestargs 2>/dev/null)
ONESHOT   ?=
PEEL      ?=
GUESTMEM  ?=
HOSTARGS  := $(if $(GUEST),guest=$(GUEST)) $(addprefix guestarg=,$(GUESTARGS)) \
             $(if $(PEEL),peel=$(PEEL)) $(if $(ONESHOT),oneshot) $(if $(GUESTMEM),guestmem=$(GUESTMEM)) $(ARGS)

comma := ,
# Extra host command-line words reach the kernel through QEMU's fw_cfg, so
# one ISO serves every run (see kernel/fwcfg.c).
ifneq ($(strip $(HOSTARGS)),)
QEMUFLAGS += -fw_cfg name=opt/peel/cmdline,string="$(subst $(comma),$(comma)$(comma),$(strip $(HOSTARGS)))"
endif

.PHONY: all run gdb iso core test unit deps clean stress bench bench-entry bench-tbprof
all: iso

# Fragments: guest images and unit tests register themselves.
GUEST_TARGETS :=
LARGE_GUESTS  :=
LARGE_TARGETS :=
UNIT_TESTS    :=
TEST_DEPS     :=
include $(sort $(wildcard guest-image/*/*.mk))
include $(sort $(wildcard tests/unit/*.mk))
include $(sort $(wildcard tests/guests/*.mk))

# the ISO `make run` boots: the large one only for a guest that rides there
RUN_ISO   := $(if $(filter $(GUEST),$(LARGE_GUESTS)),$(ISO_LARGE),$(ISO))
QEMUFLAGS += -cdrom $(RUN_ISO) -boot d

deps:
	@sh .ci/deps.sh

# With ONESHOT, QEMU's status (code << 1) | 1 from isa-debug-exit becomes
# the guest's own exit code.
run: deps $(RUN_ISO)
	@echo "$(QEMU) $(QEMUFLAGS)"
	@$(QEMU) $(QEMUFLAGS); st=$$?; \
	if [ -n "$(ONESHOT)" ] && [ $$((st & 1)) = 1 ]; then exit $$((st >> 1)); fi; exit $$st

gdb: deps $(RUN_ISO)
	@echo "QEMU waits for GDB on :1234; in another shell: gdb -ex 'target remote :1234' $(KERNEL)"
	$(QEMU) $(QEMUFLAGS) -s -S

iso: $(ISO)

# --- kernel -----------------------------------------------------------------

$(BUILD)/%.o: %.c $(BUILD)/kernel/asm-offsets.inc
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/%.o: %.asm $(BUILD)/kernel/asm-offsets.inc
	@mkdir -p $(dir $@)
	$(NASM) $(KNASM) -MD $(@:.o=.d) $< -o $@

# Structure offsets shared with NASM come from the C compiler, never by hand.
$(BUILD)/kernel/asm-offsets.inc: kernel/asm-offsets.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -fno-lto -MF $(BUILD)/kernel/asm-offsets.d -MT $@ -S $< -o $(BUILD)/kernel/asm-offsets.s
	sed -n 's/.*@@OFFSET \([A-Za-z_0-9]*\) \$$\{0,1\}\([0-9-]*\).*/%define \1 \2/p' \
		$(BUILD)/kernel/asm-offsets.s > $@

# Two links: the symbol table for backtraces lives after .text, so filling it
# in the second link moves no function.  $(call link_kernel,OBJECTS,NAME)
# leaves NAME.pass1 and NAME-ksyms.{asm,o} beside the kernel.
define link_kernel
	printf 'section .ksyms\nglobal ksyms\nksyms: dq 0\n' > $(BUILD)/ksyms0.asm
	$(NASM) -f elf64 -o $(BUILD)/ksyms0.o $(BUILD)/ksyms0.asm
	$(KLINK) -o $(2).pass1 $(1) $(BUILD)/ksyms0.o
	sh kernel/ksyms.sh $(2).pass1 > $(2)-ksyms.asm
	$(NASM) -f elf64 -o $(2)-ksyms.o $(2)-ksyms.asm
	$(KLINK) -o $@ $(1) $(2)-ksyms.o
	sh kernel/ksyms.sh $@ | cmp -s - $(2)-ksyms.asm || \
		{ echo "ksyms: text moved between links" >&2; rm -f $@; exit 1; }
endef

$(KERNEL): $(KOBJS) boot/linker.ld kernel/ksyms.sh
	$(call link_kernel,$(KOBJS),$(BUILD)/peel)

core: $(BUILD)/core.iso

$(BUILD)/core.elf: $(CORE_OBJS) boot/linker.ld kernel/ksyms.sh
	printf '%s\n' $(CORE_OBJS) > $(BUILD)/core.objs
	$(call link_kernel,$(CORE_OBJS),$(BUILD)/core)

# No modules: the core hosts nothing.
$(BUILD)/core.iso: $(BUILD)/core.elf boot/grub.cfg
	@rm -rf $(BUILD)/core-iso && mkdir -p $(BUILD)/core-iso/boot/grub
	sed -e '/@MODULES@/d' -e 's#/boot/peel.elf#/boot/core.elf#' boot/grub.cfg > $(BUILD)/core-iso/boot/grub/grub.cfg
	$(OBJCOPY) --strip-debug $(BUILD)/core.elf $(BUILD)/core-iso/boot/core.elf
	grub-mkrescue -o $@ $(BUILD)/core-iso 2>$(BUILD)/grub-mkrescue.log || \
		{ cat $(BUILD)/grub-mkrescue.log; exit 1; }

# $(call iso,DIR,MODULES): the ISO $@ with the kernel and one module2 line per image.
# A disk image (*.img: classic's is 4 MiB, nearly all zeros) rides gzipped and
# GRUB inflates it as it loads it (module2 does unless told --nounzip): the
# host gets the same bytes under the same name, and every boot reads 100 KiB
# from the CD instead of 4 MiB (about a quarter of a second under TCG).
define iso
	@rm -rf $(1) && mkdir -p $(1)/boot/grub
	for f in $(2); do b=$$(basename $$f); case $$b in *.img) z=.gz ;; *) z= ;; esac; \
		printf '    module2 /boot/%s%s %s\n' $$b "$$z" $$b; done > $(1).modules.cfg
	sed -e '/@MODULES@/{r $(1).modules.cfg' -e 'd}' boot/grub.cfg > $(1)/boot/grub/grub.cfg
	$(OBJCOPY) --strip-debug $(KERNEL) $(1)/boot/peel.elf    # GRUB would read the DWARF too
	for f in $(2); do case $$f in *.img) gzip -9cn $$f > $(1)/boot/$$(basename $$f).gz ;; \
		*) cp $$f $(1)/boot/ ;; esac; done
	grub-mkrescue -o $@ $(1) 2>$(BUILD)/grub-mkrescue.log || \
		{ cat $(BUILD)/grub-mkrescue.log; exit 1; }
endef

$(ISO): $(KERNEL) boot/grub.cfg $(GUEST_TARGETS)
	$(call iso,$(BUILD)/iso,$(GUEST_TARGETS))

# Large images (Debian's Linux, 5.7 MB) ride only on a second ISO: GRUB
# loading them would cost each of the tests' hundreds of boots of the
# first a second.  `make run GUEST=name` boots it for a name in LARGE_GUESTS.
$(ISO_LARGE): $(KERNEL) boot/grub.cfg $(GUEST_TARGETS) $(LARGE_TARGETS)
	$(call iso,$(BUILD)/iso-large,$(GUEST_TARGETS) $(LARGE_TARGETS))

# --- host-side unit tests -----------------------------------------------------
# A fragment says:  UNIT_TESTS += foo   and   foo_SRCS := tests/unit/test_foo.c a.c b.c

define unit_rule
$(BUILD)/unit/$(1): $$($(1)_SRCS)
	@mkdir -p $$(dir $$@)
	$$(HOSTCC) $$(UCFLAGS) $$($(1)_CFLAGS) -o $$@ $$($(1)_SRCS) $$(ULIBS) $$($(1)_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))
UNIT_BINS := $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))

unit: $(UNIT_BINS)

test: deps iso unit $(TEST_DEPS)
	@BUILD=$(BUILD) QEMU=$(QEMU) GUESTMEM=$(GUESTMEM) sh tests/run.sh $(UNIT_BINS)

# Benchmarks, never tests: hosted vs bare metal, measured side by side, the
# ranked what-to-peel-next list, then the banana-peel chart (docs/bench.md):
# each peel set (spaces between sets, commas inside, "none" = unpeeled) at
# each -smp, BENCH_REPEAT times, each run with a short one of
# BENCH_BASE_REQUESTS requests a worker beside it (0: none), so the steady
# state can be told from boot and fsck; BENCH_ONLY=chart skips the first two.
BENCH_SETS     ?= none mm mm,sched mm,sched,checksum mm,sched,checksum,cache mm,sched,checksum,cache,fs
BENCH_SMP      ?= 1 2 4
BENCH_WORKERS  ?= 16
BENCH_REQUESTS ?= 128
BENCH_REPEAT   ?= 3
BENCH_BASE_REQUESTS ?= 2
WALL_REPEAT    ?= 3
bench: deps iso $(GUEST_TARGETS) $(CLASSIC_REF)
	@st=0; $(if $(filter chart,$(BENCH_ONLY)),,BUILD=$(BUILD) QEMU=$(QEMU) WALL_REPEAT=$(WALL_REPEAT) sh tests/bench/classic.sh || st=1;) \
	BUILD=$(BUILD) QEMU=$(QEMU) BENCH_SETS="$(BENCH_SETS)" BENCH_SMP="$(BENCH_SMP)" \
		BENCH_WORKERS=$(BENCH_WORKERS) BENCH_REQUESTS=$(BENCH_REQUESTS) BENCH_REPEAT=$(BENCH_REPEAT) \
		BENCH_BASE_REQUESTS=$(BENCH_BASE_REQUESTS) \
		$(if $(BENCH_TIMEOUT),BENCH_TIMEOUT=$(BENCH_TIMEOUT)) sh tests/bench/chart.sh && exit $$st

# What a peel entry costs, int 15 against syscall, side by side (docs/peel.md):
# the callbench guest and classic with every peel, ENTRY_REPEAT boots a mode.
ENTRY_REPEAT ?= 6
bench-entry: deps iso $(GUEST_TARGETS) $(CLASSIC_REF)
	@BUILD=$(BUILD) QEMU=$(QEMU) REPEAT=$(ENTRY_REPEAT) sh tests/bench/entry.sh

# Where the instructions go, host and guest, per function: classic with
# every peel under -icount, a TCG plugin counting translation blocks
# (deterministic: two builds compare exactly; docs/bench.md).
bench-tbprof: deps iso $(GUEST_TARGETS) $(CLASSIC_REF)
	@BUILD=$(BUILD) QEMU=$(QEMU) BENCH_WORKERS=$(BENCH_WORKERS) BENCH_REQUESTS=$(BENCH_REQUESTS) sh tests/bench/tbprof.sh

# The SMP stress suite (tests/stress): every case at each CPU count.
stress: deps iso $(TEST_DEPS)
	@BUILD=$(BUILD) QEMU=$(QEMU) SMP="$(STRESS_SMP)" DURATION=$(DURATION) \
		$(if $(FAILALLOC),FAILALLOC=$(FAILALLOC)) $(if $(STALL_RUNS),STALL_RUNS=$(STALL_RUNS)) sh tests/stress/run.sh

clean:
	rm -rf $(BUILD)

-include $(KOBJS:.o=.d) $(BUILD)/kernel/asm-offsets.d
