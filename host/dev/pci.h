/*
 * pci.h — a PCI host bridge's configuration mechanism #1 (0xCF8/0xCFC) in
 * front of a bus with nothing on it.
 *
 * Why a bus at all: the bare PC the hosted one is compared with (QEMU's
 * isapc under SeaBIOS) answers a kernel's PCI BIOS call with "present,
 * revision 2.10", and then every configuration read says "no device".  The
 * hosted PC has no BIOS to call, so the same answer is given the way a
 * kernel without a PCI BIOS looks for PCI (Linux's check_direct_pci, GNU
 * Mach's copy of it): CONFIG_ADDRESS latches a dword written to 0xCF8 and
 * reads it back, and every configuration cycle ends in a master abort.
 *
 * As the PCI Local Bus Specification (2.1, 3.7.4.1) has it: only a dword
 * access to 0xCF8 is CONFIG_ADDRESS (bits 30:24 reserved and bits 1:0
 * read as zero); a byte or word access to 0xCF8-0xCFB is ordinary I/O,
 * which nothing decodes (all ones, and so mechanism #2 reads as absent).
 * CONFIG_DATA (0xCFC-0xCFF, any width) runs a configuration cycle when
 * CONFIG_ADDRESS's enable bit is set: no function answers on any bus, so a
 * read is all ones and a write goes nowhere; with the bit clear it is
 * ordinary I/O, with the same result.
 */
#ifndef PEEL_DEV_PCI_H
#define PEEL_DEV_PCI_H

#include "host/dev/vdev.h"

#define PCI_CONFIG_ADDRESS 0xCF8u
#define PCI_CONFIG_DATA    0xCFCu
#define PCI_CONFIG_ENABLE  0x80000000u
#define PCI_CONFIG_MASK    0x80FFFFFCu    /* the bits CONFIG_ADDRESS keeps */

struct ports;

struct pci {
    uint32_t address;               /* CONFIG_ADDRESS as last written (masked) */
    uint32_t cycles;                /* configuration cycles run (all master aborts) */
};

void pci_init(struct pci *p);
bool pci_attach(struct pci *p, struct ports *ports);
uint32_t pci_in(void *pci, uint16_t port, int size, uint64_t now);
void pci_out(void *pci, uint16_t port, int size, uint32_t val, uint64_t now);

#endif
