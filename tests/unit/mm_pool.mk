# The mm peel's allocator (host/natives/classic/mm_pool.c), pure: single-threaded cases and
# threads hammering it as vCPUs on several CPUs would.
#   build/unit/mm_pool 'threads_*'      run some cases alone (a cmocka filter)
UNIT_TESTS += mm_pool
mm_pool_SRCS := tests/unit/test_mm_pool.c host/natives/classic/mm_pool.c host/natives/classic/mm_pool_check.c
mm_pool_LIBS := -lpthread
$(BUILD)/unit/mm_pool: host/natives/classic/mm_pool.h
