#include "kernel/cmdline.h"
#include <stddef.h>
#include "sched/capacity.h"

struct cmdline cmdline;

/* The registered words (the section's bounds: boot/linker.ld names them as
 * GNU ld names them for an orphan section, so unit tests link too). */
extern const struct cmdline_option __start_cmdline_options[], __stop_cmdline_options[];

static bool word_eq(const char *w, size_t n, const char *lit)
{
    size_t i = 0;
    for (; i < n && lit[i]; i++)
        if (w[i] != lit[i]) return false;
    return i == n && !lit[i];
}

static bool parse_uint(const char *s, size_t n, uint32_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 10) return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 0xffffffffu) return false;
    *out = (uint32_t)v;
    return true;
}

bool cmdline_copy(char *dst, size_t size, const char *s, size_t n)
{
    if (n == 0 || n >= size) return false;
    for (size_t i = 0; i < n; i++) dst[i] = s[i];
    dst[n] = '\0';
    return true;
}

bool cmdline_append(char *dst, size_t size, const char *s, size_t n)
{
    size_t len = 0;
    while (dst[len]) len++;
    if (len + (len > 0) + n + 1 > size) return false;
    if (len) dst[len++] = ' ';
    for (size_t i = 0; i < n; i++) dst[len++] = s[i];
    dst[len] = '\0';
    return true;
}

bool cmdline_size(const char *s, size_t n, uint64_t *out)
{
    uint32_t u;
    if (n < 2 || !parse_uint(s, n - 1, &u))
        return false;
    unsigned shift;
    switch (s[n - 1]) {
    case 'K': case 'k': shift = 10; break;
    case 'M': case 'm': shift = 20; break;
    case 'G': case 'g': shift = 30; break;
    default: return false;
    }
    if ((uint64_t)u > (4ull << 30) >> shift)
        return false;
    *out = (uint64_t)u << shift;
    return true;
}

/* "a,b" with both unsigned */
static bool parse_pair(const char *s, size_t n, uint32_t *a, uint32_t *b)
{
    size_t comma = 0;
    while (comma < n && s[comma] != ',') comma++;
    return comma < n && parse_uint(s, comma, a) && parse_uint(s + comma + 1, n - comma - 1, b);
}

/* One word: key or key=value.  NULL if fine, else why not. */
static const char *apply(struct cmdline *c, const char *k, size_t kn, const char *v, size_t vn, bool has_v)
{
    uint32_t u;
    if (word_eq(k, kn, "nosmp") && !has_v) { c->nosmp = true; return 0; }
    if (word_eq(k, kn, "noacpi") && !has_v) { c->noacpi = true; return 0; }
    if (word_eq(k, kn, "acpidump") && !has_v) { c->acpidump = true; return 0; }
    if (!has_v)
        return "unknown option";
    if (word_eq(k, kn, "smp"))
        return parse_uint(v, vn, &u) && u > 0 ? (c->max_cpus = u, (const char *)0) : "wants a CPU count > 0";
    if (word_eq(k, kn, "capacity")) {
        if (word_eq(v, vn, "all")) { c->capacity = CAPACITY_ALL; return 0; }
        return parse_uint(v, vn, &u) && u > 0 && u != CAPACITY_ALL ? (c->capacity = u, (const char *)0)
                                                                  : "wants all or a CPU count > 0";
    }
    if (word_eq(k, kn, "apsilent"))
        return parse_uint(v, vn, &u) && u < 0xffffffffu ? (c->ap_silent = u + 1, (const char *)0) : "wants an APIC id";
    if (word_eq(k, kn, "panic")) {
        if (word_eq(v, vn, "exit")) { c->panic_exit = true; return 0; }
        if (word_eq(v, vn, "halt")) { c->panic_exit = false; return 0; }
        return "wants exit or halt";
    }
    if (word_eq(k, kn, "ktest"))
        return cmdline_copy(c->ktest, sizeof c->ktest, v, vn) ? 0 : "wants all or test names";
    if (word_eq(k, kn, "stress"))
        return cmdline_copy(c->stress, sizeof c->stress, v, vn) ? 0 : "wants all or case names";
    if (word_eq(k, kn, "duration"))
        return parse_uint(v, vn, &u) && u > 0 ? (c->duration = u, (const char *)0) : "wants seconds > 0";
    if (word_eq(k, kn, "failalloc"))
        return parse_pair(v, vn, &c->failalloc_rate, &c->failalloc_seed) && c->failalloc_rate > 0
               ? 0 : "wants RATE,SEED (fail one allocation in RATE)";
    if (word_eq(k, kn, "monitor"))
        return cmdline_copy(c->monitor_script, sizeof c->monitor_script, v, vn) ? 0
               : vn ? "is too long (at most 255 characters)" : "wants commands separated by ;";
    return "unknown option";
}

/* A registered word, or NULL if none has that key (bare or with a value). */
static const char *apply_registered(const char *k, size_t kn, const char *v, size_t vn, bool has_v, bool *known)
{
    for (const struct cmdline_option *o = __start_cmdline_options; o < __stop_cmdline_options; o++)
        if (word_eq(k, kn, o->key) && o->has_value == has_v) {
            *known = true;
            return o->set(v, vn);
        }
    *known = false;
    return 0;
}

bool cmdline_is(const char *v, size_t n, const char *lit) { return word_eq(v, n, lit); }


int cmdline_parse(const char *s, struct cmdline *out, void (*warn)(const char *word, const char *why))
{
    int bad = 0;

    while (s && *s) {
        while (*s == ' ' || *s == '\t' || *s == '\n') s++;
        const char *w = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n') s++;
        size_t n = s - w;
        if (!n) break;
        size_t eq = 0;
        while (eq < n && w[eq] != '=') eq++;
        bool known;
        const char *v = w + eq + 1;
        size_t vn = eq < n ? n - eq - 1 : 0;
        const char *why = apply_registered(w, eq, v, vn, eq < n, &known);
        if (!known)
            why = apply(out, w, eq, v, vn, eq < n);
        if (why) {
            char word[64];
            size_t m = n < sizeof word - 1 ? n : sizeof word - 1;
            for (size_t i = 0; i < m; i++) word[i] = w[i];
            word[m] = '\0';
            warn(word, why);
            bad++;
        }
    }
    return bad;
}
