/* cmdline: words of the form key=value.  Both GRUB and QEMU put the image
 * path in front of the options, so a first word without '=' is skipped;
 * any other word that is not a known option is an error, reported before
 * the kernel touches the disk. */
#include "boot.h"
#include "console.h"
#include "klib.h"

struct option {
    const char *key;
    uint32_t min, max;
    uint32_t *value;
};

static int parse_u32(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_mode(const char *val, size_t n, struct classic_config *cfg)
{
    if (n == 3 && !strncmp(val, "run", 3))
        cfg->fsck_only = 0;
    else if (n == 4 && !strncmp(val, "fsck", 4))
        cfg->fsck_only = 1;
    else {
        console_printf("cmdline: bad value for mode: '%s' (expected run or fsck)\n", val);
        return -1;
    }
    return 0;
}

/* One key=value word, s[0..n). */
static int parse_word(const char *s, size_t n, struct classic_config *cfg)
{
    char word[64];
    ksnprintf(word, sizeof word, "%s", s);
    if (n < sizeof word)
        word[n] = 0;
    const struct option opts[] = {
        { "workers", 1, 32, &cfg->workers },
        { "requests", 1, 4096, &cfg->requests },
        { "hz", 20, 1000, &cfg->hz },
        { "watchdog", 1, 86400, &cfg->watchdog },
    };
    char *eq = word;
    while (*eq && *eq != '=')
        eq++;
    if (!*eq) {
        console_printf("cmdline: unknown option '%s' (expected key=value)\n", word);
        return -1;
    }
    *eq = 0;
    const char *val = eq + 1;
    size_t vlen = strlen(val);
    if (!strcmp(word, "mode"))
        return parse_mode(val, vlen, cfg);
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        if (strcmp(word, opts[i].key))
            continue;
        uint32_t v;
        if (parse_u32(val, vlen, &v) || v < opts[i].min || v > opts[i].max) {
            console_printf("cmdline: bad value for %s: '%s' (expected %u..%u)\n", word, val,
                           opts[i].min, opts[i].max);
            return -1;
        }
        *opts[i].value = v;
        return 0;
    }
    console_printf("cmdline: unknown option '%s'\n", word);
    return -1;
}

API __init int cmdline_parse(const char *line, struct classic_config *cfg)
{
    int first = 1, errors = 0;
    cfg->workers = 8;
    cfg->requests = 64;
    cfg->hz = 100;
    cfg->watchdog = 0;              /* automatic, see boot.c */
    cfg->fsck_only = 0;
    while (*line) {
        while (*line == ' ' || *line == '\t')
            line++;
        size_t n = 0;
        int has_eq = 0;
        for (; line[n] && line[n] != ' ' && line[n] != '\t'; n++)
            has_eq |= line[n] == '=';
        if (n && !(first && !has_eq) && parse_word(line, n, cfg))
            errors++;
        if (n)
            first = 0;
        line += n;
    }
    return errors ? -1 : 0;
}
