/* Unit tests for the port dispatch table and its documented defaults. */
#include "tests/unit/dev_harness.h"
#include "host/dev/ports.h"

static struct ports io;

/* A byte-wide test device at 0x100..0x101 that records what it sees. */
struct recorder {
    uint8_t reg[2];
    int reads, writes;
    uint16_t seq;
};
static struct recorder rec;

static uint32_t rec_in(void *dev, uint16_t port, int size, uint64_t now)
{
    struct recorder *r = dev;
    (void)now;
    assert_int_equal(size, 1);
    r->reads++;
    return r->reg[port - 0x100];
}

static void rec_out(void *dev, uint16_t port, int size, uint32_t val, uint64_t now)
{
    struct recorder *r = dev;
    (void)now;
    assert_int_equal(size, 1);
    assert_true(val <= 0xFF);
    r->writes++;
    r->reg[port - 0x100] = (uint8_t)val;
}

/* A 16-bit device at 0x200 yielding 0, 1, 2, ... */
static uint32_t seq_in(void *dev, uint16_t port, int size, uint64_t now)
{
    (void)port, (void)size, (void)now;
    return ((struct recorder *)dev)->seq++;
}

static int setup(void **state)
{
    (void)state;
    memset(&rec, 0, sizeof rec);
    ports_init(&io);
    assert_true(ports_register(&io, 0x100, 0x101, VDEV_W8, &rec, rec_in, rec_out));
    assert_true(ports_register(&io, 0x200, 0x200, VDEV_W16, &rec, seq_in, NULL));
    return 0;
}

static void test_default_all_ones(void **state)
{
    (void)state;
    assert_int_equal(ports_in(&io, 0x300, 1, 0), 0xFF);
    assert_int_equal(ports_in(&io, 0x300, 2, 0), 0xFFFF);
    assert_int_equal(ports_in(&io, 0x300, 4, 0), 0xFFFFFFFFu);
    ports_out(&io, 0x300, 1, 0x12, 0);
    assert_int_equal(ports_stat(&io, 0x300)->reads, 3);
    assert_int_equal(ports_stat(&io, 0x300)->writes, 1);
    assert_int_equal(ports_stat(&io, 0x303)->reads, 1);     /* the dword's last byte */
    assert_null(ports_stat(&io, 0x100));
}

static void test_post_code(void **state)
{
    (void)state;
    ports_out(&io, 0x80, 1, 0x42, 0);
    assert_int_equal(io.post, 0x42);
    assert_int_equal(io.post_writes, 1);
    assert_int_equal(ports_in(&io, 0x80, 1, 0), 0x42);
    assert_null(ports_stat(&io, 0x80));
}

static void test_debug_exit(void **state)
{
    (void)state;
    assert_false(io.exit_requested);
    ports_out(&io, 0xF4, 1, 0x10, 0);
    assert_true(io.exit_requested);
    assert_int_equal(io.exit_status, 0x21);
    ports_out(&io, 0xF4, 4, 0x33, 0);       /* the first request wins */
    assert_int_equal(io.exit_status, 0x21);
    ports_init(&io);
    ports_out(&io, 0xF4, 2, 0x1FFFF, 0);    /* masked to the access width */
    assert_int_equal(io.exit_status, 0x1FFFF);
}

static void test_wide_access_splits(void **state)
{
    (void)state;
    ports_out(&io, 0x100, 2, 0xBBAA, 0);
    assert_int_equal(rec.reg[0], 0xAA);
    assert_int_equal(rec.reg[1], 0xBB);
    assert_int_equal(rec.writes, 2);
    /* 0x101 is the device, 0x102..0x104 float */
    assert_int_equal(ports_in(&io, 0x101, 4, 0), 0xFFFFFFBB);
    assert_int_equal(ports_stat(&io, 0x102)->reads, 1);
    assert_int_equal(ports_in(&io, 0x200, 2, 0), 0);        /* accepted whole */
    assert_int_equal(ports_in(&io, 0x200, 1, 0), 1);        /* bytes always reach the device */
}

static void test_string_io(void **state)
{
    uint16_t buf[4];
    uint8_t out[4] = { 1, 2, 3, 4 };
    (void)state;
    ports_ins(&io, 0x200, 2, buf, 4, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(buf[i], i);
    ports_outs(&io, 0x100, 1, out, 4, 0);
    assert_int_equal(rec.reg[0], 4);
    assert_int_equal(rec.writes, 4);
}

/* The 0x200 counter moving runs: at most 3 elements a run, every third run
 * declined (that element goes through seq_in). */
static unsigned run_calls;

static size_t seq_ins(void *dev, uint16_t port, int size, void *buf, size_t n, uint64_t now)
{
    struct recorder *r = dev;
    uint16_t *b = buf;
    (void)port, (void)now;
    assert_int_equal(size, 2);
    if (++run_calls % 3 == 0)
        return 0;
    size_t k = n < 3 ? n : 3;
    for (size_t i = 0; i < k; i++)
        b[i] = r->seq++;
    return k;
}

static void test_runs(void **state)
{
    uint16_t buf[40];
    (void)state;
    assert_false(ports_runs(&io, 0x200, 2, true));
    assert_false(ports_register_runs(&io, 0x300, seq_ins, NULL));      /* no range there */
    assert_true(ports_register_runs(&io, 0x200, seq_ins, NULL));
    assert_true(ports_runs(&io, 0x200, 2, true));
    assert_false(ports_runs(&io, 0x200, 2, false));                   /* no outs, no out */
    assert_false(ports_runs(&io, 0x200, 4, true));                    /* a width the range does not take */
    ports_ins(&io, 0x200, 2, buf, 40, 0);
    for (int i = 0; i < 40; i++)
        assert_int_equal(buf[i], i);                                   /* in order, runs and singles alike */
    assert_true(run_calls > 10);
    ports_ins(&io, 0x200, 2, buf, 1, 0);
    assert_int_equal(buf[0], 40);
    assert_int_equal(rec.seq, 41);                                     /* nothing moved twice or lost */
}

static void test_register_rejects_overlap_and_overflow(void **state)
{
    (void)state;
    assert_false(ports_register(&io, 0x101, 0x105, VDEV_W8, &rec, rec_in, rec_out));
    assert_false(ports_register(&io, 0x80, 0x80, VDEV_W8, &rec, rec_in, rec_out));
    assert_false(ports_register(&io, 0x10, 0x0F, VDEV_W8, &rec, rec_in, rec_out));
    int added = 0;
    for (int i = 0; i < 100; i++)
        added += ports_register(&io, (uint16_t)(0x1000 + i), (uint16_t)(0x1000 + i),
                    VDEV_W8, &rec, rec_in, rec_out);
    assert_int_equal(added, PORTS_MAX_RANGES - 4);
}

static void test_stat_table_bounded(void **state)
{
    (void)state;
    for (int i = 0; i < 100; i++)
        ports_in(&io, (uint16_t)(0x5000 + i), 1, 0);
    assert_int_equal(io.nstat, PORTS_MAX_STATS);
    assert_int_equal(io.stat_overflow, 100 - PORTS_MAX_STATS);
    assert_int_equal(ports_in(&io, 0x5063, 1, 0), 0xFF);   /* uncounted, still all ones */
}

static void test_wraps_at_top_of_port_space(void **state)
{
    (void)state;
    assert_int_equal(ports_in(&io, 0xFFFF, 4, 0), 0xFFFFFFFFu);
    assert_int_equal(ports_stat(&io, 0x0001)->reads, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_default_all_ones, setup),
        cmocka_unit_test_setup(test_post_code, setup),
        cmocka_unit_test_setup(test_debug_exit, setup),
        cmocka_unit_test_setup(test_wide_access_splits, setup),
        cmocka_unit_test_setup(test_string_io, setup),
        cmocka_unit_test_setup(test_runs, setup),
        cmocka_unit_test_setup(test_register_rejects_overlap_and_overflow, setup),
        cmocka_unit_test_setup(test_stat_table_bounded, setup),
        cmocka_unit_test_setup(test_wraps_at_top_of_port_space, setup),
    };
    DEV_RUN_TESTS(tests, 9);
}
