#include "smp/acpi.h"

/* ACPI 6.x, 5.2.5.3 (RSDP), 5.2.6 (header), 5.12 (MADT). */
struct rsdp {
    char sig[8];
    uint8_t checksum;
    char oem[6];
    uint8_t revision;
    uint32_t rsdt;
    uint32_t length;                /* revision >= 2 from here on */
    uint64_t xsdt;
    uint8_t xchecksum;
    uint8_t reserved[3];
} __attribute__((packed));

struct sdt {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

struct madt {
    struct sdt h;
    uint32_t lapic_addr, flags;
} __attribute__((packed));

enum { MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_ADDR = 5, MADT_X2APIC = 9 };

bool acpi_checksum_ok(const void *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) sum += ((const uint8_t *)p)[i];
    return sum == 0;
}

static bool sig_is(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) if (a[i] != b[i]) return false;
    return true;
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* Map a whole table: the header first, to learn its length. */
static const struct sdt *map_table(uint64_t phys, acpi_map_t map, void *ctx)
{
    const struct sdt *h = map(phys, sizeof *h, ctx);
    if (!h || h->length < sizeof *h || h->length > (1u << 20))
        return 0;
    h = map(phys, h->length, ctx);
    return h && acpi_checksum_ok(h, h->length) ? h : 0;
}

static void add_cpu(struct acpi_info *out, uint32_t apic_id, uint32_t flags)
{
    /* flags bit 0: enabled; bit 1: online capable (may be hot-added later) */
    if (!(flags & 1) || out->ncpus == ACPI_MAX_CPUS) {
        out->skipped_cpus++;
        return;
    }
    out->apic_ids[out->ncpus++] = apic_id;
}

static const char *parse_madt(const struct madt *m, struct acpi_info *out)
{
    if (m->h.length < sizeof *m)
        return "MADT shorter than its fixed part";
    out->lapic_addr = m->lapic_addr;
    out->pcat_compat = m->flags & 1;
    const uint8_t *p = (const uint8_t *)(m + 1), *end = (const uint8_t *)m + m->h.length;
    while (p + 2 <= end) {
        uint8_t type = p[0], len = p[1];
        if (len < 2 || p + len > end)
            return "MADT entry runs past the table";
        if (type == MADT_LAPIC && len >= 8)
            add_cpu(out, p[3], rd32(p + 4));
        else if (type == MADT_X2APIC && len >= 16)
            add_cpu(out, rd32(p + 4), rd32(p + 8));
        else if (type == MADT_IOAPIC && len >= 12 && out->nioapics < ACPI_MAX_IOAPICS)
            out->ioapics[out->nioapics++] = (struct acpi_ioapic){ p[2], rd32(p + 4), rd32(p + 8) };
        else if (type == MADT_ISO && len >= 10 && out->nisos < ACPI_MAX_ISOS)
            out->isos[out->nisos++] = (struct acpi_iso){ p[3], rd32(p + 4), (uint16_t)(p[8] | p[9] << 8) };
        else if (type == MADT_LAPIC_ADDR && len >= 12)
            out->lapic_addr = rd64(p + 4);
        p += len;
    }
    return out->ncpus ? 0 : "MADT lists no enabled processor";
}

const char *acpi_parse(const void *rsdp_bytes, size_t rsdp_len, acpi_map_t map, void *ctx,
                       struct acpi_info *out)
{
    *out = (struct acpi_info){ 0 };
    const struct rsdp *r = rsdp_bytes;
    if (!r || rsdp_len < 20 || !sig_is(r->sig, "RSD PTR ", 8))
        return "no RSDP signature";
    if (!acpi_checksum_ok(r, 20))
        return "RSDP checksum is wrong";
    bool use_xsdt = r->revision >= 2 && rsdp_len >= sizeof *r && r->xsdt &&
                    acpi_checksum_ok(r, r->length < rsdp_len ? r->length : rsdp_len);
    const struct sdt *root = map_table(use_xsdt ? r->xsdt : r->rsdt, map, ctx);
    if (!root)
        return use_xsdt ? "XSDT unreadable or its checksum is wrong" : "RSDT unreadable or its checksum is wrong";
    if (!sig_is(root->sig, use_xsdt ? "XSDT" : "RSDT", 4))
        return "root table has the wrong signature";
    size_t width = use_xsdt ? 8 : 4;
    size_t n = (root->length - sizeof *root) / width;
    const uint8_t *entries = (const uint8_t *)(root + 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t phys = width == 8 ? rd64(entries + i * 8) : rd32(entries + i * 4);
        const struct sdt *t = map_table(phys, map, ctx);
        if (t && sig_is(t->sig, "APIC", 4))
            return parse_madt((const struct madt *)t, out);
    }
    return "no MADT (APIC table) among the ACPI tables";
}
