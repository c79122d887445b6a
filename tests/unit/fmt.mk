# The one formatter (kernel/fmt.c), against libc's snprintf where they mean the same.
#   build/unit/fmt line_messages      one case alone
UNIT_TESTS += fmt
fmt_SRCS := tests/unit/test_fmt.c kernel/fmt.c
$(BUILD)/unit/fmt: kernel/fmt.h
