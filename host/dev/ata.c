/*
 * ata.c — ATA PIO device 0, after ATA/ATAPI-4 (T13 1153D) chapters 8-9.
 *
 * Protocols we follow to the letter, because drivers wait on them:
 *  - PIO data-in (9.7): for each DRQ block the device sets DRQ and asserts
 *    INTRQ; after the last block is read DRQ clears, with no interrupt.
 *  - PIO data-out (9.8): the first block is requested with DRQ and no
 *    interrupt; after each block the device asserts INTRQ (with DRQ again if
 *    more blocks follow).
 *  - Non-data (9.9): INTRQ at completion.
 *  - "Reading the Status register clears a pending interrupt"; the Alternate
 *    Status register does not; nIEN keeps INTRQ released.
 * Everything completes instantly, so BSY is only ever seen during SRST.
 */
#include "host/dev/ata.h"
#include "host/dev/ports.h"

enum {
    ST_ERR = 0x01, ST_DRQ = 0x08, ST_DSC = 0x10, ST_DRDY = 0x40, ST_BSY = 0x80,
    ER_ABRT = 0x04, ER_IDNF = 0x10,
    DEV_SLAVE = 0x10, DEV_LBA = 0x40,
    CTL_NIEN = 0x02, CTL_SRST = 0x04,
};

static bool ata_present(const struct ata *a)
{
    return a->disk && a->sectors;
}

static void ata_update(struct ata *a)
{
    /* INTRQ is driven by the selected device only. */
    int level = a->intrq && !(a->control & CTL_NIEN) && !(a->device & DEV_SLAVE);
    if (level == a->level)
        return;
    a->level = level;
    vdev_irq_drive(&a->irq, a->irq_num, level);
}

static void ata_interrupt(struct ata *a)
{
    a->intrq = true;
    ata_update(a);
}

static void ata_done(struct ata *a)
{
    a->phase = ATA_IDLE;
    a->status = ST_DRDY | ST_DSC;
    a->error = 0;
    ata_interrupt(a);
}

static void ata_fail(struct ata *a, uint8_t error)
{
    a->phase = ATA_IDLE;
    a->status = ST_DRDY | ST_DSC | ST_ERR;
    a->error = error;
    ata_interrupt(a);
}

/* "Device signature": what a device leaves in the task file after reset. */
static void ata_signature(struct ata *a)
{
    a->count = a->lba_lo = 1;
    a->lba_mid = a->lba_hi = 0;
    a->device = 0;
    a->error = 0x01;        /* diagnostic: device 0 passed, device 1 absent */
    a->status = ST_DRDY | ST_DSC;
    a->phase = ATA_IDLE;
}

static bool ata_address(const struct ata *a, uint32_t *lba)
{
    uint32_t cyl = (uint32_t)a->lba_hi << 8 | a->lba_mid;
    uint32_t head = a->device & 0x0F, sector = a->lba_lo;
    if (a->device & DEV_LBA) {
        *lba = head << 24 | (uint32_t)a->lba_hi << 16 | (uint32_t)a->lba_mid << 8 | a->lba_lo;
        return true;
    }
    if (sector == 0 || sector > a->cur_spt || head >= a->cur_heads)
        return false;
    *lba = (cyl * a->cur_heads + head) * a->cur_spt + sector - 1;
    return true;
}

/* Registers name the last sector transferred, or the one that failed. */
static void ata_set_address(struct ata *a, uint32_t lba)
{
    uint32_t hs = (uint32_t)a->cur_heads * a->cur_spt, cyl = lba / hs;
    if (a->device & DEV_LBA) {
        a->lba_lo = (uint8_t)lba;
        a->lba_mid = (uint8_t)(lba >> 8);
        a->lba_hi = (uint8_t)(lba >> 16);
        a->device = (uint8_t)((a->device & 0xF0) | ((lba >> 24) & 0x0F));
        return;
    }
    a->lba_lo = (uint8_t)(lba % a->cur_spt + 1);
    a->lba_mid = (uint8_t)cyl;
    a->lba_hi = (uint8_t)(cyl >> 8);
    a->device = (uint8_t)((a->device & 0xF0) | ((lba / a->cur_spt % a->cur_heads) & 0x0F));
}

static void ata_next_block(struct ata *a)
{
    uint32_t n = a->remaining < a->block ? a->remaining : a->block;
    if (a->lba >= a->sectors || n > a->sectors - a->lba) {
        ata_set_address(a, a->lba < a->sectors ? a->sectors : a->lba);
        ata_fail(a, ER_IDNF);
        return;
    }
    a->xfer = a->disk + (size_t)a->lba * ATA_SECTOR;
    a->pos = 0;
    a->len = n * ATA_SECTOR;
    a->status = ST_DRDY | ST_DSC | ST_DRQ;
    if (a->phase == ATA_PIO_IN)
        ata_interrupt(a);
}

static void ata_start(struct ata *a, enum ata_phase phase, uint32_t block)
{
    uint32_t lba;
    if (!ata_address(a, &lba)) {
        ata_fail(a, ER_IDNF);
        return;
    }
    a->phase = phase;
    a->from_disk = true;
    a->lba = lba;
    a->remaining = a->count ? a->count : 256;
    a->block = block;
    ata_next_block(a);
}

/* The DRQ block has been moved entirely. */
static void ata_block_done(struct ata *a)
{
    uint32_t n = a->len / ATA_SECTOR;
    if (!a->from_disk) {
        a->phase = ATA_IDLE;
        a->status = ST_DRDY | ST_DSC;
        return;
    }
    if (a->phase == ATA_PIO_IN)
        a->sectors_read += n;
    else
        a->sectors_written += n;
    a->lba += n;
    a->remaining -= n;
    a->count = (uint8_t)a->remaining;
    ata_set_address(a, a->lba - 1);
    if (!a->remaining) {
        if (a->phase == ATA_PIO_OUT)
            ata_done(a);
        a->phase = ATA_IDLE;
        a->status = ST_DRDY | ST_DSC;
        return;
    }
    ata_next_block(a);
    if (a->phase == ATA_PIO_OUT)
        ata_interrupt(a);
}

static void ata_identify(struct ata *a)
{
    ata_identify_page(a, a->identify);
    a->phase = ATA_PIO_IN;
    a->from_disk = false;
    a->xfer = a->identify;
    a->pos = 0;
    a->len = ATA_SECTOR;
    a->status = ST_DRDY | ST_DSC | ST_DRQ;
    ata_interrupt(a);
}

static void ata_set_multiple(struct ata *a)
{
    /* Block sizes are powers of two up to word 47's maximum; 0 disables. */
    if (a->count > ATA_MAX_MULTIPLE || (a->count & (a->count - 1))) {
        ata_fail(a, ER_ABRT);
        return;
    }
    a->multiple = a->count;
    ata_done(a);
}

static void ata_init_params(struct ata *a)
{
    if (!a->count) {
        ata_fail(a, ER_ABRT);
        return;
    }
    a->cur_heads = (a->device & 0x0F) + 1;
    a->cur_spt = a->count;
    ata_done(a);
}

static void ata_verify(struct ata *a)
{
    uint32_t lba, n = a->count ? a->count : 256;
    if (!ata_address(a, &lba) || lba >= a->sectors || n > a->sectors - lba) {
        ata_fail(a, ER_IDNF);
        return;
    }
    ata_done(a);
}

static void ata_set_features(struct ata *a)
{
    switch (a->features) {
    case 0x02: case 0x82:   /* write cache on/off */
    case 0x03:              /* set transfer mode */
    case 0x55: case 0xAA:   /* read look-ahead off/on */
    case 0x66: case 0xCC:   /* revert to power-on defaults off/on */
        ata_done(a);
        break;
    default:
        ata_fail(a, ER_ABRT);
        break;
    }
}

static void ata_command(struct ata *a, uint8_t cmd)
{
    /* Both devices execute EXECUTE DEVICE DIAGNOSTIC; nothing else reaches
     * an absent device 1. */
    if ((a->device & DEV_SLAVE) && cmd != 0x90)
        return;
    a->intrq = false;
    a->phase = ATA_IDLE;
    switch (cmd) {
    case 0x20: case 0x21: ata_start(a, ATA_PIO_IN, 1); break;
    case 0x30: case 0x31: ata_start(a, ATA_PIO_OUT, 1); break;
    case 0xC4: case 0xC5:
        if (!a->multiple)
            ata_fail(a, ER_ABRT);
        else
            ata_start(a, cmd == 0xC4 ? ATA_PIO_IN : ATA_PIO_OUT, a->multiple);
        break;
    case 0xEC: ata_identify(a); break;
    case 0xC6: ata_set_multiple(a); break;
    case 0x91: ata_init_params(a); break;
    case 0x40: case 0x41: ata_verify(a); break;
    case 0xEF: ata_set_features(a); break;
    case 0x90: ata_signature(a); ata_interrupt(a); break;
    case 0xE5: a->count = 0xFF; ata_done(a); break;        /* CHECK POWER: active */
    case 0xE0: case 0xE1: case 0xE2: case 0xE3: case 0xE7:
        ata_done(a);
        break;
    default:
        if ((cmd & 0xF0) == 0x10 || (cmd & 0xF0) == 0x70)
            ata_done(a);    /* RECALIBRATE, SEEK: nothing moves */
        else
            ata_fail(a, ER_ABRT);
        break;
    }
}

static void ata_control(struct ata *a, uint8_t val)
{
    bool was = a->control & CTL_SRST;
    a->control = val;
    if ((val & CTL_SRST) && !was) {
        a->phase = ATA_IDLE;
        a->intrq = false;
        a->status = ST_BSY;
    } else if (!(val & CTL_SRST) && was) {
        ata_signature(a);       /* reset completes at once; no interrupt */
        a->cur_heads = a->heads;
        a->cur_spt = a->spt;
    }
}

static uint16_t ata_data_in(struct ata *a)
{
    uint16_t v;
    if (a->phase != ATA_PIO_IN)
        return 0;
    v = (uint16_t)(a->xfer[a->pos] | a->xfer[a->pos + 1] << 8);
    a->pos += 2;
    if (a->pos >= a->len)
        ata_block_done(a);
    return v;
}

static void ata_data_out(struct ata *a, uint16_t v)
{
    if (a->phase != ATA_PIO_OUT)
        return;
    a->xfer[a->pos] = (uint8_t)v;
    a->xfer[a->pos + 1] = (uint8_t)(v >> 8);
    a->pos += 2;
    if (a->pos >= a->len)
        ata_block_done(a);
}

static uint8_t ata_status(struct ata *a, bool clear)
{
    if (a->device & DEV_SLAVE)
        return 0;       /* absent device 1: device 0 answers 00h */
    if (clear) {
        a->intrq = false;
        ata_update(a);
    }
    return a->status;
}

int ata_status_read(const struct ata *a, bool *acks)
{
    *acks = false;
    if (!ata_present(a))
        return 0xff;
    if (a->device & DEV_SLAVE)
        return 0;
    *acks = a->intrq;
    return a->status & ST_BSY ? -1 : a->status;
}

uint32_t ata_in(void *ata, uint16_t port, int size, uint64_t now)
{
    struct ata *a = ata;
    (void)now;
    if (!ata_present(a))
        return 0xFFFFFFFFu;     /* no device on the channel: the bus floats */
    if (port == a->ctl)
        return ata_status(a, false);
    switch (port - a->base) {
    case 0:
        /* A dword is two words; a byte read still consumes a word. */
        if (size == VDEV_W32)
            return ata_data_in(a) | (uint32_t)ata_data_in(a) << 16;
        return ata_data_in(a);
    case 1: return a->error;
    case 2: return a->count;
    case 3: return a->lba_lo;
    case 4: return a->lba_mid;
    case 5: return a->lba_hi;
    case 6: return a->device;
    default: return ata_status(a, true);
    }
}

void ata_out(void *ata, uint16_t port, int size, uint32_t val, uint64_t now)
{
    struct ata *a = ata;
    (void)now;
    if (!ata_present(a))
        return;
    if (port == a->ctl) {
        ata_control(a, (uint8_t)val);
        ata_update(a);
        return;
    }
    if (a->status & ST_BSY)
        return;         /* registers are not writable while BSY */
    switch (port - a->base) {
    case 0:
        ata_data_out(a, (uint16_t)val);
        if (size == VDEV_W32)
            ata_data_out(a, (uint16_t)(val >> 16));
        break;
    case 1: a->features = (uint8_t)val; break;
    case 2: a->count = (uint8_t)val; break;
    case 3: a->lba_lo = (uint8_t)val; break;
    case 4: a->lba_mid = (uint8_t)val; break;
    case 5: a->lba_hi = (uint8_t)val; break;
    case 6: a->device = (uint8_t)val; break;
    default: ata_command(a, (uint8_t)val); break;
    }
    ata_update(a);
}

/* rep insw/insd and outsw/outsd on the data port (ports_register_runs):
 * the elements that lie wholly inside the DRQ block, copied at once, and
 * the block ended as the last single access would end it.  An element
 * that would straddle the block's end (insw and insd mixed), a byte access
 * and any other phase go the single way (ata_in, ata_out).  (BSY, a soft
 * reset, leaves no data phase; within a block nothing moves the INTRQ
 * line, so a run needs no ata_update of its own.) */
static size_t ata_run(const struct ata *a, uint16_t port, int size, size_t n, enum ata_phase phase)
{
    if (!ata_present(a) || port != a->base || size == VDEV_W8 || a->phase != phase)
        return 0;
    size_t fit = (a->len - a->pos) / (uint32_t)size;
    return fit < n ? fit : n;
}

/* run elements of size bytes moved: the block ends as the last single access would end it */
static void ata_run_moved(struct ata *a, size_t run, int size)
{
    a->pos += (uint32_t)(run * (size_t)size);
    if (a->pos >= a->len)
        ata_block_done(a);
}

static size_t ata_ins(void *ata, uint16_t port, int size, void *buf, size_t n, uint64_t now)
{
    struct ata *a = ata;
    (void)now;
    size_t run = ata_run(a, port, size, n, ATA_PIO_IN);
    if (run) {
        __builtin_memcpy(buf, a->xfer + a->pos, run * (size_t)size);
        ata_run_moved(a, run, size);
    }
    return run;
}

static size_t ata_outs(void *ata, uint16_t port, int size, const void *buf, size_t n, uint64_t now)
{
    struct ata *a = ata;
    (void)now;
    size_t run = ata_run(a, port, size, n, ATA_PIO_OUT);
    if (run) {
        __builtin_memcpy(a->xfer + a->pos, buf, run * (size_t)size);
        ata_run_moved(a, run, size);
    }
    return run;
}

void ata_init(struct ata *a, struct vdev_irq irq, int irq_num, uint8_t *disk, uint64_t bytes)
{
    uint64_t sectors = bytes / ATA_SECTOR;
    *a = (struct ata){ .irq = irq, .irq_num = irq_num, .disk = disk, .base = 0x1F0, .ctl = 0x3F6 };
    a->sectors = (uint32_t)(sectors > ATA_LBA28_MAX ? ATA_LBA28_MAX : sectors);
    a->heads = 16;
    a->spt = 63;
    sectors = a->sectors / (16 * 63);
    a->cyls = (uint16_t)(sectors < 1 ? 1 : sectors > 16383 ? 16383 : sectors);
    a->cur_heads = a->heads;
    a->cur_spt = a->spt;
    ata_signature(a);
}

bool ata_attach(struct ata *a, struct ports *ports, uint16_t base, uint16_t ctl)
{
    a->base = base;
    a->ctl = ctl;
    return ports_register(ports, base, base, VDEV_W8 | VDEV_W16 | VDEV_W32, a, ata_in, ata_out) &&
           ports_register_runs(ports, base, ata_ins, ata_outs) &&
           ports_register(ports, base + 1, base + 7, VDEV_W8, a, ata_in, ata_out) &&
           ports_register(ports, ctl, ctl, VDEV_W8, a, ata_in, ata_out);
}
