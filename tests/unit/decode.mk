UNIT_TESTS += decode
decode_SRCS := tests/unit/test_decode.c host/decode.c
