/* ACPI parsing against table images taken from QEMU (tests/data, made by
 * tests/data/capture-acpi.sh) and against damaged copies of them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "smp/acpi.h"

struct table { uint64_t phys; size_t len; uint8_t *bytes; };
struct image { uint8_t rsdp[64]; size_t rsdp_len; struct table t[16]; size_t n; };

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;
    for (; hex[0] && hex[1] && hex[0] != '\n' && n < max; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = v;
    }
    return n;
}

static void load(struct image *img, const char *name)
{
    char path[256], line[65536], hex[65536];
    snprintf(path, sizeof path, "tests/data/%s", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    memset(img, 0, sizeof *img);
    while (fgets(line, sizeof line, f)) {
        char key[32];
        size_t len;
        if (sscanf(line, "%31s %zu %65535s", key, &len, hex) != 3)
            continue;
        if (!strcmp(key, "RSDP")) {
            img->rsdp_len = unhex(hex, img->rsdp, sizeof img->rsdp);
            continue;
        }
        struct table *t = &img->t[img->n++];
        t->phys = strtoull(key, 0, 16);
        t->bytes = malloc(len);
        t->len = unhex(hex, t->bytes, len);
    }
    fclose(f);
}

static void unload(struct image *img)
{
    for (size_t i = 0; i < img->n; i++) free(img->t[i].bytes);
}

static const void *map(uint64_t phys, size_t len, void *ctx)
{
    struct image *img = ctx;
    for (size_t i = 0; i < img->n; i++) {
        struct table *t = &img->t[i];
        if (phys >= t->phys && phys + len <= t->phys + t->len)
            return t->bytes + (phys - t->phys);
    }
    return NULL;
}

static struct table *find(struct image *img, const char *sig)
{
    for (size_t i = 0; i < img->n; i++)
        if (!memcmp(img->t[i].bytes, sig, 4)) return &img->t[i];
    return NULL;
}

static void fix_checksum(uint8_t *p, size_t len, size_t at)
{
    uint8_t sum = 0;
    p[at] = 0;
    for (size_t i = 0; i < len; i++) sum += p[i];
    p[at] = -sum;
}

static void qemu_smp8(void **state)
{
    (void)state;
    struct image img;
    struct acpi_info info;
    load(&img, "acpi-qemu-smp8.txt");
    assert_null(acpi_parse(img.rsdp, img.rsdp_len, map, &img, &info));
    assert_int_equal(info.ncpus, 8);
    for (unsigned i = 0; i < 8; i++) assert_int_equal(info.apic_ids[i], i);
    assert_int_equal(info.lapic_addr, 0xfee00000);
    assert_int_equal(info.nioapics, 1);
    assert_int_equal(info.ioapics[0].addr, 0xfec00000);
    assert_int_equal(info.ioapics[0].gsi_base, 0);
    assert_true(info.pcat_compat);
    int irq0_to_2 = 0;
    for (unsigned i = 0; i < info.nisos; i++)
        irq0_to_2 |= info.isos[i].source == 0 && info.isos[i].gsi == 2;
    assert_true(irq0_to_2);                 /* QEMU wires the PIT to GSI 2 */
    unload(&img);
}

static void qemu_smp1(void **state)
{
    (void)state;
    struct image img;
    struct acpi_info info;
    load(&img, "acpi-qemu-smp1.txt");
    assert_null(acpi_parse(img.rsdp, img.rsdp_len, map, &img, &info));
    assert_int_equal(info.ncpus, 1);
    unload(&img);
}

static void bad_rsdp_signature(void **state)
{
    (void)state;
    struct image img;
    struct acpi_info info;
    load(&img, "acpi-qemu-smp8.txt");
    img.rsdp[0] = 'X';
    assert_string_equal(acpi_parse(img.rsdp, img.rsdp_len, map, &img, &info), "no RSDP signature");
    unload(&img);
}

static void bad_rsdp_checksum(void **state)
{
    (void)state;
    struct image img;
    struct acpi_info info;
    load(&img, "acpi-qemu-smp8.txt");
    img.rsdp[8]++;
    assert_string_equal(acpi_parse(img.rsdp, img.rsdp_len, map, &img, &info), "RSDP checksum is wrong");
    unload(&img);
}

static void bad_rsdt_checksum(void **state)
{
    (void)state;
    struct image img;
    struct acpi_info info;
    load(&img, "acpi-qemu-smp8.txt");
    find(&img, "RSDT")->bytes[10]++;
    assert_non_null(strstr(acpi_parse(img.rsdp, img.rsdp_len, map, &img, &info), "RSDT"));
    unload(&img);
}

static void no_madt(void **state)
{
    (void)state;
    struct image img;
    struct acpi_info info;
    load(&img, "acpi-qemu-smp8.txt");
    memcpy(find(&img, "APIC")->bytes, "XXXX", 4);     /* signature gone */
    assert_string_equal(acpi_parse(img.rsdp, img.rsdp_len, map, &img, &info),
                        "no MADT (APIC table) among the ACPI tables");
    unload(&img);
}

static void madt_entry_overruns(void **state)
{
    (void)state;
    struct image img;
    struct acpi_info info;
    load(&img, "acpi-qemu-smp8.txt");
    struct table *m = find(&img, "APIC");
    m->bytes[44 + 1] = 0xff;                          /* first entry claims 255 bytes */
    fix_checksum(m->bytes, m->len, 9);
    assert_string_equal(acpi_parse(img.rsdp, img.rsdp_len, map, &img, &info),
                        "MADT entry runs past the table");
    unload(&img);
}

static void madt_disabled_cpu_skipped(void **state)
{
    (void)state;
    struct image img;
    struct acpi_info info;
    load(&img, "acpi-qemu-smp8.txt");
    struct table *m = find(&img, "APIC");
    size_t off = 44;
    int cleared = 0;
    while (off + 2 <= m->len && !cleared) {           /* the second processor entry */
        if (m->bytes[off] == 0 && m->bytes[off + 3] == 1) { m->bytes[off + 4] &= ~1; cleared = 1; }
        off += m->bytes[off + 1];
    }
    assert_true(cleared);
    fix_checksum(m->bytes, m->len, 9);
    assert_null(acpi_parse(img.rsdp, img.rsdp_len, map, &img, &info));
    assert_int_equal(info.ncpus, 7);
    assert_int_equal(info.skipped_cpus, 1);
    unload(&img);
}

static void unmappable_tables(void **state)
{
    (void)state;
    struct image img;
    struct acpi_info info;
    load(&img, "acpi-qemu-smp8.txt");
    size_t n = img.n;
    img.n = 0;                                        /* nothing reachable */
    assert_non_null(acpi_parse(img.rsdp, img.rsdp_len, map, &img, &info));
    img.n = n;
    unload(&img);
}

/* ACPI 2.0: an XSDT with 64-bit pointers to the same tables. */
static void xsdt_path(void **state)
{
    (void)state;
    struct image img;
    struct acpi_info info;
    load(&img, "acpi-qemu-smp8.txt");
    struct table *rsdt = find(&img, "RSDT");
    size_t n = (rsdt->len - 36) / 4;
    struct table *x = &img.t[img.n++];
    x->phys = 0x100000;
    x->len = 36 + 8 * n;
    x->bytes = calloc(1, x->len);
    memcpy(x->bytes, rsdt->bytes, 36);
    memcpy(x->bytes, "XSDT", 4);
    memcpy(x->bytes + 4, &(uint32_t){ (uint32_t)x->len }, 4);
    for (size_t i = 0; i < n; i++) {
        uint64_t p = 0;
        memcpy(&p, rsdt->bytes + 36 + 4 * i, 4);
        memcpy(x->bytes + 36 + 8 * i, &p, 8);
    }
    fix_checksum(x->bytes, x->len, 9);
    memcpy(rsdt->bytes, "JUNK", 4);                   /* must not be used */
    img.rsdp[15] = 2;                                 /* revision */
    memcpy(img.rsdp + 20, &(uint32_t){ 36 }, 4);
    memcpy(img.rsdp + 24, &x->phys, 8);
    img.rsdp_len = 36;
    fix_checksum(img.rsdp, 20, 8);
    fix_checksum(img.rsdp, 36, 32);
    assert_null(acpi_parse(img.rsdp, img.rsdp_len, map, &img, &info));
    assert_int_equal(info.ncpus, 8);
    unload(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(qemu_smp8),
        cmocka_unit_test(qemu_smp1),
        cmocka_unit_test(bad_rsdp_signature),
        cmocka_unit_test(bad_rsdp_checksum),
        cmocka_unit_test(bad_rsdt_checksum),
        cmocka_unit_test(no_madt),
        cmocka_unit_test(madt_entry_overruns),
        cmocka_unit_test(madt_disabled_cpu_skipped),
        cmocka_unit_test(unmappable_tables),
        cmocka_unit_test(xsdt_path),
    };
    return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
