/* classic-refmodel: the workload's expected digest, computed on the host
 * from the specification in README.md ("Digest"), without a file system:
 * if the kernel's file system, cache, driver or scheduler lose or mix up a
 * byte, the kernel's DIGEST differs from this one.
 *
 *   classic-refmodel W R [-v]     prints "DIGEST <16 hex digits>"
 *                                 (-v: each worker's digest first)
 *
 * Written apart from the kernel on purpose: it includes no kernel source
 * and shares no code with it, only the specification. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NDATA = 16, NLOGS = 4 };

static uint64_t splitmix_final(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    while (n--)
        h = (h ^ *p++) * 16777619u;
    return h;
}

/* Prepopulated /data/f<k>: its size and contents. */
static size_t data_size(unsigned k) { return 512 + 777 * (size_t)k; }

static void data_fill(unsigned k, uint8_t *out)
{
    for (size_t i = 0; i < data_size(k); i++)
        out[i] = (uint8_t)(splitmix_final(((uint64_t)(k + 1) << 32) + i) >> 56);
}

static uint8_t data[NDATA][512 + 777 * (NDATA - 1)];
static uint64_t log_bytes[NLOGS];

/* Result of request r of worker w; the file system is a byte store, so
 * what was written is what is read back. */
static uint64_t request(uint32_t w, uint32_t r)
{
    uint32_t key = (uint32_t)splitmix_final(((uint64_t)w << 32) + r);
    unsigned k = key % NDATA;
    size_t ds = data_size(k);
    uint32_t c1 = fnv1a(data[k], ds);

    uint32_t n1 = 200 + (key >> 8) % 3000, n2 = 50 + (key >> 16) % 500;
    uint8_t file[4000];
    for (uint32_t i = 0; i < n1; i++)
        file[i] = data[k][(i + key) % ds] ^ (uint8_t)(w * 31 + r * 17 + i);
    for (uint32_t j = 0; j < n2; j++)
        file[n1 + j] = (uint8_t)(j * 3 + r + w);
    uint32_t len = n1 + n2;
    uint32_t c2 = fnv1a(file, len);

    uint32_t h = c2, rounds = 128 + (key >> 24) % 128;
    for (uint32_t t = 0; t < rounds; t++)
        for (uint32_t i = 0; i < len; i++)
            h = (h ^ file[i] ^ t) * 16777619u;

    uint32_t c3 = 0;
    if (r % 4 == 1) {
        uint8_t small[64];
        for (unsigned j = 0; j < 64; j++)
            small[j] = (uint8_t)((key >> (8 * (j % 4))) ^ j);
        c3 = fnv1a(small, 64);
    }
    if (r % 8 == 7)
        log_bytes[w % NLOGS] += 8 + key % 8;

    return splitmix_final((uint64_t)c1 << 32 | c2) ^ splitmix_final((uint64_t)h << 32 | (len ^ c3));
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "-v"))) {
        fprintf(stderr, "usage: classic-refmodel WORKERS REQUESTS [-v]\n");
        return 2;
    }
    long W = strtol(argv[1], NULL, 10), R = strtol(argv[2], NULL, 10);
    if (W < 1 || W > 32 || R < 1 || R > 4096) {
        fprintf(stderr, "classic-refmodel: WORKERS 1..32, REQUESTS 1..4096\n");
        return 2;
    }
    for (unsigned k = 0; k < NDATA; k++)
        data_fill(k, data[k]);
    uint64_t total = 0;
    for (uint32_t w = 0; w < (uint32_t)W; w++) {
        uint64_t d = splitmix_final(w + 1);
        for (uint32_t r = 0; r < (uint32_t)R; r++)
            d = splitmix_final(d ^ request(w, r));
        if (argc == 4)
            printf("worker %u digest %016" PRIx64 "\n", w, d);
        total = splitmix_final(total ^ d);
    }
    for (unsigned j = 0; j < NLOGS; j++)
        total = splitmix_final(total ^ log_bytes[j]);
    printf("DIGEST %016" PRIx64 "\n", total);
    return 0;
}
