/*
 * pci.c — configuration mechanism #1 before an empty bus (see pci.h).
 */
#include "host/dev/pci.h"
#include "host/dev/ports.h"

static uint32_t ones(int size)
{
    return size == VDEV_W32 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

/* A configuration cycle to CONFIG_ADDRESS's bus, device, function and
 * register: nothing answers (a master abort), which reads all ones. */
static uint32_t config_read(struct pci *p, int size)
{
    p->cycles++;
    return ones(size);
}

uint32_t pci_in(void *pci, uint16_t port, int size, uint64_t now)
{
    struct pci *p = pci;
    (void)now;
    if (port == PCI_CONFIG_ADDRESS && size == VDEV_W32)
        return p->address;
    if (port >= PCI_CONFIG_DATA && (p->address & PCI_CONFIG_ENABLE))
        return config_read(p, size);
    return ones(size);                        /* ordinary I/O: nothing decodes it */
}

void pci_out(void *pci, uint16_t port, int size, uint32_t val, uint64_t now)
{
    struct pci *p = pci;
    (void)now;
    if (port == PCI_CONFIG_ADDRESS && size == VDEV_W32)
        p->address = val & PCI_CONFIG_MASK;
    else if (port >= PCI_CONFIG_DATA && (p->address & PCI_CONFIG_ENABLE))
        p->cycles++;                          /* a write nobody claims */
}

void pci_init(struct pci *p)
{
    *p = (struct pci){ 0 };                   /* CONFIG_ADDRESS resets to 0 */
}

bool pci_attach(struct pci *p, struct ports *ports)
{
    return ports_register(ports, PCI_CONFIG_ADDRESS, PCI_CONFIG_DATA + 3, VDEV_W8 | VDEV_W16 | VDEV_W32, p,
                          pci_in, pci_out);
}
