/*
 * rtc.h — MC146818 real-time clock and the 128 bytes of CMOS RAM behind
 * ports 0x70 (index; bit 7 is the NMI mask, remembered but not acted on)
 * and 0x71 (data), interrupting on IRQ8.
 *
 * The clock starts at a wall time the host gives (Unix seconds) and runs on
 * virtual time.  CMOS RAM is filled like a PC BIOS would for the guest's
 * memory size, with the standard checksum at 0x2E-0x2F.
 */
#ifndef PEEL_DEV_RTC_H
#define PEEL_DEV_RTC_H

#include "host/dev/vdev.h"

#define RTC_CMOS_SIZE 128
#define RTC_CENTURY   0x32

struct ports;

struct rtc_tm {
    uint8_t sec, min, hour;         /* binary, 24 hour */
    uint8_t wday;                   /* 1..7, Sunday = 1 */
    uint8_t mday, mon;
    uint16_t year;                  /* with century */
};

struct rtc {
    uint8_t cmos[RTC_CMOS_SIZE];    /* RAM, and the alarm registers as written */
    uint8_t index;
    bool nmi_disabled;
    struct rtc_tm tm;               /* the time at second_ns */
    uint8_t reg_a, reg_b, reg_c;
    uint64_t second_ns;             /* when the current second began */
    uint64_t last;                  /* time of the last advance */
    int irq_num, level;
    struct vdev_irq irq;
};

void rtc_init(struct rtc *r, struct vdev_irq irq, int irq_num, int64_t unix_secs,
          uint64_t mem_bytes, uint64_t now);
bool rtc_attach(struct rtc *r, struct ports *ports);
void rtc_advance(struct rtc *r, uint64_t now);
uint64_t rtc_next_irq(const struct rtc *r, uint64_t now);
/* Host-side CMOS write (disk types, boot flags); keeps the checksum valid. */
void rtc_cmos_set(struct rtc *r, uint8_t index, uint8_t val);
uint32_t rtc_in(void *rtc, uint16_t port, int size, uint64_t now);
void rtc_out(void *rtc, uint16_t port, int size, uint32_t val, uint64_t now);

#endif
