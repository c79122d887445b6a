# Reading a stopped thread's call chain from its stack (host/peel/callchain.c):
# what the run-time peels' quiescence and gates decide "inside" by.
UNIT_TESTS += callchain
callchain_SRCS := tests/unit/test_callchain.c host/peel/callchain.c
