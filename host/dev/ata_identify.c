/*
 * ata_identify.c — the 512-byte IDENTIFY DEVICE page (ATA/ATAPI-4 8.12),
 * kept apart from the command state machine in ata.c.
 */
#include "host/dev/ata.h"

/* ATA strings: two characters per word, the first in the high byte. */
static void ata_id_string(uint8_t *id, int word, int chars, const char *s)
{
    bool end = false;
    for (int i = 0; i < chars; i++) {
        end = end || !s[i];
        id[2 * word + (i ^ 1)] = end ? ' ' : (uint8_t)s[i];
    }
}

static void ata_id_word(uint8_t *id, int word, uint32_t v)
{
    id[2 * word] = (uint8_t)v;
    id[2 * word + 1] = (uint8_t)(v >> 8);
}

void ata_identify_page(const struct ata *a, uint8_t *id)
{
    uint32_t cur_cyls = a->sectors / ((uint32_t)a->cur_heads * a->cur_spt);
    uint32_t cur_cap;
    uint8_t sum = 0;
    if (cur_cyls > 65535)
        cur_cyls = 65535;
    cur_cap = cur_cyls * a->cur_heads * a->cur_spt;
    for (int i = 0; i < (int)ATA_SECTOR; i++)
        id[i] = 0;
    ata_id_word(id, 0, 0x0040);                     /* fixed device */
    ata_id_word(id, 1, a->cyls);
    ata_id_word(id, 3, a->heads);
    ata_id_word(id, 6, a->spt);
    ata_id_string(id, 10, 20, "PEEL0000000000000001");
    ata_id_string(id, 23, 8, "1.0");
    ata_id_string(id, 27, 40, "PEEL VIRTUAL DISK");
    ata_id_word(id, 47, 0x8000 | ATA_MAX_MULTIPLE);
    ata_id_word(id, 49, 0x0200);                    /* LBA supported, no DMA */
    ata_id_word(id, 51, 0x0200);                    /* PIO timing mode 2 */
    ata_id_word(id, 53, 0x0003);                    /* words 54-58, 64-70 valid */
    ata_id_word(id, 54, cur_cyls);
    ata_id_word(id, 55, a->cur_heads);
    ata_id_word(id, 56, a->cur_spt);
    ata_id_word(id, 57, cur_cap & 0xFFFF);
    ata_id_word(id, 58, cur_cap >> 16);
    ata_id_word(id, 59, a->multiple ? 0x0100 | a->multiple : 0);
    ata_id_word(id, 60, a->sectors & 0xFFFF);
    ata_id_word(id, 61, a->sectors >> 16);
    ata_id_word(id, 64, 0x0003);                    /* PIO modes 3 and 4 */
    for (int w = 65; w <= 68; w++)
        ata_id_word(id, w, 120);
    ata_id_word(id, 80, 0x001E);                    /* ATA-1 .. ATA-4 */
    ata_id_word(id, 83, 0x4000);
    ata_id_word(id, 84, 0x4000);
    ata_id_word(id, 86, 0x4000);
    ata_id_word(id, 87, 0x4000);
    /* Word 255: signature A5h, then the byte that makes all 512 sum to 0. */
    id[510] = 0xA5;
    for (int i = 0; i < 511; i++)
        sum = (uint8_t)(sum + id[i]);
    id[511] = (uint8_t)-sum;
}
