/*
 * loader_msg: one human sentence explaining why an image was refused.
 *
 * The loader runs inside the kernel (no libc, no stdarg), so messages are
 * built with a tiny formatter whose arguments are passed as an array of
 * uint64_t through the loader_fmt() macro:
 *
 *     loader_fmt(&m, "program header %u: segment %p+%x overlaps segment %u",
 *                i, paddr, memsz, j);
 *
 *   %u  decimal            %x  0x-prefixed hex, shortest form
 *   %p  0x-prefixed hex, at least 8 digits (a guest-physical address)
 *   %s  a NUL-terminated string, passed as (uintptr_t)pointer
 *   %%  a percent sign
 *
 * Arguments past the end of the array print as "?", and the text is always
 * NUL-terminated and truncated at LOADER_MSG_SIZE - 1 characters, so a wrong
 * format string cannot overrun anything.
 */
#ifndef LOADER_MSG_H
#define LOADER_MSG_H

#include <stddef.h>
#include <stdint.h>

#define LOADER_MSG_SIZE 192

struct loader_msg {
    char text[LOADER_MSG_SIZE];
};

void loader_vfmt(struct loader_msg *m, const char *fmt,
         const uint64_t *args, size_t nargs);

#define loader_fmt(m, fmt, ...)                                              \
    loader_vfmt((m), (fmt), (const uint64_t[]){ __VA_ARGS__ },           \
            sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

/* For a message without values. */
#define loader_say(m, text) loader_fmt((m), "%s", (uintptr_t)(text))

#endif
