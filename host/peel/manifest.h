/*
 * Peel manifests: which guest functions make up each subsystem of an image,
 * and what replaces them.  One per image, shipped beside it as a boot module
 * (NAME.manifest).  Pure parsing, unit-tested on the host.
 *
 *   # comment
 *   subsystem NAME [outside-gkl] [boot-only]
 *                                    a peelable unit; outside-gkl: its native
 *                                    code may run without the guest kernel lock;
 *                                    boot-only: it can be peeled only before the
 *                                    guest's first instruction, and never unpeeled
 *                                    (its natives cannot adopt the guest's state)
 *   fn SYMBOL NATIVE ARGS [drain]    guest function SYMBOL (cdecl, ARGS 32-bit
 *                                    stack arguments) is served by NATIVE; drain:
 *                                    after an unpeel it stays served until the
 *                                    native side owns nothing (a free routine)
 *   keeps SYMBOL                     a guest variable the replacement keeps current
 *   idle SYMBOL                      a guest word (a lock) that must be 0 when the
 *                                    subsystem changes hands: no guest thread is
 *                                    inside the guest's own version then
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define MANIFEST_NAME 32
#define MANIFEST_MAX_SUBSYSTEMS 16
#define MANIFEST_MAX_FNS 16
#define MANIFEST_MAX_KEEPS 8
#define MANIFEST_MAX_IDLE 4

struct manifest_fn {
    char symbol[MANIFEST_NAME];
    char native[MANIFEST_NAME];
    unsigned nargs;
    bool drain;
};

struct manifest_subsystem {
    char name[MANIFEST_NAME];
    bool outside_gkl, boot_only;
    unsigned nfns, nkeeps, nidle;
    struct manifest_fn fns[MANIFEST_MAX_FNS];
    char keeps[MANIFEST_MAX_KEEPS][MANIFEST_NAME];
    char idle[MANIFEST_MAX_IDLE][MANIFEST_NAME];
};

struct manifest {
    unsigned nsubsystems;
    struct manifest_subsystem subsystems[MANIFEST_MAX_SUBSYSTEMS];
};

/* NULL on success; otherwise a sentence naming the line, written to err. */
const char *manifest_parse(const char *text, size_t len, struct manifest *out, char *err, size_t errlen);
const struct manifest_subsystem *manifest_find(const struct manifest *m, const char *name);
