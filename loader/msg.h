/*
 * loader_msg: one human sentence explaining why an image was refused,
 * written by the one formatter (kernel/fmt.h) with printf's conversions:
 *
 *     loader_fmt(&m, "program header %u: segment 0x%08x+0x%x overlaps segment %u",
 *                i, paddr, memsz, j);
 *
 * By the loader's convention a guest-physical address is 0x and at least 8
 * hex digits (0x%08x), any other hex number 0x and its shortest form (0x%x).
 * The text is always NUL-terminated and truncated at LOADER_MSG_SIZE - 1
 * characters; the compiler checks the arguments against the format.
 */
#ifndef LOADER_MSG_H
#define LOADER_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/fmt.h"

#define LOADER_MSG_SIZE 192

struct loader_msg {
    char text[LOADER_MSG_SIZE];
};

#define loader_fmt(m, ...) fmt_snprintf((m)->text, sizeof (m)->text, __VA_ARGS__)

#endif
