/*
 * diffdec: compare host/decode/decode.c with Zydis, instruction by instruction.
 *
 *   diffdec [-a allowlist] [-r count] [-s seed] [-v] [[16:]file.elf ...]
 *   diffdec -p 16|32 hex bytes...        show what both decoders say
 *
 * Corpora: every executable section of each i386 ELF32 file (linear sweep,
 * 32-bit), and `count` random 16-byte strings (biased toward prefixes, the
 * 0F maps, VEX/EVEX and x87) decoded in both 16- and 32-bit mode.
 *
 * Per instruction we compare validity and length, and where both decode it,
 * the displacement and immediate (offset, size, value), the address size
 * and the explicit memory operand (segment, base, index, scale).  Valid
 * instructions are also re-decoded one byte short and must be "truncated"
 * for both.  Each mismatch gets a class key
 *
 *   <mode> <what> <map>:<opcode>[/<reg>] <zydis mnemonic>
 *
 * e.g. "32 ok/invalid 0f01:d8/3 vmrun"; a key matching a glob pattern of
 * the allowlist is counted as allowlisted.  One TAP line per corpus.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "host/decode/decode.h"

/* ---- both decoders' view of one instruction ---------------------------- */

struct view {
    int status;             /* DECODE_* */
    unsigned length;
    ZydisDecodedInstruction zi;
    ZydisDecoderContext zctx;
    struct insn in;
};

static ZydisDecoder zydis16, zydis32;

static void zydis_init(void)
{
    ZydisDecoderInit(&zydis32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    ZydisDecoderInit(&zydis16, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
}

static int zydis_status(ZyanStatus s)
{
    if (ZYAN_SUCCESS(s))
        return DECODE_OK;
    if (s == ZYDIS_STATUS_NO_MORE_DATA)
        return DECODE_TRUNCATED;
    if (s == ZYDIS_STATUS_INSTRUCTION_TOO_LONG)
        return DECODE_TOO_LONG;
    return DECODE_INVALID;
}

static void zydis_decode(int mode, const uint8_t *b, size_t n, struct view *v)
{
    const ZydisDecoder *d = mode == 16 ? &zydis16 : &zydis32;
    ZyanStatus s = ZydisDecoderDecodeInstruction(d, &v->zctx, b, n, &v->zi);
    v->status = zydis_status(s);
    v->length = v->status == DECODE_OK ? v->zi.length : 0;
}

static void peel_decode(int mode, const uint8_t *b, size_t n, struct view *v)
{
    v->status = decode(b, n, mode, &v->in);
    v->length = v->status == DECODE_OK ? v->in.length : 0;
}

/* ---- mismatch classes ------------------------------------------------------ */

struct class {
    char key[128];
    unsigned long count;
    int mode;
    uint8_t example[16];
    unsigned example_len;
    int allowed;
};

#define MAX_CLASSES 32768
static struct class classes[MAX_CLASSES];
static unsigned class_count;

struct allow {
    char pattern[128];
    unsigned long hits;
};
static struct allow allows[256];
static unsigned allow_count;

static void load_allowlist(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f) {
        perror(path);
        exit(2);
    }
    while (fgets(line, sizeof line, f) && allow_count < 256) {
        char *bar = strchr(line, '|');
        if (line[0] == '#' || !bar)
            continue;
        while (bar > line && bar[-1] == ' ')
            bar--;
        *bar = 0;
        size_t len = strlen(line);
        if (len >= sizeof allows[0].pattern)
            len = sizeof allows[0].pattern - 1;
        memcpy(allows[allow_count].pattern, line, len);
        allows[allow_count++].pattern[len] = 0;
    }
    fclose(f);
}

static int allowed(const char *key)
{
    for (unsigned i = 0; i < allow_count; i++)
        if (fnmatch(allows[i].pattern, key, 0) == 0)
            return (int)i + 1;
    return 0;
}

static const char *map_name(const struct insn *in)
{
    static const char *const names[] = { "1", "0f", "0f38", "0f3a", "3dnow", "vex1", "vex2",
                         "vex3", "evex1", "evex2", "evex3", "evex5", "evex6" };
    return in->map < sizeof names / sizeof names[0] ? names[in->map] : "?";
}

static const char *short_status(int s)
{
    switch (s) {
    case DECODE_OK: return "ok";
    case DECODE_TRUNCATED: return "trunc";
    case DECODE_TOO_LONG: return "long";
    }
    return "invalid";
}

static void make_key(char *key, size_t size, int mode, const char *what, const struct view *ours,
             const struct view *theirs)
{
    const struct insn *in = &ours->in;
    char pfx[8] = "", reg[8] = "";
    if (in->map >= MAP_VEX1)
        snprintf(pfx, sizeof pfx, "p%u.", in->vex_pp);
    else if (in->mandatory)
        snprintf(pfx, sizeof pfx, "%02x.", in->mandatory);
    if (in->has_modrm && in->map < MAP_VEX1)
        snprintf(reg, sizeof reg, "/%u", in->reg);
    const char *mn = theirs->status == DECODE_OK ? ZydisMnemonicGetString(theirs->zi.mnemonic) : "-";
    snprintf(key, size, "%d %s %s%s:%02x%s %s", mode, what, pfx, map_name(in), in->opcode, reg,
         mn ? mn : "?");
}

#define HASH_SIZE 65536 /* 2 * MAX_CLASSES: open addressing stays short */
static int32_t class_hash[HASH_SIZE];   /* class index + 1, 0 = empty */

static unsigned hash_key(const char *key)
{
    unsigned h = 2166136261u;       /* FNV-1a */
    while (*key)
        h = (h ^ (uint8_t)*key++) * 16777619u;
    return h;
}

static int record(const char *key, int mode, const uint8_t *b, size_t n)
{
    unsigned slot = hash_key(key) % HASH_SIZE, i;
    while (class_hash[slot] && strcmp(classes[class_hash[slot] - 1].key, key) != 0)
        slot = (slot + 1) % HASH_SIZE;
    i = class_hash[slot] ? (unsigned)class_hash[slot] - 1 : class_count;
    if (i == class_count) {
        if (class_count < MAX_CLASSES)
            class_hash[slot] = (int32_t)(class_count + 1);
        if (class_count == MAX_CLASSES) {
            classes[MAX_CLASSES - 1].count++;       /* lump the tail together */
            return classes[MAX_CLASSES - 1].allowed;
        }
        class_count++;
        struct class *c = &classes[i];
        snprintf(c->key, sizeof c->key, "%s", key);
        c->mode = mode;
        c->example_len = n < 16 ? (unsigned)n : 16;
        memcpy(c->example, b, c->example_len);
        c->allowed = allowed(key);
    }
    classes[i].count++;
    return classes[i].allowed;
}

/* ---- comparison -------------------------------------------------------------- */

struct tally {
    unsigned long compared, mismatches, allowlisted;
};

static ZydisRegister zydis_gpr(uint8_t reg, unsigned size)
{
    if (reg == REG_NONE)
        return ZYDIS_REGISTER_NONE;
    return (ZydisRegister)((size == 16 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_EAX) + reg);
}

static ZydisRegister zydis_seg(uint8_t seg)
{
    return (ZydisRegister)(ZYDIS_REGISTER_ES + seg);
}

/* Which field differs, or NULL.  Only called when both decoded it. */
static const char *field_mismatch(int mode, const struct view *ours, struct view *theirs)
{
    const struct insn *in = &ours->in;
    const ZydisDecodedInstruction *zi = &theirs->zi;
    if (in->disp_size * 8u != zi->raw.disp.size)
        return "disp-size";
    if (in->disp_size && (in->disp_offset != zi->raw.disp.offset || in->mem.disp != zi->raw.disp.value))
        return "disp";
    if (in->map < MAP_VEX1 && in->map != MAP_3DNOW && in->imm_size) {
        if (in->imm_size * 8u != zi->raw.imm[0].size || in->imm_offset != zi->raw.imm[0].offset)
            return "imm";
        if (zi->raw.imm[0].is_relative && in->rel != (int32_t)zi->raw.imm[0].value.s)
            return "rel";
    }
    if (in->addr_size != zi->address_width && in->has_mem)
        return "addr-size";
    if (!in->has_mem || in->map >= MAP_VEX1 || in->cls == INSN_MOVS || in->cls == INSN_STOS ||
        in->cls == INSN_LODS || in->cls == INSN_CMPS || in->cls == INSN_SCAS ||
        in->cls == INSN_INS || in->cls == INSN_OUTS)
        return NULL;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    const ZydisDecoder *d = mode == 16 ? &zydis16 : &zydis32;
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeOperands(d, &theirs->zctx, zi, ops, zi->operand_count)))
        return "zydis-operands";
    for (unsigned i = 0; i < zi->operand_count_visible; i++) {
        const ZydisDecodedOperandMem *m = &ops[i].mem;
        if (ops[i].type != ZYDIS_OPERAND_TYPE_MEMORY || ops[i].visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
            continue;
        if (m->type == ZYDIS_MEMOP_TYPE_AGEN)
            return NULL;    /* LEA, BNDCL...: no access, Zydis reports no segment */
        if (m->type == ZYDIS_MEMOP_TYPE_MIB)
            return NULL;    /* MPX BNDLDX/BNDSTX: index is not scaled */
        if (m->segment != zydis_seg(in->mem.seg))
            return "mem-seg";
        if (m->base != zydis_gpr(in->mem.base, in->addr_size))
            return "mem-base";
        if (m->index != zydis_gpr(in->mem.index, in->addr_size))
            return "mem-index";
        if (in->mem.index != REG_NONE && m->scale != in->mem.scale)
            return "mem-scale";
        return NULL;
    }
    return "mem-missing";
}

/* Compare one instruction; returns the length to advance in a sweep. */
static unsigned compare(int mode, const uint8_t *b, size_t n, struct tally *t)
{
    struct view ours, theirs;
    char what[40], key[128];
    const char *field = NULL;
    peel_decode(mode, b, n, &ours);
    zydis_decode(mode, b, n, &theirs);
    t->compared++;
    if (ours.status != theirs.status)
        snprintf(what, sizeof what, "%s/%s", short_status(ours.status), short_status(theirs.status));
    else if (ours.length != theirs.length)
        snprintf(what, sizeof what, "len%u/len%u", ours.length, theirs.length);
    else if (ours.status == DECODE_OK && (field = field_mismatch(mode, &ours, &theirs)))
        snprintf(what, sizeof what, "field-%s", field);
    else if (ours.status == DECODE_OK && ours.length > 1) {
        /* one byte short must be "truncated" for both */
        struct view a, z;
        peel_decode(mode, b, ours.length - 1, &a);
        zydis_decode(mode, b, ours.length - 1, &z);
        if (a.status == DECODE_TRUNCATED && z.status == DECODE_TRUNCATED)
            return ours.length;
        snprintf(what, sizeof what, "short-%s/%s", short_status(a.status), short_status(z.status));
    } else
        return ours.status == DECODE_OK ? ours.length : 1;
    make_key(key, sizeof key, mode, what, &ours, &theirs);
    if (record(key, mode, b, n))
        t->allowlisted++;
    t->mismatches++;
    return theirs.status == DECODE_OK ? theirs.length : 1;
}

/* ---- corpora ---------------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = buf ? (size_t)n : 0;
    return buf;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Linear sweep over every SHF_EXECINSTR section of an i386 ELF32 file
 * ("16:file" sweeps it as 16-bit code, for .code16 objects). */
static int sweep_elf(const char *path, int mode, struct tally *t)
{
    size_t size;
    uint8_t *f = read_file(path, &size);
    if (!f || size < 52 || memcmp(f, "\177ELF", 4) || f[4] != 1 || le16(f + 18) != 3) {
        free(f);
        return -1;      /* not an i386 ELF32 file */
    }
    uint32_t shoff = le32(f + 32);
    unsigned shentsize = le16(f + 46), shnum = le16(f + 48);
    for (unsigned i = 0; i < shnum; i++) {
        const uint8_t *sh = f + shoff + i * shentsize;
        if (shoff + (i + 1) * (size_t)shentsize > size)
            break;
        uint32_t type = le32(sh + 4), flags = le32(sh + 8), off = le32(sh + 16), len = le32(sh + 20);
        if (type != 1 || !(flags & 4) || off > size || len > size - off)
            continue;       /* SHT_PROGBITS with SHF_EXECINSTR only */
        for (uint32_t pos = 0; pos < len;)
            pos += compare(mode, f + off + pos, len - pos, t);
    }
    free(f);
    return 0;
}

static uint64_t rng_state;

static uint32_t rng(void)
{
    /* xorshift64*: fixed seed, same corpus on every run */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static unsigned put_prefixes(uint8_t *b, unsigned max)
{
    static const uint8_t prefixes[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e,
                        0x64, 0x65, 0x66, 0xf2, 0xf3 };
    unsigned n = rng() % (max + 1);
    for (unsigned i = 0; i < n; i++)
        b[i] = prefixes[rng() % sizeof prefixes];
    return n;
}

/* A random string whose first bytes are steered toward an interesting map. */
static void random_string(uint8_t b[16])
{
    for (unsigned i = 0; i < 16; i++)
        b[i] = (uint8_t)rng();
    unsigned pos = 0, kind = rng() % 10;
    if (kind >= 2)
        pos = put_prefixes(b, kind == 2 ? 14 : 2);
    switch (kind) {
    case 4: case 5: /* 0F map */
        b[pos] = 0x0f;
        break;
    case 6:         /* 0F 38 / 0F 3A */
        b[pos] = 0x0f;
        b[pos + 1] = rng() & 1 ? 0x38 : 0x3a;
        break;
    case 7:         /* VEX / EVEX / XOP, mostly with mod = 11 */
        b[pos] = (const uint8_t[]){ 0xc4, 0xc5, 0x62, 0x8f }[rng() % 4];
        if (rng() % 4)
            b[pos + 1] |= 0xc0;
        break;
    case 8:         /* x87 */
        b[pos] = (uint8_t)(0xd8 + rng() % 8);
        break;
    case 9:         /* 0F 01 / 0F 00 / 0F AE / 0F C7 groups */
        b[pos] = 0x0f;
        b[pos + 1] = (const uint8_t[]){ 0x00, 0x01, 0xae, 0xc7, 0x0f, 0x18, 0x0d, 0x1e }[rng() % 8];
        break;
    }
}

static void sweep_random(unsigned long count, int mode, struct tally *t)
{
    uint8_t b[16];
    for (unsigned long i = 0; i < count; i++) {
        random_string(b);
        compare(mode, b, sizeof b, t);
    }
}

/*
 * Every opcode of every map with every ModRM byte, behind each of a few
 * prefix sequences: the tables are checked cell by cell, not by chance.
 */
static void sweep_opcode_space(int mode, struct tally *t)
{
    static const char *const prefixes[] = { "", "\x66", "\xf3", "\xf2", "\x67", "\xf0",
                        "\x66\xf3", "\xf2\x66", "\xf0\x66" };
    static const char *const maps[] = { "", "\x0f", "\x0f\x38", "\x0f\x3a" };
    for (unsigned p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++)
        for (unsigned m = 0; m < sizeof maps / sizeof maps[0]; m++)
            for (unsigned op = 0; op < 256; op++)
                for (unsigned modrm = 0; modrm < 256; modrm++) {
                    uint8_t b[16];
                    size_t n = strlen(prefixes[p]), k = strlen(maps[m]);
                    memcpy(b, prefixes[p], n);
                    memcpy(b + n, maps[m], k);
                    b[n + k] = (uint8_t)op;
                    b[n + k + 1] = (uint8_t)modrm;
                    for (size_t i = n + k + 2; i < sizeof b; i++)
                        b[i] = (uint8_t)(0x11 * i + op);
                    compare(mode, b, sizeof b, t);
                }
}

/* VEX: every map, pp, L and W with every opcode and ModRM (vvvv = 1111). */
static void sweep_vex_space(int mode, struct tally *t)
{
    for (unsigned map = 1; map <= 3; map++)
        for (unsigned wlpp = 0; wlpp < 16; wlpp++)
            for (unsigned op = 0; op < 256; op++)
                for (unsigned modrm = 0; modrm < 256; modrm++) {
                    uint8_t b[16] = { 0xc4, (uint8_t)(0xe0 | map),
                              (uint8_t)((wlpp & 8) << 4 | 0x78 | (wlpp & 7)),
                              (uint8_t)op, (uint8_t)modrm };
                    for (size_t i = 5; i < sizeof b; i++)
                        b[i] = (uint8_t)(0x11 * i + op);
                    compare(mode, b, sizeof b, t);
                }
}

/* ---- reporting ---------------------------------------------------------------- */

static int by_count(const void *a, const void *b)
{
    const struct class *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->key, y->key);
}

static void print_example(const struct class *c)
{
    printf("#   %-60s %8lu  ", c->key, c->count);
    for (unsigned i = 0; i < c->example_len; i++)
        printf("%02x", c->example[i]);
    printf("%s\n", c->allowed ? "  (allowlisted)" : "");
}

static void report(int verbose, unsigned long *classes_allowed)
{
    qsort(classes, class_count, sizeof classes[0], by_count);
    unsigned printed = 0;
    *classes_allowed = 0;
    for (unsigned i = 0; i < class_count; i++) {
        if (classes[i].allowed) {
            allows[classes[i].allowed - 1].hits += classes[i].count;
            continue;
        }
        if (verbose || printed++ < 200)
            print_example(&classes[i]);
    }
    for (unsigned i = 0; i < allow_count; i++)
        if (allows[i].hits)
            ++*classes_allowed;
    if (verbose)
        for (unsigned i = 0; i < class_count; i++)
            if (classes[i].allowed)
                print_example(&classes[i]);
}

static int tap(const char *name, const struct tally *t, struct tally *total)
{
    int ok = t->mismatches == t->allowlisted;
    printf("%sok - %s: %lu compared, %lu mismatches (%lu allowlisted)\n", ok ? "" : "not ",
           name, t->compared, t->mismatches, t->allowlisted);
    total->compared += t->compared;
    total->mismatches += t->mismatches;
    total->allowlisted += t->allowlisted;
    return ok;
}

/* ---- probe mode ---------------------------------------------------------------- */

static int probe(int mode, int argc, char **argv)
{
    uint8_t b[16] = { 0 };
    size_t n = 0;
    for (int i = 0; i < argc && n < sizeof b; i++)
        for (const char *p = argv[i]; p[0] && p[1] && n < sizeof b; p += 2)
            sscanf(p, "%2hhx", &b[n++]);
    struct view ours, theirs;
    peel_decode(mode, b, n, &ours);
    zydis_decode(mode, b, n, &theirs);
    printf("peel:  %-9s len %u map %s op %02x class %s\n", decode_status_name(ours.status),
           ours.length, map_name(&ours.in), ours.in.opcode, insn_class_name(ours.in.cls));
    printf("zydis: %-9s len %u %s\n", decode_status_name(theirs.status), theirs.length,
           theirs.status == DECODE_OK ? ZydisMnemonicGetString(theirs.zi.mnemonic) : "");
    return ours.status == theirs.status && ours.length == theirs.length ? 0 : 1;
}

int main(int argc, char **argv)
{
    unsigned long count = 1000000;
    int verbose = 0, opt;
    rng_state = 0x5065656c5065656cull;      /* "PeelPeel" */
    zydis_init();
    if (argc > 2 && strcmp(argv[1], "-p") == 0)
        return probe(atoi(argv[2]), argc - 3, argv + 3);
    for (opt = 1; opt < argc && argv[opt][0] == '-'; opt++) {
        if (strcmp(argv[opt], "-v") == 0)
            verbose = 1;
        else if (opt + 1 < argc && strcmp(argv[opt], "-a") == 0)
            load_allowlist(argv[++opt]);
        else if (opt + 1 < argc && strcmp(argv[opt], "-r") == 0)
            count = strtoul(argv[++opt], NULL, 0);
        else if (opt + 1 < argc && strcmp(argv[opt], "-s") == 0)
            rng_state = strtoull(argv[++opt], NULL, 0) | 1;
        else {
            fprintf(stderr, "usage: diffdec [-a allowlist] [-r count] [-s seed] [-v] [elf...]\n"
                    "       diffdec -p 16|32 hexbytes...\n");
            return 2;
        }
    }
    struct tally total = { 0 };
    int all_ok = 1;
    for (; opt < argc; opt++) {
        struct tally t = { 0 };
        char name[300];
        int mode = strncmp(argv[opt], "16:", 3) == 0 ? 16 : 32;
        if (sweep_elf(argv[opt] + (mode == 16 ? 3 : 0), mode, &t) != 0)
            continue;
        snprintf(name, sizeof name, "elf%d %s", mode, argv[opt] + (mode == 16 ? 3 : 0));
        all_ok &= tap(name, &t, &total);
    }
    for (int mode = 32; mode >= 16; mode -= 16) {
        struct tally t = { 0 }, v = { 0 };
        char name[64];
        sweep_opcode_space(mode, &t);
        snprintf(name, sizeof name, "opcode space %d-bit", mode);
        all_ok &= tap(name, &t, &total);
        sweep_vex_space(mode, &v);
        snprintf(name, sizeof name, "vex space %d-bit", mode);
        all_ok &= tap(name, &v, &total);
        t = (struct tally){ 0 };
        sweep_random(count, mode, &t);
        snprintf(name, sizeof name, "random %d-bit (%lu strings)", mode, count);
        all_ok &= tap(name, &t, &total);
    }
    unsigned long classes_allowed;
    report(verbose, &classes_allowed);
    printf("# %lu instructions compared, %lu mismatches (%lu allowlisted, %lu allowlist classes used)\n",
           total.compared, total.mismatches, total.allowlisted, classes_allowed);
    return all_ok ? 0 : 1;
}
