UNIT_TESTS += decode
decode_SRCS := tests/unit/test_decode.c $(sort $(wildcard host/decode/*.c))
