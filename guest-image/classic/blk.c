/* blk: ATA-1 PIO protocol on the legacy primary channel (ports 0x1f0-0x1f7,
 * control 0x3f6), 28-bit LBA.  Reads: issue READ SECTORS, sleep until the
 * IRQ says DRQ, then move 256 words.  Writes: issue WRITE SECTORS, wait for
 * DRQ, move the words, sleep until the completion IRQ. */
#include "blk.h"
#include "console.h"
#include "exit.h"
#include "trap.h"
#include "x86.h"

#define ATA_DATA    0x1f0
#define ATA_ERROR   0x1f1
#define ATA_COUNT   0x1f2
#define ATA_LBA0    0x1f3
#define ATA_LBA1    0x1f4
#define ATA_LBA2    0x1f5
#define ATA_DRIVE   0x1f6
#define ATA_STATUS  0x1f7   /* reading it acknowledges the interrupt */
#define ATA_CMD     0x1f7
#define ATA_CTRL    0x3f6   /* device control; reads as alternate status */

#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DF   0x20
#define ST_BSY  0x80

#define CMD_READ     0x20
#define CMD_WRITE    0x30
#define CMD_IDENTIFY 0xec
#define CTRL_NIEN    0x02   /* mask the device's interrupt */

#define ATA_IRQ 14
#define SPIN_LIMIT 1000000

uint32_t blk_sectors;
uint32_t blk_reads, blk_writes;
volatile uint32_t blk_irq_pending;
volatile uint8_t blk_irq_status;
struct sched_mutex blk_mutex = { 0, NULL, "blk" };

/* ATA wants 400 ns after selecting a drive before status is valid: four
 * reads of the alternate status register take at least that long. */
static void delay400(void)
{
    for (int i = 0; i < 4; i++)
        inb(ATA_CTRL);
}

/* Poll until BSY clears; returns the status, or 0xff on timeout. */
static uint8_t wait_not_busy(void)
{
    for (uint32_t i = 0; i < SPIN_LIMIT; i++) {
        uint8_t s = inb(ATA_CTRL);
        if (!(s & ST_BSY))
            return s;
    }
    return 0xff;
}

/* IDENTIFY DEVICE, polled and with the interrupt masked: runs at boot,
 * before the scheduler has threads to put to sleep. */
API __init int blk_init(void)
{
    uint16_t id[256];
    outb(ATA_CTRL, CTRL_NIEN);
    outb(ATA_DRIVE, 0xa0);      /* master */
    delay400();
    if (inb(ATA_STATUS) == 0xff) {
        console_printf("blk: no ATA controller at 0x1f0 (floating bus)\n");
        return -1;
    }
    outb(ATA_COUNT, 0);
    outb(ATA_LBA0, 0);
    outb(ATA_LBA1, 0);
    outb(ATA_LBA2, 0);
    outb(ATA_CMD, CMD_IDENTIFY);
    delay400();
    uint8_t s = inb(ATA_STATUS);
    if (s == 0 || (s = wait_not_busy()) == 0xff || (s & (ST_ERR | ST_DF)) || !(s & ST_DRQ)) {
        console_printf("blk: no ATA disk on the primary master (status %02x)\n", s);
        return -1;
    }
    insw(ATA_DATA, id, 256);
    blk_sectors = id[60] | (uint32_t)id[61] << 16;   /* words 60-61: LBA28 capacity */
    if (blk_sectors == 0) {
        console_printf("blk: primary master does not support LBA\n");
        return -1;
    }
    trap_set_irq(ATA_IRQ, blk_irq);
    outb(ATA_CTRL, 0);          /* device interrupts on from now */
    return 0;
}

API void blk_irq(void)
{
    blk_irq_status = inb(ATA_STATUS);
    blk_irq_pending = 1;
    sched_wakeup((void *)&blk_irq_pending);
}

static void issue(uint32_t lba, uint8_t cmd)
{
    outb(ATA_DRIVE, 0xe0 | ((lba >> 24) & 0x0f));    /* LBA mode, master */
    outb(ATA_COUNT, 1);
    outb(ATA_LBA0, lba & 0xff);
    outb(ATA_LBA1, (lba >> 8) & 0xff);
    outb(ATA_LBA2, (lba >> 16) & 0xff);
    blk_irq_pending = 0;
    outb(ATA_CMD, cmd);
}

/* Interrupts are off here (caller's section), so the IRQ cannot come
 * between the check and the sleep. */
static uint8_t wait_irq(void)
{
    while (!blk_irq_pending)
        sched_sleep((void *)&blk_irq_pending);
    blk_irq_pending = 0;
    return blk_irq_status;
}

static int check_lba(uint32_t lba, const char *op)
{
    if (lba < blk_sectors)
        return 0;
    console_printf("blk: %s of sector %u beyond the disk (%u sectors)\n", op, lba, blk_sectors);
    return -1;
}

API int blk_read(uint32_t lba, void *buf)
{
    if (check_lba(lba, "read"))
        return -1;
    sched_mutex_lock(&blk_mutex);
    uint32_t f = irq_save();
    issue(lba, CMD_READ);
    uint8_t s = wait_irq();
    int ok = !(s & (ST_ERR | ST_DF)) && (s & ST_DRQ);
    if (ok)
        insw(ATA_DATA, buf, BLK_SECTOR / 2);
    blk_reads++;
    irq_restore(f);
    sched_mutex_unlock(&blk_mutex);
    if (!ok)
        console_printf("blk: read of sector %u failed (status %02x)\n", lba, s);
    return ok ? 0 : -1;
}

API int blk_write(uint32_t lba, const void *buf)
{
    if (check_lba(lba, "write"))
        return -1;
    sched_mutex_lock(&blk_mutex);
    uint32_t f = irq_save();
    issue(lba, CMD_WRITE);
    uint8_t s = wait_not_busy();
    int ok = s != 0xff && !(s & (ST_ERR | ST_DF)) && (s & ST_DRQ);
    if (ok) {
        outsw(ATA_DATA, buf, BLK_SECTOR / 2);
        s = wait_irq();
        ok = !(s & (ST_ERR | ST_DF));
    }
    blk_writes++;
    irq_restore(f);
    sched_mutex_unlock(&blk_mutex);
    if (!ok)
        console_printf("blk: write of sector %u failed (status %02x)\n", lba, s);
    return ok ? 0 : -1;
}
