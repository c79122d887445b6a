/* Unit tests for PCI configuration mechanism #1 before an empty bus
 * (host/dev/pci.c), as Linux's check_direct_pci and a bus scan probe it. */
#include "tests/unit/dev_harness.h"
#include "host/dev/pci.h"
#include "host/dev/ports.h"

static struct ports io;
static struct pci pci;

static int setup(void **state)
{
    (void)state;
    ports_init(&io);
    pci_init(&pci);
    assert_true(pci_attach(&pci, &io));
    return 0;
}

/* check_direct_pci's type 1 test: 0x01 to 0xCFB (a chipset's mechanism
 * select), the old CONFIG_ADDRESS saved, 0x80000000 written and read back */
static void test_type1_found(void **state)
{
    (void)state;
    ports_out(&io, 0xCFB, 1, 0x01, 0);
    assert_int_equal(ports_in(&io, 0xCF8, 4, 0), 0);           /* reset value */
    ports_out(&io, 0xCF8, 4, 0x80000000u, 0);
    assert_int_equal(ports_in(&io, 0xCF8, 4, 0), 0x80000000u);
    ports_out(&io, 0xCF8, 4, 0, 0);                             /* restored */
    assert_int_equal(ports_in(&io, 0xCF8, 4, 0), 0);
}

/* the reserved bits 30:24 and 1:0 read as zero */
static void test_address_mask(void **state)
{
    (void)state;
    ports_out(&io, 0xCF8, 4, 0xFFFFFFFFu, 0);
    assert_int_equal(ports_in(&io, 0xCF8, 4, 0), 0x80FFFFFCu);
    ports_out(&io, 0xCF8, 4, 0x7F000003u, 0);
    assert_int_equal(ports_in(&io, 0xCF8, 4, 0), 0);
}

/* a bus scan: every function's vendor/device dword, and narrower reads at
 * every offset of CONFIG_DATA, are all ones: nothing is there */
static void test_empty_bus(void **state)
{
    (void)state;
    for (uint32_t bus = 0; bus < 256; bus += 255)
        for (uint32_t devfn = 0; devfn < 256; devfn++) {
            ports_out(&io, 0xCF8, 4, PCI_CONFIG_ENABLE | bus << 16 | devfn << 8, 0);
            assert_int_equal(ports_in(&io, 0xCFC, 4, 0), 0xFFFFFFFFu);
        }
    ports_out(&io, 0xCF8, 4, PCI_CONFIG_ENABLE | 0x08, 0);       /* 00:00.0, the class dword */
    for (uint16_t port = 0xCFC; port <= 0xCFF; port++)
        assert_int_equal(ports_in(&io, port, 1, 0), 0xFF);
    assert_int_equal(ports_in(&io, 0xCFC, 2, 0), 0xFFFF);
    assert_int_equal(ports_in(&io, 0xCFE, 2, 0), 0xFFFF);
    ports_out(&io, 0xCFC, 4, 0x12345678u, 0);                   /* a write nobody keeps */
    assert_int_equal(ports_in(&io, 0xCFC, 4, 0), 0xFFFFFFFFu);
    assert_int_equal(ports_in(&io, 0xCF8, 4, 0), PCI_CONFIG_ENABLE | 0x08);
    assert_true(pci.cycles > 512);
}

/* with the enable bit clear, CONFIG_DATA is ordinary I/O: no cycle runs */
static void test_data_without_enable(void **state)
{
    (void)state;
    ports_out(&io, 0xCF8, 4, 0x00000008u, 0);
    uint32_t cycles = pci.cycles;
    assert_int_equal(ports_in(&io, 0xCFC, 4, 0), 0xFFFFFFFFu);
    ports_out(&io, 0xCFC, 4, 0, 0);
    assert_int_equal(pci.cycles, cycles);
}

/* check_direct_pci's type 2 test: bytes to 0xCFB, 0xCF8, 0xCFA, then 0xCF8
 * and 0xCFB read back as 0 would mean mechanism #2; byte and word accesses
 * are not CONFIG_ADDRESS, so they float and CONFIG_ADDRESS keeps its value */
static void test_type2_absent(void **state)
{
    (void)state;
    ports_out(&io, 0xCF8, 4, 0x80001234u & PCI_CONFIG_MASK, 0);
    ports_out(&io, 0xCFB, 1, 0, 0);
    ports_out(&io, 0xCF8, 1, 0, 0);
    ports_out(&io, 0xCFA, 1, 0, 0);
    assert_int_equal(ports_in(&io, 0xCF8, 1, 0), 0xFF);
    assert_int_equal(ports_in(&io, 0xCFB, 1, 0), 0xFF);
    assert_int_equal(ports_in(&io, 0xCFA, 1, 0), 0xFF);
    assert_int_equal(ports_in(&io, 0xCF8, 2, 0), 0xFFFF);
    ports_out(&io, 0xCF8, 2, 0, 0);
    assert_int_equal(ports_in(&io, 0xCF8, 4, 0), 0x80001234u & PCI_CONFIG_MASK);
    assert_int_equal(ports_in(&io, 0xCF9, 4, 0), 0xFFFFFFFFu);    /* a dword, but not at 0xCF8 */
}

/* mechanism #2's forward register and its 0xC000-0xCFFF window: not here */
static void test_type2_window_floats(void **state)
{
    (void)state;
    ports_out(&io, 0xCFA, 1, 0, 0);
    ports_out(&io, 0xCF8, 1, 0x80, 0);
    assert_int_equal(ports_in(&io, 0xC000, 4, 0), 0xFFFFFFFFu);
    assert_int_equal(ports_in(&io, 0xCF00, 2, 0), 0xFFFF);
}

/* hostile: 10^5 random accesses of every width to every port of the range
 * and around it; CONFIG_ADDRESS only ever holds its writable bits */
static void test_fuzz(void **state)
{
    (void)state;
    uint32_t x = 0x9e3779b9u;
    for (unsigned i = 0; i < 100000; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        uint16_t port = (uint16_t)(0xCF4 + (x >> 8) % 16);
        int size = 1 << ((x >> 4) % 3);
        if (x & 1)
            ports_out(&io, port, size, x * 2654435761u, 0);
        else if (size == 4 && port >= 0xCFC && port <= 0xCFF)
            assert_int_equal(ports_in(&io, port, size, 0), 0xFFFFFFFFu);
        else
            (void)ports_in(&io, port, size, 0);
        assert_int_equal(pci.address & ~PCI_CONFIG_MASK, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_type1_found, setup),
        cmocka_unit_test_setup(test_address_mask, setup),
        cmocka_unit_test_setup(test_empty_bus, setup),
        cmocka_unit_test_setup(test_data_without_enable, setup),
        cmocka_unit_test_setup(test_type2_absent, setup),
        cmocka_unit_test_setup(test_type2_window_floats, setup),
        cmocka_unit_test_setup(test_fuzz, setup),
    };
    DEV_RUN_TESTS(tests, 7);
}
