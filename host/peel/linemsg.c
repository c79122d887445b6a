#include "host/peel/linemsg.h"

const char *line_message(char *err, size_t errlen, const char *prefix, unsigned line, const char *what)
{
    char num[12];
    int n = 0;
    do { num[n++] = '0' + line % 10; line /= 10; } while (line);
    size_t i = 0;
    while (*prefix && i + 1 < errlen) err[i++] = *prefix++;
    while (n && i + 1 < errlen) err[i++] = num[--n];
    if (i + 2 < errlen) { err[i++] = ':'; err[i++] = ' '; }
    while (*what && i + 1 < errlen) err[i++] = *what++;
    err[i] = '\0';
    return err;
}
