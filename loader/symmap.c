#include "loader/symmap.h"
#include "kernel/fmt.h"

struct word { const char *p; size_t n; };

static bool space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Split one line into at most max words; returns how many there were (more
 * than max counts as max + 1). */
static unsigned split(const char *p, const char *end, struct word *w, unsigned max)
{
    unsigned n = 0;
    for (;;) {
        while (p < end && space(*p)) p++;
        if (p == end)
            return n;
        const char *start = p;
        while (p < end && !space(*p)) p++;
        if (n == max)
            return max + 1;
        w[n++] = (struct word){ start, (size_t)(p - start) };
    }
}

static const char *complain(char *err, size_t errlen, unsigned line, const char *what)
{
    fmt_snprintf(err, errlen, "symbol map line %u: %s", line, what);
    return err;
}

/* A hexadecimal word that fits in 32 bits (leading zeros as many as nm
 * likes: it prints 16 digits for a 64-bit file). */
static const char *hex(struct word w, uint32_t *out, const char *not_hex, const char *too_big)
{
    uint64_t v = 0;
    for (size_t i = 0; i < w.n; i++) {
        char c = w.p[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
        if (d == 16)
            return not_hex;
        v = v * 16 + d;
        if (v > 0xffffffffu)
            return too_big;
    }
    *out = (uint32_t)v;
    return 0;
}

static bool letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_hex(struct word w) { uint32_t v; return !hex(w, &v, "", ""); }

static enum symmap_kind kind_of(char t)
{
    switch (t) {
    case 'T': case 't': return SYMMAP_FUNC;
    case 'D': case 'd': case 'B': case 'b': case 'R': case 'r':
    case 'G': case 'g': case 'S': case 's': case 'V': case 'v': case 'C': return SYMMAP_OBJECT;
    default: return SYMMAP_OTHER;
    }
}

/* One non-blank line into *s, its name copied to *names. */
static const char *parse_line(const char *p, const char *end, struct symmap_sym *s, char **names)
{
    struct word w[4];
    unsigned n = split(p, end, w, 4);
    if (n == 2 && w[0].n == 1 && letter(w[0].p[0]))
        return "a symbol without an address (undefined?): make the map with nm --defined-only";
    if (n == 3 && w[1].n > 1 && is_hex(w[1]) && w[2].n == 1 && letter(w[2].p[0]))
        return "a symbol without a NAME";
    if (n < 3)
        return "want ADDR [SIZE] TYPE NAME";
    if (n > 4)
        return is_hex(w[0]) ? "unexpected words after the NAME" : "want ADDR [SIZE] TYPE NAME";
    struct word type = w[n - 2], name = w[n - 1];
    const char *why = hex(w[0], &s->addr, "ADDR is not a hexadecimal number", "ADDR does not fit in 32 bits");
    s->size = 0;
    s->sized = n == 4;
    if (!why && n == 4)
        why = hex(w[1], &s->size, "SIZE is not a hexadecimal number", "SIZE does not fit in 32 bits");
    if (why)
        return why;
    if ((uint64_t)s->addr + s->size > 0x100000000ull)
        return "the symbol runs past 4 GiB (ADDR + SIZE)";
    if (type.n != 1 || !(letter(type.p[0]) || type.p[0] == '?'))
        return "TYPE must be one of nm's letters";
    for (size_t i = 0; i < name.n; i++)
        if ((unsigned char)name.p[i] < 0x20 || name.p[i] == 0x7f)
            return "a control character in the NAME";
    s->type = type.p[0];
    s->kind = (uint8_t)kind_of(s->type);
    s->global = s->type >= 'A' && s->type <= 'Z';
    s->name = *names;
    for (size_t i = 0; i < name.n; i++)
        *(*names)++ = name.p[i];
    *(*names)++ = '\0';
    return 0;
}

/* ---- sorting: heapsort, in place, no allocation ---------------------------- */

typedef int (*order)(const struct symmap_sym *, const struct symmap_sym *);

static int compare_names(const char *a, const char *b)
{
    while (*a && *a == *b) { a++; b++; }
    return (unsigned char)*a - (unsigned char)*b;
}

static int by_addr(const struct symmap_sym *a, const struct symmap_sym *b)
{
    return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static int by_name(const struct symmap_sym *a, const struct symmap_sym *b)
{
    int c = compare_names(a->name, b->name);
    if (c || a->global != b->global)
        return c ? c : a->global ? -1 : 1;
    return by_addr(a, b);
}

static void sift(struct symmap_sym *a, size_t i, size_t n, order cmp)
{
    for (size_t c; (c = 2 * i + 1) < n; i = c) {
        if (c + 1 < n && cmp(&a[c], &a[c + 1]) < 0) c++;
        if (cmp(&a[i], &a[c]) >= 0) return;
        struct symmap_sym t = a[i]; a[i] = a[c]; a[c] = t;
    }
}

static void sort(struct symmap_sym *a, size_t n, order cmp)
{
    for (size_t i = n / 2; i-- > 0; )
        sift(a, i, n, cmp);
    for (size_t end = n; end-- > 1; ) {
        struct symmap_sym t = a[0]; a[0] = a[end]; a[end] = t;
        sift(a, 0, end, cmp);
    }
}

/* A function without a size ends where the next symbol starts: the next
 * higher address of a symbol that is not absolute (an nm 'A' is a number,
 * not a place).  The last one stays 0, unknown. */
static void infer_sizes(struct symmap_sym *a, size_t n)
{
    sort(a, n, by_addr);
    bool have = false;
    uint32_t next = 0;
    for (size_t hi = n; hi > 0; ) {
        size_t lo = hi - 1;
        while (lo > 0 && a[lo - 1].addr == a[hi - 1].addr) lo--;     /* [lo, hi): one address */
        bool placed = false;
        for (size_t i = lo; i < hi; i++) {
            if (a[i].kind == SYMMAP_FUNC && !a[i].size && have)
                a[i].size = next - a[i].addr;
            placed |= a[i].type != 'A' && a[i].type != 'a';
        }
        if (placed) { have = true; next = a[lo].addr; }
        hi = lo;
    }
}

/* nm prints the size of every symbol that has one (C functions always do).
 * In a map with sizes, a text symbol without one is an assembler label —
 * ELF calls those STT_NOTYPE, and some are data: classic's Multiboot header
 * is the label __image_start.  Scanning from data as if it were code could
 * patch bytes that are not instructions, so labels are neither scanned from
 * nor peeled.  A map without any sizes (plain nm) cannot tell them apart:
 * there every text symbol is a function. */
static size_t tell_labels(struct symmap_sym *a, size_t n)
{
    bool sizes = false;
    size_t nfuncs = 0;
    for (size_t i = 0; i < n; i++)
        sizes |= a[i].sized;
    for (size_t i = 0; i < n; i++) {
        if (sizes && a[i].kind == SYMMAP_FUNC && !a[i].sized)
            a[i].kind = SYMMAP_OTHER;
        nfuncs += a[i].kind == SYMMAP_FUNC;
    }
    return nfuncs;
}

/* ---- the API ------------------------------------------------------------- */

static size_t lines(const char *text, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    return n;
}

size_t symmap_space(const char *text, size_t len)
{
    if (len > SYMMAP_MAX_TEXT)
        return 0;
    size_t n = lines(text, len);
    n = n < SYMMAP_MAX_SYMS ? n : SYMMAP_MAX_SYMS;
    return n * sizeof(struct symmap_sym) + len + 1;  /* every name and its NUL fit in its line */
}

const char *symmap_parse(const char *text, size_t len, void *space_, size_t spacelen, struct symmap *out,
                         char *err, size_t errlen)
{
    out->syms = 0;
    out->n = out->nfuncs = 0;
    if (len > SYMMAP_MAX_TEXT)
        return complain(err, errlen, 1, "the map is larger than 64 MiB");
    if (!space_ || spacelen < symmap_space(text, len))
        return complain(err, errlen, 1, "no room given to parse the map into");
    size_t cap = lines(text, len);
    cap = cap < SYMMAP_MAX_SYMS ? cap : SYMMAP_MAX_SYMS;
    struct symmap_sym *syms = space_;
    char *names = (char *)(syms + cap);
    const char *p = text, *end = text + len;
    size_t n = 0;
    for (unsigned line = 1; p < end; line++) {
        const char *eol = p;
        while (eol < end && *eol != '\n') eol++;
        struct word w;
        if (split(p, eol, &w, 0)) {                  /* not a blank line */
            if (n == SYMMAP_MAX_SYMS)
                return complain(err, errlen, line, "more than 262144 symbols");
            const char *why = parse_line(p, eol, &syms[n], &names);
            if (why)
                return complain(err, errlen, line, why);
            n++;
        }
        p = eol + (eol < end);
    }
    if (!n)
        return complain(err, errlen, 1, "no symbols in the map");
    size_t nfuncs = tell_labels(syms, n);
    infer_sizes(syms, n);
    sort(syms, n, by_name);
    *out = (struct symmap){ syms, n, nfuncs };
    return 0;
}

const struct symmap_sym *symmap_find(const struct symmap *m, const char *name)
{
    size_t lo = 0, hi = m->n;                        /* the first one not below name */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compare_names(m->syms[mid].name, name) < 0) lo = mid + 1; else hi = mid;
    }
    return lo < m->n && !compare_names(m->syms[lo].name, name) ? &m->syms[lo] : 0;
}
