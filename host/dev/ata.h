/*
 * ata.h — ATA PIO disk on the primary channel (0x1F0-0x1F7, 0x3F6, IRQ14):
 * device 0 present, backed by a caller-given writable buffer (the GRUB
 * module's bytes copied by the host); device 1 absent.
 *
 * Commands: IDENTIFY DEVICE, READ/WRITE SECTOR(S) (0x20/0x21/0x30/0x31),
 * READ/WRITE MULTIPLE (0xC4/0xC5) after SET MULTIPLE MODE (0xC6),
 * READ VERIFY, INITIALIZE DEVICE PARAMETERS, RECALIBRATE, SEEK, EXECUTE
 * DEVICE DIAGNOSTIC, SET FEATURES (transfer mode, caches), FLUSH CACHE,
 * power commands as no-ops.  LBA28 and CHS addressing.  Anything else is
 * aborted (ERR, ABRT), as a drive does for a command it does not implement.
 */
#ifndef PEEL_DEV_ATA_H
#define PEEL_DEV_ATA_H

#include "host/dev/vdev.h"

#define ATA_SECTOR       512u
#define ATA_MAX_MULTIPLE 16u
#define ATA_LBA28_MAX    0x0FFFFFFFu

struct ports;

enum ata_phase { ATA_IDLE, ATA_PIO_IN, ATA_PIO_OUT };

struct ata {
    uint8_t *disk;
    uint32_t sectors;               /* usable, capped to LBA28 */
    uint16_t cyls, heads, spt;      /* default CHS geometry */
    uint16_t cur_heads, cur_spt;    /* from INITIALIZE DEVICE PARAMETERS */
    uint16_t base, ctl;             /* port bases */
    /* task file; written registers are shared by both devices */
    uint8_t features, count, lba_lo, lba_mid, lba_hi, device;
    uint8_t status, error, control;
    uint8_t multiple;               /* sectors per block for 0xC4/0xC5, 0 = off */
    /* the data phase */
    enum ata_phase phase;
    bool from_disk;                 /* xfer points into disk (not identify) */
    uint32_t lba, remaining, block; /* next sector, sectors left, per DRQ block */
    uint8_t *xfer;
    uint32_t pos, len;
    uint8_t identify[ATA_SECTOR];
    bool intrq;
    int level, irq_num;
    struct vdev_irq irq;
    uint64_t sectors_read, sectors_written;
};

void ata_init(struct ata *a, struct vdev_irq irq, int irq_num, uint8_t *disk, uint64_t bytes);
bool ata_attach(struct ata *a, struct ports *ports, uint16_t base, uint16_t ctl);
/* Fill id with the IDENTIFY DEVICE page for a's geometry (ata_identify.c). */
void ata_identify_page(const struct ata *a, uint8_t *id);
uint32_t ata_in(void *ata, uint16_t port, int size, uint64_t now);
/* What a byte read of the status register (or the alternate status) returns
 * now, and whether a read of the status register acknowledges INTRQ; -1
 * while the drive is busy. */
int ata_status_read(const struct ata *a, bool *acks);
void ata_out(void *ata, uint16_t port, int size, uint32_t val, uint64_t now);

#endif
