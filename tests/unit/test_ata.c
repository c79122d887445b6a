/* Unit tests for the ATA PIO model, driven like a polling/IRQ disk driver. */
#include <stdlib.h>
#include "tests/unit/dev_harness.h"
#include "host/dev/ata.h"
#include "host/dev/ports.h"

#define SECTORS 64

static struct ata ata;
static struct ports io;
static struct irq_log irqs;
static uint8_t *disk;

static void outb(uint16_t port, uint8_t val) { ports_out(&io, port, 1, val, 0); }
static uint8_t inb(uint16_t port) { return (uint8_t)ports_in(&io, port, 1, 0); }

static uint8_t pattern(uint32_t lba, uint32_t i) { return (uint8_t)(lba * 7 + i * 13 + (i >> 8)); }

static int setup(void **state)
{
    (void)state;
    memset(&irqs, 0, sizeof irqs);
    disk = malloc(SECTORS * ATA_SECTOR);
    for (uint32_t s = 0; s < SECTORS; s++)
        for (uint32_t i = 0; i < ATA_SECTOR; i++)
            disk[s * ATA_SECTOR + i] = pattern(s, i);
    ports_init(&io);
    ata_init(&ata, (struct vdev_irq){ irq_log_set, &irqs }, 14, disk, SECTORS * ATA_SECTOR);
    assert_true(ata_attach(&ata, &io, 0x1F0, 0x3F6));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(disk);
    return 0;
}

static void lba28(uint32_t lba, uint8_t count)
{
    outb(0x1F6, (uint8_t)(0xE0 | (lba >> 24)));
    outb(0x1F2, count);
    outb(0x1F3, (uint8_t)lba);
    outb(0x1F4, (uint8_t)(lba >> 8));
    outb(0x1F5, (uint8_t)(lba >> 16));
}

static void test_identify(void **state)
{
    uint16_t id[256];
    char model[41];
    uint8_t sum = 0;
    (void)state;
    outb(0x1F6, 0xA0);
    outb(0x1F7, 0xEC);
    assert_int_equal(irqs.level[14], 1);
    assert_int_equal(inb(0x1F7), 0x58);     /* DRDY DSC DRQ */
    assert_int_equal(irqs.level[14], 0);
    ports_ins(&io, 0x1F0, 2, id, 256, 0);
    assert_int_equal(inb(0x1F7), 0x50);
    for (int i = 0; i < 20; i++) {          /* first character in the high byte */
        model[2 * i] = (char)(id[27 + i] >> 8);
        model[2 * i + 1] = (char)id[27 + i];
    }
    model[40] = 0;
    assert_string_equal(model, "PEEL VIRTUAL DISK                       ");
    assert_int_equal(id[49] & 0x0200, 0x0200);
    assert_int_equal(id[60] | id[61] << 16, SECTORS);
    assert_int_equal(id[47] & 0xFF, ATA_MAX_MULTIPLE);
    assert_int_equal(id[255] & 0xFF, 0xA5);
    for (int i = 0; i < 256; i++)
        sum = (uint8_t)(sum + (id[i] & 0xFF) + (id[i] >> 8));
    assert_int_equal(sum, 0);
    assert_int_equal(irqs.rises[14], 1);
}

static void test_read_three_sectors(void **state)
{
    uint8_t buf[ATA_SECTOR];
    (void)state;
    lba28(5, 3);
    outb(0x1F7, 0x20);
    for (uint32_t s = 0; s < 3; s++) {
        assert_int_equal(irqs.rises[14], s + 1);        /* one per DRQ block */
        assert_int_equal(inb(0x1F7), 0x58);             /* clears the IRQ */
        assert_int_equal(irqs.level[14], 0);
        ports_ins(&io, 0x1F0, 2, buf, 256, 0);          /* rep insw */
        for (uint32_t i = 0; i < ATA_SECTOR; i++)
            assert_int_equal(buf[i], pattern(5 + s, i));
    }
    assert_int_equal(irqs.rises[14], 3);    /* no interrupt after the last block */
    assert_int_equal(inb(0x3F6), 0x50);
    assert_int_equal(inb(0x1F3), 7);        /* registers name the last sector */
    assert_int_equal(ata.sectors_read, 3);
}

static void test_write_then_read_back(void **state)
{
    uint8_t out[2 * ATA_SECTOR], in[2 * ATA_SECTOR];
    (void)state;
    for (uint32_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(i ^ 0x5A);
    lba28(10, 2);
    outb(0x1F7, 0x30);
    assert_int_equal(inb(0x3F6), 0x58);
    assert_int_equal(irqs.rises[14], 0);    /* data-out: first block without IRQ */
    ports_outs(&io, 0x1F0, 2, out, 256, 0);
    assert_int_equal(irqs.rises[14], 1);
    assert_int_equal(inb(0x1F7), 0x58);     /* next block requested */
    ports_outs(&io, 0x1F0, 2, out + ATA_SECTOR, 256, 0);
    assert_int_equal(irqs.rises[14], 2);
    assert_int_equal(inb(0x1F7), 0x50);
    assert_memory_equal(disk + 10 * ATA_SECTOR, out, sizeof out);
    lba28(10, 2);
    outb(0x1F7, 0x20);
    inb(0x1F7);
    ports_ins(&io, 0x1F0, 2, in, 256, 0);
    inb(0x1F7);
    ports_ins(&io, 0x1F0, 2, in + ATA_SECTOR, 256, 0);
    assert_memory_equal(in, out, sizeof in);
}

static void test_bad_lba(void **state)
{
    (void)state;
    lba28(SECTORS, 1);
    outb(0x1F7, 0x20);
    assert_int_equal(irqs.rises[14], 1);
    assert_int_equal(inb(0x1F7), 0x51);     /* DRDY DSC ERR */
    assert_int_equal(inb(0x1F1), 0x10);     /* IDNF */
    lba28(0x0FFFFFFF, 1);
    outb(0x1F7, 0x30);
    assert_int_equal(inb(0x1F7), 0x51);
}

static void test_read_across_the_end(void **state)
{
    uint8_t buf[ATA_SECTOR];
    (void)state;
    lba28(SECTORS - 1, 2);
    outb(0x1F7, 0x20);
    assert_int_equal(inb(0x1F7), 0x58);
    ports_ins(&io, 0x1F0, 2, buf, 256, 0);
    assert_int_equal(buf[3], pattern(SECTORS - 1, 3));
    assert_int_equal(irqs.rises[14], 2);
    assert_int_equal(inb(0x1F7), 0x51);
    assert_int_equal(inb(0x1F1), 0x10);
    assert_int_equal(inb(0x1F3), SECTORS);  /* the failing sector */
}

static void test_unsupported_command_aborts(void **state)
{
    static const uint8_t cmds[] = { 0xA1, 0xA0, 0x08, 0x24, 0xC8, 0xCA, 0xF8, 0x00 };
    (void)state;
    for (size_t i = 0; i < NELEM(cmds); i++) {
        outb(0x1F7, cmds[i]);
        assert_int_equal(inb(0x1F7), 0x51);
        assert_int_equal(inb(0x1F1), 0x04);
    }
    assert_int_equal(irqs.rises[14], NELEM(cmds));
}

static void test_read_multiple_32bit(void **state)
{
    uint32_t buf[4 * ATA_SECTOR / 4];
    (void)state;
    lba28(0, 8);
    outb(0x1F7, 0xC4);                      /* before SET MULTIPLE: aborted */
    assert_int_equal(inb(0x1F7), 0x51);
    outb(0x1F2, 3);
    outb(0x1F7, 0xC6);                      /* not a power of two */
    assert_int_equal(inb(0x1F1), 0x04);
    outb(0x1F2, 4);
    outb(0x1F7, 0xC6);
    assert_int_equal(inb(0x1F7), 0x50);
    unsigned before = irqs.rises[14];
    lba28(8, 8);
    outb(0x1F7, 0xC4);
    for (uint32_t blk = 0; blk < 2; blk++) {
        assert_int_equal(inb(0x1F7), 0x58);
        ports_ins(&io, 0x1F0, 4, buf, NELEM(buf), 0);   /* rep insd */
        for (uint32_t s = 0; s < 4; s++)
            assert_int_equal(((uint8_t *)buf)[s * ATA_SECTOR + 100],
                     pattern(8 + blk * 4 + s, 100));
    }
    assert_int_equal(irqs.rises[14] - before, 2);
    assert_int_equal(inb(0x1F7), 0x50);
}

static void test_chs_addressing(void **state)
{
    uint16_t w;
    (void)state;
    /* Cylinder 0, head 0, sector 3 is LBA 2 with the default 16/63 geometry. */
    outb(0x1F6, 0xA0);
    outb(0x1F2, 1);
    outb(0x1F3, 3);
    outb(0x1F4, 0);
    outb(0x1F5, 0);
    outb(0x1F7, 0x20);
    assert_int_equal(inb(0x1F7), 0x58);
    w = (uint16_t)ports_in(&io, 0x1F0, 2, 0);
    assert_int_equal(w & 0xFF, pattern(2, 0));
    outb(0x1F7, 0x20);                      /* a new command abandons the old */
    outb(0x1F3, 0);                         /* sector 0 does not exist */
    outb(0x1F7, 0x20);
    assert_int_equal(inb(0x1F1), 0x10);
    /* INITIALIZE DEVICE PARAMETERS: 4 heads, 8 sectors per track. */
    outb(0x1F6, 0xA3);
    outb(0x1F2, 8);
    outb(0x1F7, 0x91);
    assert_int_equal(inb(0x1F7), 0x50);
    outb(0x1F6, 0xA1);                      /* C1 H1 S2 = (1*4+1)*8+1 = 41 */
    outb(0x1F2, 1);
    outb(0x1F3, 2);
    outb(0x1F4, 1);
    outb(0x1F7, 0x20);
    assert_int_equal(inb(0x1F7), 0x58);
    w = (uint16_t)ports_in(&io, 0x1F0, 2, 0);
    assert_int_equal(w & 0xFF, pattern(41, 0));
}

static void test_absent_slave(void **state)
{
    (void)state;
    outb(0x1F6, 0xB0);
    assert_int_equal(inb(0x1F7), 0x00);
    assert_int_equal(inb(0x3F6), 0x00);
    outb(0x1F7, 0xEC);                      /* nobody answers */
    assert_int_equal(irqs.rises[14], 0);
    outb(0x1F2, 0x55);                      /* the task file itself is shared */
    assert_int_equal(inb(0x1F2), 0x55);
    outb(0x1F6, 0xA0);
    assert_int_equal(inb(0x1F7), 0x50);
}

static void test_soft_reset(void **state)
{
    (void)state;
    lba28(3, 1);
    outb(0x1F7, 0x20);
    outb(0x3F6, 0x04);
    assert_int_equal(inb(0x3F6), 0x80);     /* BSY */
    outb(0x1F7, 0xEC);                      /* ignored while BSY */
    outb(0x3F6, 0x00);
    assert_int_equal(inb(0x1F7), 0x50);
    assert_int_equal(inb(0x1F1), 0x01);
    assert_int_equal(inb(0x1F2), 1);
    assert_int_equal(inb(0x1F3), 1);
    assert_int_equal(inb(0x1F4), 0);
    assert_int_equal(inb(0x1F5), 0);
    assert_int_equal(ports_in(&io, 0x1F0, 2, 0), 0);        /* no data phase */
}

static void test_nien_and_alt_status(void **state)
{
    (void)state;
    outb(0x3F6, 0x02);
    lba28(1, 1);
    outb(0x1F7, 0x20);
    assert_int_equal(irqs.rises[14], 0);
    assert_int_equal(inb(0x3F6), 0x58);
    outb(0x3F6, 0x00);                      /* pending INTRQ now reaches the PIC */
    assert_int_equal(irqs.level[14], 1);
    inb(0x3F6);
    assert_int_equal(irqs.level[14], 1);    /* alternate status does not clear */
    inb(0x1F7);
    assert_int_equal(irqs.level[14], 0);
}

static void test_diagnostic_and_features(void **state)
{
    (void)state;
    outb(0x1F6, 0xB0);
    outb(0x1F7, 0x90);                      /* executed even with device 1 selected */
    assert_int_equal(inb(0x1F1), 0x01);
    assert_int_equal(inb(0x1F6), 0x00);
    outb(0x1F1, 0x03);
    outb(0x1F2, 0x0C);                      /* PIO mode 4 */
    outb(0x1F7, 0xEF);
    assert_int_equal(inb(0x1F7), 0x50);
    outb(0x1F1, 0x99);
    outb(0x1F7, 0xEF);
    assert_int_equal(inb(0x1F7), 0x51);
}

static void test_no_disk_floats(void **state)
{
    struct ata none;
    struct ports p;
    (void)state;
    ports_init(&p);
    ata_init(&none, (struct vdev_irq){ 0 }, 14, NULL, 0);
    assert_true(ata_attach(&none, &p, 0x1F0, 0x3F6));
    assert_int_equal(ports_in(&p, 0x1F7, 1, 0), 0xFF);
    assert_int_equal(ports_in(&p, 0x1F0, 2, 0), 0xFFFF);
    ports_out(&p, 0x1F7, 1, 0xEC, 0);
}

static void test_hostile_writes(void **state)
{
    uint32_t x = 7;
    (void)state;
    for (int i = 0; i < 300000; i++) {
        x = x * 1103515245 + 12345;
        uint16_t port = (x >> 9) % 9 == 8 ? 0x3F6 : 0x1F0 + (x >> 9) % 8;
        int size = port == 0x1F0 ? 1 << ((x >> 20) % 3) : 1;
        uint32_t v = x >> 12;
        if (port == 0x1F7 && (x & 0x40))
            v = (x & 0x80) ? 0x20 : 0x30;   /* plenty of data phases */
        if (x & 0x80000000)
            ports_out(&io, port, size, v, 0);
        else
            ports_in(&io, port, size, 0);
    }
}

/* rep ins/outs on the data port in runs (ata_ins, ata_outs) against the
 * same accesses one at a time: twin models, the second with its runs
 * taken away, driven by the same random commands, string accesses of
 * every width and count (odd ones, insw and insd mixed so an element
 * straddles a block's end, data phases cut short by new commands and
 * soft resets), compared after every step: data, disk, interrupt line,
 * task file and data phase. */
struct twin { struct ata a; struct ports io; struct irq_log irqs; uint8_t *disk; };

static void twin_init(struct twin *t, bool runs)
{
    memset(&t->irqs, 0, sizeof t->irqs);
    t->disk = malloc(SECTORS * ATA_SECTOR);
    for (uint32_t i = 0; i < SECTORS * ATA_SECTOR; i++)
        t->disk[i] = pattern(i / ATA_SECTOR, i % ATA_SECTOR);
    ports_init(&t->io);
    ata_init(&t->a, (struct vdev_irq){ irq_log_set, &t->irqs }, 14, t->disk, SECTORS * ATA_SECTOR);
    assert_true(ata_attach(&t->a, &t->io, 0x1F0, 0x3F6));
    if (!runs)
        assert_true(ports_register_runs(&t->io, 0x1F0, NULL, NULL));
    assert_int_equal(ports_runs(&t->io, 0x1F0, 2, true), runs);
}

static void twins_same(const struct twin *r, const struct twin *s)
{
    const struct ata *a = &r->a, *b = &s->a;
    assert_memory_equal(r->disk, s->disk, SECTORS * ATA_SECTOR);
    assert_memory_equal(&r->irqs, &s->irqs, sizeof r->irqs);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->error, b->error);
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->lba_lo | a->lba_mid << 8 | a->lba_hi << 16 | (uint32_t)a->device << 24,
                     b->lba_lo | b->lba_mid << 8 | b->lba_hi << 16 | (uint32_t)b->device << 24);
    assert_int_equal(a->phase, b->phase);
    assert_int_equal(a->pos, b->pos);
    assert_int_equal(a->len, b->len);
    assert_int_equal(a->lba, b->lba);
    assert_int_equal(a->remaining, b->remaining);
    assert_int_equal(a->intrq, b->intrq);
    assert_int_equal(a->sectors_read, b->sectors_read);
    assert_int_equal(a->sectors_written, b->sectors_written);
}

static void test_runs_equal_single_accesses(void **state)
{
    static const uint8_t cmds[] = { 0x20, 0x30, 0xC4, 0xC5, 0xC6, 0xEC, 0x20, 0x30 };
    static uint8_t got[2][4 * 1024], data[4 * 1024];
    struct twin t[2];
    uint32_t x = 1, runs_moved = 0;
    (void)state;
    twin_init(&t[0], true);
    twin_init(&t[1], false);
    for (int step = 0; step < 20000; step++) {
        x = x * 1103515245 + 12345;
        uint32_t what = (x >> 8) % 16, r = x >> 12;
        int size = 1 << (r % 3);
        size_t n = (r >> 2) % 16 == 0 ? 0 : (r >> 6) % (sizeof data / 4 + 1);
        for (int k = 0; k < 2; k++) {
            struct ports *io = &t[k].io;
            if (what < 3) {                              /* a command, its task file first */
                uint32_t lba = (r >> 3) % (SECTORS + 2);
                ports_out(io, 0x1F6, 1, 0xE0 | (lba >> 24), 0);
                ports_out(io, 0x1F2, 1, cmds[r % NELEM(cmds)] == 0xC6 ? 1u << (r >> 20) % 6 : (r >> 9) % 6, 0);
                ports_out(io, 0x1F3, 1, lba, 0);
                ports_out(io, 0x1F4, 1, lba >> 8, 0);
                ports_out(io, 0x1F5, 1, 0, 0);
                ports_out(io, 0x1F7, 1, cmds[r % NELEM(cmds)], 0);
            } else if (what < 9) {                       /* rep ins */
                memset(got[k], 0xEE, sizeof got[k]);
                if (k == 0) {
                    runs_moved += t[0].a.phase == ATA_PIO_IN && size > 1 && n;
                    ports_ins(io, 0x1F0, size, got[k], n, 0);
                } else
                    for (size_t i = 0; i < n; i++) {
                        uint32_t v = ports_in(io, 0x1F0, size, 0);
                        memcpy(got[k] + i * size, &v, (size_t)size);
                    }
            } else if (what < 14) {                      /* rep outs */
                for (size_t i = 0; i < n * size; i++)
                    data[i] = (uint8_t)(x >> (i % 24) ^ i);
                if (k == 0)
                    ports_outs(io, 0x1F0, size, data, n, 0);
                else
                    for (size_t i = 0; i < n; i++) {
                        uint32_t v = 0;
                        memcpy(&v, data + i * size, (size_t)size);
                        ports_out(io, 0x1F0, size, v, 0);
                    }
            } else if (what == 14) {
                ports_in(io, (r & 1) ? 0x1F7 : 0x3F6, 1, 0);   /* status: clears INTRQ; alternate status */
            } else {
                ports_out(io, 0x3F6, 1, (r >> 4) % 8 == 0 ? 0x04 : (r & 2), 0);   /* SRST now and then, nIEN */
            }
        }
        if (what >= 3 && what < 9)
            assert_memory_equal(got[0], got[1], sizeof got[0]);
        twins_same(&t[0], &t[1]);
    }
    assert_true(runs_moved > 1000);                      /* the runs were exercised, not just declined */
    free(t[0].disk);
    free(t[1].disk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_three_sectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_then_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lba, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_across_the_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_command_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_multiple_32bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chs_addressing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absent_slave, setup, teardown),
        cmocka_unit_test_setup_teardown(test_soft_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nien_and_alt_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diagnostic_and_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_disk_floats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_writes, setup, teardown),
        cmocka_unit_test(test_runs_equal_single_accesses),
    };
    DEV_RUN_TESTS(tests, 15);
}
