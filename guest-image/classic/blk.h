/* blk: ATA PIO driver for the primary master, one sector at a time,
 * interrupt driven (IRQ 14): the requesting thread sleeps until the IRQ. */
#ifndef CLASSIC_BLK_H
#define CLASSIC_BLK_H
#include "types.h"
#include "sched.h"

#define BLK_SECTOR 512

int blk_init(void);
int blk_read(uint32_t lba, void *buf);
int blk_write(uint32_t lba, const void *buf);
void blk_irq(void);

extern uint32_t blk_sectors;            /* capacity from IDENTIFY */
extern uint32_t blk_reads, blk_writes;
extern volatile uint32_t blk_irq_pending; /* set by the IRQ, consumed by the waiter */
extern volatile uint8_t blk_irq_status;
extern struct sched_mutex blk_mutex;    /* one command in flight */

#endif
