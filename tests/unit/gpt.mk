# The guest page-table walker (host/vmm/gpt.c).
UNIT_TESTS += gpt
gpt_SRCS := tests/unit/test_gpt.c host/vmm/gpt.c
