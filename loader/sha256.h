/*
 * SHA-256 (FIPS 180-4).  The loader prints the SHA-256 of every image it
 * loads, so anyone can compare it with `sha256sum` of the file on disk and
 * know the bytes the host ran are the bytes they shipped (DESIGN.md §3).
 *
 *     struct sha256_ctx c;
 *     sha256_init(&c);
 *     sha256_update(&c, part, len);   // any number of times, any sizes
 *     sha256_final(&c, digest);
 *
 * or sha256(data, len, digest) in one go, then sha256_hex() for printing.
 */
#ifndef LOADER_SHA256_H
#define LOADER_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64
#define SHA256_HEX_SIZE (2 * SHA256_DIGEST_SIZE + 1)    /* with the NUL */

struct sha256_ctx {
    uint32_t state[8];
    uint64_t length;                /* message bytes so far */
    uint8_t block[SHA256_BLOCK_SIZE];
    size_t used;                    /* bytes waiting in block */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, uint8_t digest[SHA256_DIGEST_SIZE]);
void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE]);

/* Lowercase hex, as sha256sum prints it; returns out. */
char *sha256_hex(const uint8_t digest[SHA256_DIGEST_SIZE],
         char out[SHA256_HEX_SIZE]);

#endif
