# Symbol maps (host/symmap.c): the symbols of a stripped image, from nm's output.
UNIT_TESTS += symmap
symmap_SRCS := tests/unit/test_symmap.c host/symmap.c host/linemsg.c
