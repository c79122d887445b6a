/* A formatter just big enough for loader error messages; see msg.h. */
#include "loader/msg.h"

struct out {
    char *buf;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len < LOADER_MSG_SIZE - 1)
        o->buf[o->len++] = c;
}

static void puts_(struct out *o, const char *s)
{
    while (s && *s)
        put(o, *s++);
}

static void put_dec(struct out *o, uint64_t v)
{
    char digits[20];
    int n = 0;

    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put(o, digits[--n]);
}

static void put_hex(struct out *o, uint64_t v, int min_digits)
{
    static const char hex[] = "0123456789abcdef";
    char digits[16];
    int n = 0;

    do {
        digits[n++] = hex[v & 15];
        v >>= 4;
    } while (v);
    while (n < min_digits)
        digits[n++] = '0';
    puts_(o, "0x");
    while (n)
        put(o, digits[--n]);
}

static void put_arg(struct out *o, char conv, uint64_t v)
{
    switch (conv) {
    case 'u': put_dec(o, v); break;
    case 'x': put_hex(o, v, 1); break;
    case 'p': put_hex(o, v, 8); break;
    case 's': puts_(o, (const char *)(uintptr_t)v); break;
    default: put(o, '%'); put(o, conv); break;
    }
}

void loader_vfmt(struct loader_msg *m, const char *fmt,
         const uint64_t *args, size_t nargs)
{
    struct out o = { m->text, 0 };
    size_t next = 0;

    for (; *fmt; fmt++) {
        if (*fmt != '%' || !fmt[1]) {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        if (*fmt == '%')
            put(&o, '%');
        else if (next < nargs)
            put_arg(&o, *fmt, args[next++]);
        else
            put(&o, '?');
    }
    m->text[o.len] = '\0';
}
