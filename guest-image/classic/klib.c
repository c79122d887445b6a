/* klib: string routines and a small snprintf (%s %c %d %u %x %p, %llx,
 * width and '0' flag).  No 64-bit division anywhere: classic links without
 * libgcc, and 64-bit values are only ever printed in hex. */
#include "klib.h"

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    if (dp <= sp || dp >= sp + n)
        return memcpy(d, s, n);
    while (n--)
        dp[n] = sp[n];
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (uint8_t)*a - (uint8_t)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++)
        if (*a != *b || !*a)
            return (uint8_t)*a - (uint8_t)*b;
    return 0;
}

char *strncpy(char *d, const char *s, size_t n)
{
    size_t i = 0;
    for (; i < n && s[i]; i++)
        d[i] = s[i];
    for (; i < n; i++)
        d[i] = 0;
    return d;
}

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

/* Digits of v in base 10 or 16, most significant first, padded to width. */
static void put_num(struct out *o, uint64_t v, int base, int width, char pad, int neg)
{
    char tmp[24];
    int n = 0;
    do {
        uint32_t d;
        if (base == 16) {
            d = (uint32_t)v & 15;
            v >>= 4;
        } else {                    /* decimal only for 32-bit values */
            d = (uint32_t)v % 10;
            v = (uint32_t)v / 10;
        }
        tmp[n++] = "0123456789abcdef"[d];
    } while (v);
    if (neg)
        tmp[n++] = '-';
    while (n < width--)
        put(o, pad);
    while (n)
        put(o, tmp[--n]);
}

static void put_str(struct out *o, const char *s, int width)
{
    int n = (int)strlen(s);
    while (n < width--)
        put(o, ' ');
    while (*s)
        put(o, *s++);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        char pad = ' ';
        int width = 0, longlong = 0;
        if (*++fmt == '0')
            pad = '0', fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        if (fmt[0] == 'l' && fmt[1] == 'l')
            longlong = 1, fmt += 2;
        switch (*fmt) {
        case 'd': {
            int32_t v = va_arg(ap, int32_t);
            put_num(&o, v < 0 ? (uint32_t)-v : (uint32_t)v, 10, width, pad, v < 0);
            break;
        }
        case 'u': put_num(&o, va_arg(ap, uint32_t), 10, width, pad, 0); break;
        case 'x':
            put_num(&o, longlong ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t), 16, width, pad, 0);
            break;
        case 'p': put_num(&o, (uintptr_t)va_arg(ap, void *), 16, 8, '0', 0); break;
        case 's': put_str(&o, va_arg(ap, const char *), width); break;
        case 'c': put(&o, (char)va_arg(ap, int)); break;
        case '%': put(&o, '%'); break;
        default:                    /* unknown conversion: print it as is */
            put(&o, '%');
            if (*fmt)
                put(&o, *fmt);
            break;
        }
        if (!*fmt)
            break;
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
