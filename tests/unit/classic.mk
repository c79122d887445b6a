# Host-side unit tests of classic's pure logic (guest-image/classic/).
#   build/unit/classic_cmdline      the kernel command-line parser
UNIT_TESTS += classic_cmdline
classic_cmdline_SRCS := tests/unit/test_classic_cmdline.c guest-image/classic/cmdline.c
$(BUILD)/unit/classic_cmdline: $(wildcard guest-image/classic/*.h)
