/* "PREFIX N: what" for parsers that name the bad line of their input,
 * without a printf: they run in the kernel and in host-side unit tests. */
#pragma once
#include <stddef.h>

const char *line_message(char *err, size_t errlen, const char *prefix, unsigned line, const char *what);
