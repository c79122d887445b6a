/*
 * SHA-256 against the FIPS 180-4 example vectors (NIST "Examples with
 * Intermediate Values", SHA256.pdf) and the classic million-'a' message.
 * Each vector is hashed one-shot and streamed in awkward piece sizes, so
 * block boundaries fall everywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "loader/sha256.h"

struct vector {
    const char *name;
    const char *message;    /* NULL: a million 'a's */
    const char *hex;
};

static const struct vector vectors[] = {
    { "empty", "",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc", "abc",
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "448_bits", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    { "896_bits",
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
      "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
    { "million_a", NULL,
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
};

static size_t message(const struct vector *v, char **owned)
{
    if (v->message) {
        *owned = NULL;
        return strlen(v->message);
    }
    *owned = malloc(1000000);
    assert_non_null(*owned);
    memset(*owned, 'a', 1000000);
    return 1000000;
}

static void check_one_shot(void **state)
{
    const struct vector *v = *state;
    char *owned, hex[SHA256_HEX_SIZE];
    uint8_t digest[SHA256_DIGEST_SIZE];
    size_t len = message(v, &owned);

    sha256(owned ? owned : v->message, len, digest);
    assert_string_equal(sha256_hex(digest, hex), v->hex);
    free(owned);
}

/* Piece sizes 1, 2, ..., 127, 1, 2, ...: every offset in a block is hit. */
static void check_streamed(void **state)
{
    const struct vector *v = *state;
    char *owned, hex[SHA256_HEX_SIZE];
    uint8_t digest[SHA256_DIGEST_SIZE];
    size_t len = message(v, &owned), done = 0, piece = 1;
    const char *msg = owned ? owned : v->message;
    struct sha256_ctx c;

    sha256_init(&c);
    sha256_update(&c, msg, 0);
    while (done < len) {
        size_t n = len - done < piece ? len - done : piece;

        sha256_update(&c, msg + done, n);
        done += n;
        piece = piece % 127 + 1;
    }
    sha256_final(&c, digest);
    assert_string_equal(sha256_hex(digest, hex), v->hex);
    free(owned);
}

/* 55, 56 and 64 bytes are the padding edge cases (length field fits in
 * the last block or spills into a new one); compare one-shot with
 * byte-at-a-time to catch a streaming bug that hides there. */
static void check_padding_edges(void **state)
{
    (void)state;
    static const char hex55[] =
        "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318";
    uint8_t buf[130], a[SHA256_DIGEST_SIZE], b[SHA256_DIGEST_SIZE];
    char hex[SHA256_HEX_SIZE];

    memset(buf, 'a', sizeof buf);
    sha256(buf, 55, a);
    assert_string_equal(sha256_hex(a, hex), hex55);
    for (size_t len = 50; len <= sizeof buf; len++) {
        struct sha256_ctx c;

        sha256(buf, len, a);
        sha256_init(&c);
        for (size_t i = 0; i < len; i++)
            sha256_update(&c, buf + i, 1);
        sha256_final(&c, b);
        assert_memory_equal(a, b, SHA256_DIGEST_SIZE);
    }
}

#define NVECTORS (sizeof vectors / sizeof vectors[0])

int main(int argc, char **argv)
{
    struct CMUnitTest tests[2 * NVECTORS + 1];
    static char names[2 * NVECTORS][64];
    size_t n = 0;

    for (size_t i = 0; i < NVECTORS; i++) {
        snprintf(names[n], sizeof names[n], "one_shot_%s", vectors[i].name);
        tests[n] = (struct CMUnitTest){ names[n], check_one_shot, NULL,
            NULL, (void *)&vectors[i] };
        n++;
        snprintf(names[n], sizeof names[n], "streamed_%s", vectors[i].name);
        tests[n] = (struct CMUnitTest){ names[n], check_streamed, NULL,
            NULL, (void *)&vectors[i] };
        n++;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(check_padding_edges);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return _cmocka_run_group_tests("sha256", tests, n, NULL, NULL);
}
