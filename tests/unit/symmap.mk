# Symbol maps (loader/symmap.c): the symbols of a stripped image, from nm's output.
UNIT_TESTS += symmap
symmap_SRCS := tests/unit/test_symmap.c loader/symmap.c kernel/fmt.c
