#include "host/peel/manifest.h"
#include "kernel/fmt.h"

struct cursor { const char *p, *end; unsigned line; };

static bool space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* The next word of the current line into w; false at the end of the line. */
static bool word(struct cursor *c, char *w, size_t size, bool *too_long)
{
    while (c->p < c->end && space(*c->p)) c->p++;
    if (c->p == c->end || *c->p == '\n' || *c->p == '#')
        return false;
    size_t n = 0;
    while (c->p < c->end && !space(*c->p) && *c->p != '\n') {
        if (n + 1 < size) w[n++] = *c->p;
        else *too_long = true;
        c->p++;
    }
    w[n] = '\0';
    return true;
}

static void skip_line(struct cursor *c)
{
    while (c->p < c->end && *c->p != '\n') c->p++;
    if (c->p < c->end) c->p++;
    c->line++;
}

static bool same(const char *a, const char *b)
{
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

static void copy(char *dst, const char *src)
{
    while ((*dst++ = *src++)) ;
}

static const char *complain(char *err, size_t errlen, unsigned line, const char *what)
{
    fmt_snprintf(err, errlen, "manifest line %u: %s", line, what);
    return err;
}

static bool number(const char *w, unsigned *out)
{
    unsigned v = 0;
    if (!*w) return false;
    for (; *w; w++) {
        if (*w < '0' || *w > '9' || v > 100) return false;
        v = v * 10 + (*w - '0');
    }
    *out = v;
    return true;
}

/* One line whose first word is kw; the rest of the words follow. */
static const char *parse_line(struct cursor *c, const char *kw, struct manifest *m, bool *too_long)
{
    char a[MANIFEST_NAME], b[MANIFEST_NAME], d[MANIFEST_NAME], extra[MANIFEST_NAME], extra_word[MANIFEST_NAME];
    struct manifest_subsystem *s = m->nsubsystems ? &m->subsystems[m->nsubsystems - 1] : 0;
    if (same(kw, "subsystem")) {
        if (!word(c, a, sizeof a, too_long)) return "subsystem needs a name";
        bool outside = false, boot_only = false;
        while (word(c, b, sizeof b, too_long)) {
            if (same(b, "outside-gkl")) outside = true;
            else if (same(b, "boot-only")) boot_only = true;
            else return "subsystem takes only the words outside-gkl and boot-only after its name";
        }
        if (m->nsubsystems == MANIFEST_MAX_SUBSYSTEMS) return "too many subsystems";
        s = &m->subsystems[m->nsubsystems++];
        s->nfns = s->nkeeps = s->nidle = 0;
        copy(s->name, a);
        s->outside_gkl = outside;
        s->boot_only = boot_only;
    } else if (same(kw, "fn")) {
        if (!s) return "fn before any subsystem";
        if (!word(c, a, sizeof a, too_long) || !word(c, b, sizeof b, too_long) || !word(c, d, sizeof d, too_long))
            return "fn needs SYMBOL NATIVE ARGS";
        unsigned nargs;
        if (!number(d, &nargs) || nargs > 8) return "fn ARGS must be a number from 0 to 8";
        if (s->nfns == MANIFEST_MAX_FNS) return "too many functions in one subsystem";
        struct manifest_fn *f = &s->fns[s->nfns++];
        copy(f->symbol, a);
        copy(f->native, b);
        f->nargs = nargs;
        f->drain = false;
        if (word(c, extra_word, sizeof extra_word, too_long)) {
            if (!same(extra_word, "drain")) return "fn takes only the word drain after ARGS";
            f->drain = true;
        }
    } else if (same(kw, "keeps")) {
        if (!s) return "keeps before any subsystem";
        if (!word(c, a, sizeof a, too_long)) return "keeps needs a symbol";
        if (s->nkeeps == MANIFEST_MAX_KEEPS) return "too many kept variables";
        copy(s->keeps[s->nkeeps++], a);
    } else if (same(kw, "idle")) {
        if (!s) return "idle before any subsystem";
        if (!word(c, a, sizeof a, too_long)) return "idle needs a symbol";
        if (s->nidle == MANIFEST_MAX_IDLE) return "too many idle words";
        copy(s->idle[s->nidle++], a);
    } else {
        return "unknown keyword (want subsystem, fn, keeps or idle)";
    }
    if (word(c, extra, sizeof extra, too_long)) return "unexpected words at the end of the line";
    return 0;
}

const char *manifest_parse(const char *text, size_t len, struct manifest *out, char *err, size_t errlen)
{
    struct cursor c = { text, text + len, 1 };
    out->nsubsystems = 0;
    while (c.p < c.end) {
        char kw[MANIFEST_NAME];
        bool too_long = false;
        if (word(&c, kw, sizeof kw, &too_long)) {
            const char *why = parse_line(&c, kw, out, &too_long);
            if (!why && too_long) why = "a name longer than 31 characters";
            if (why) return complain(err, errlen, c.line, why);
        }
        skip_line(&c);
    }
    for (unsigned i = 0; i < out->nsubsystems; i++)
        if (!out->subsystems[i].nfns)
            return complain(err, errlen, c.line, "a subsystem without functions");
    return 0;
}

const struct manifest_subsystem *manifest_find(const struct manifest *m, const char *name)
{
    for (unsigned i = 0; i < m->nsubsystems; i++)
        if (same(m->subsystems[i].name, name)) return &m->subsystems[i];
    return 0;
}
