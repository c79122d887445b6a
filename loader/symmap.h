/*
 * Symbol maps: the symbols of a stripped image, from a file shipped beside
 * it as a boot module (NAME.map), in the format `nm -S --defined-only`
 * prints — what a distribution's debug package gives you for its kernel
 * (`nm -S gnumach.dbg > gnumach.map`):
 *
 *     001053a0 T _start                      ADDR TYPE NAME
 *     001002e0 0000010f T blk_init           ADDR SIZE TYPE NAME
 *     00108000 0000000c D blk_mutex
 *
 * ADDR and SIZE in hexadecimal.  TYPE is nm's letter: T/t a function, D/d,
 * B/b, R/r (and G/g, S/s, V/v, C) an object, anything else kept as neither;
 * upper case is a global symbol.  In a map that gives sizes, a T/t symbol
 * without one is an assembler label, not a function (ELF's STT_NOTYPE: it
 * may be data, like a Multiboot header).  In a map without any sizes (plain
 * nm) every T/t is a function, and it ends where the next symbol starts.  An
 * object without a SIZE has size 0, unknown: its end cannot be told from its
 * neighbour, padding and all, and natives write into objects they are told
 * the size of.
 *
 * Pure parsing, unit-tested on the host: no allocation here, the caller gives
 * the space symmap_space asks for.  A line that is not a symbol refuses the
 * whole map with its line number.
 */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define SYMMAP_MAX_SYMS (1u << 18)      /* GNU Mach with its debug symbols: ~10,000 */
#define SYMMAP_MAX_TEXT (64u << 20)

enum symmap_kind { SYMMAP_OTHER, SYMMAP_OBJECT, SYMMAP_FUNC };

struct symmap_sym {
    const char *name;                   /* NUL-terminated, in the caller's space */
    uint32_t addr, size;                /* size 0: unknown */
    bool sized;                         /* the map gave the size */
    char type;                          /* nm's letter */
    uint8_t kind;                       /* enum symmap_kind */
    bool global;                        /* an upper-case letter */
};

struct symmap {
    struct symmap_sym *syms;            /* sorted by name; globals first among equal names */
    size_t n, nfuncs;
};

/* The bytes symmap_parse needs for this text (0 if it is too big to try). */
size_t symmap_space(const char *text, size_t len);
/* NULL on success; otherwise a sentence naming the line, written to err. */
const char *symmap_parse(const char *text, size_t len, void *space, size_t spacelen, struct symmap *out,
                         char *err, size_t errlen);
/* The symbol called name (a global one if there are several), or NULL. */
const struct symmap_sym *symmap_find(const struct symmap *m, const char *name);
