/*
 * rtc.c — MC146818A after the Motorola datasheet, with PC CMOS conventions.
 *
 *  - "The UIP bit is set 244 us before the update cycle begins": reads with
 *    UIP clear are consistent until then.  Our update is instantaneous at
 *    the end of the window.
 *  - Flags PF, AF, UF in register C are set whatever the enables say; IRQF
 *    and the IRQ line follow flag AND enable; "all flag bits are cleared
 *    after register C is read".  A guest that never reads C gets no more
 *    interrupts — the classic lost-RTC-interrupt bug is real hardware too.
 *  - Setting SET stops updates and clears UIE; the divider (DV = 010 in
 *    register A) must run for time or periodic interrupts to advance.
 */
#include "host/dev/rtc.h"
#include "host/dev/ports.h"

enum {
    A_UIP = 0x80, A_DV_NORMAL = 0x20,
    B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_BINARY = 0x04, B_24H = 0x02,
    C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10,
    D_VRT = 0x80,
};

#define RTC_HZ     32768u
#define UIP_WINDOW 244000u              /* ns */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t rtc_days(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    return era * 146097 + (int64_t)(yoe * 365 + yoe / 4 - yoe / 100 + doy) - 719468;
}

static void rtc_date(int64_t z, struct rtc_tm *tm)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    tm->mday = (uint8_t)(doy - (153 * mp + 2) / 5 + 1);
    tm->mon = (uint8_t)(mp < 10 ? mp + 3 : mp - 9);
    tm->year = (uint16_t)(yoe + era * 400 + (tm->mon <= 2));
}

static int64_t rtc_secs(const struct rtc_tm *tm)
{
    unsigned mon = tm->mon < 1 ? 1 : tm->mon > 12 ? 12 : tm->mon;
    unsigned mday = tm->mday < 1 ? 1 : tm->mday;
    return rtc_days(tm->year, mon, mday) * 86400 + tm->hour * 3600 + tm->min * 60 + tm->sec;
}

static void rtc_set_secs(struct rtc_tm *tm, int64_t t)
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t rest = t - days * 86400;
    rtc_date(days, tm);
    tm->hour = (uint8_t)(rest / 3600);
    tm->min = (uint8_t)(rest / 60 % 60);
    tm->sec = (uint8_t)(rest % 60);
    tm->wday = (uint8_t)((days % 7 + 11) % 7 + 1);  /* 1970-01-01 was a Thursday */
}

static bool rtc_running(const struct rtc *r)
{
    return (r->reg_a & 0x70) == A_DV_NORMAL && !(r->reg_b & B_SET);
}

static uint32_t rtc_period(const struct rtc *r)
{
    unsigned rs = r->reg_a & 0x0F;
    if (!rs || (r->reg_a & 0x70) != A_DV_NORMAL)
        return 0;
    if (rs < 3)
        rs += 7;        /* rates 1 and 2 repeat 8 and 9 at 32.768 kHz */
    return 1u << (rs - 1);  /* in 32768 Hz ticks */
}

static uint8_t rtc_to_reg(const struct rtc *r, unsigned v)
{
    return (r->reg_b & B_BINARY) ? (uint8_t)v : (uint8_t)(v / 10 % 10 << 4 | v % 10);
}

static unsigned rtc_from_reg(const struct rtc *r, uint8_t v)
{
    return (r->reg_b & B_BINARY) ? v : (v >> 4) * 10u + (v & 15);
}

static uint8_t rtc_hour_reg(const struct rtc *r, unsigned hour)
{
    if (r->reg_b & B_24H)
        return rtc_to_reg(r, hour);
    return (uint8_t)(rtc_to_reg(r, hour % 12 ? hour % 12 : 12) | (hour >= 12 ? 0x80 : 0));
}

static unsigned rtc_hour_from_reg(const struct rtc *r, uint8_t v)
{
    if (r->reg_b & B_24H)
        return rtc_from_reg(r, v);
    return rtc_from_reg(r, v & 0x7F) % 12 + ((v & 0x80) ? 12 : 0);
}

static void rtc_update_irq(struct rtc *r)
{
    int level;
    r->reg_c &= 0x70;
    if (r->reg_c & r->reg_b & 0x70)
        r->reg_c |= C_IRQF;
    level = (r->reg_c & C_IRQF) != 0;
    if (level == r->level)
        return;
    r->level = level;
    vdev_irq_drive(&r->irq, r->irq_num, level);
}

/* Alarm bytes 0xC0-0xFF are "don't care". */
static bool rtc_alarm_match(const struct rtc *r)
{
    const uint8_t *a = r->cmos;
    return (a[1] >= 0xC0 || a[1] == rtc_to_reg(r, r->tm.sec)) &&
           (a[3] >= 0xC0 || a[3] == rtc_to_reg(r, r->tm.min)) &&
           (a[5] >= 0xC0 || a[5] == rtc_hour_reg(r, r->tm.hour));
}

/* Bring the clock to now: whole seconds elapsed become update cycles.  A
 * long step checks the alarm at its end only; the host's rtc_next_irq()
 * wakes us every second while AIE or UIE is on. */
static void rtc_tick(struct rtc *r, uint64_t now)
{
    uint64_t secs;
    if (!rtc_running(r) || now < r->second_ns)
        return;
    secs = (now - r->second_ns) / VDEV_NS_PER_SEC;
    if (!secs)
        return;
    int64_t before = rtc_days(r->tm.year, r->tm.mon ? r->tm.mon : 1, r->tm.mday ? r->tm.mday : 1);
    uint8_t wday = r->tm.wday;
    rtc_set_secs(&r->tm, rtc_secs(&r->tm) + (int64_t)secs);
    /* The day of week register counts on from whatever the guest set. */
    int64_t days = rtc_days(r->tm.year, r->tm.mon, r->tm.mday) - before;
    r->tm.wday = (uint8_t)((((wday ? wday : 1) - 1 + days % 7) % 7 + 7) % 7 + 1);
    r->second_ns += secs * VDEV_NS_PER_SEC;
    r->reg_c |= C_UF;
    if (rtc_alarm_match(r))
        r->reg_c |= C_AF;
}

void rtc_advance(struct rtc *r, uint64_t now)
{
    uint32_t p = rtc_period(r);
    if (now < r->last)
        now = r->last;
    if (p && vdev_ticks(now, RTC_HZ) / p != vdev_ticks(r->last, RTC_HZ) / p)
        r->reg_c |= C_PF;
    rtc_tick(r, now);
    r->last = now;
    rtc_update_irq(r);
}

uint64_t rtc_next_irq(const struct rtc *r, uint64_t now)
{
    uint64_t next = VDEV_NEVER;
    uint32_t p = rtc_period(r);
    if (r->reg_c & C_IRQF)
        return VDEV_NEVER;      /* no new edge until register C is read */
    if (now < r->last)
        now = r->last;
    if (p && (r->reg_b & B_PIE))
        next = vdev_ns((vdev_ticks(now, RTC_HZ) / p + 1) * p, RTC_HZ);
    if ((r->reg_b & (B_UIE | B_AIE)) && rtc_running(r)) {
        uint64_t s = r->second_ns + ((now - r->second_ns) / VDEV_NS_PER_SEC + 1) * VDEV_NS_PER_SEC;
        next = s < next ? s : next;
    }
    return next;
}

static uint8_t rtc_reg_a(const struct rtc *r, uint64_t now)
{
    bool uip = rtc_running(r) &&
           (now - r->second_ns) % VDEV_NS_PER_SEC >= VDEV_NS_PER_SEC - UIP_WINDOW;
    return (uint8_t)(r->reg_a | (uip ? A_UIP : 0));
}

static uint8_t rtc_read(struct rtc *r, uint8_t idx, uint64_t now)
{
    uint8_t v;
    switch (idx) {
    case 0x00: return rtc_to_reg(r, r->tm.sec);
    case 0x02: return rtc_to_reg(r, r->tm.min);
    case 0x04: return rtc_hour_reg(r, r->tm.hour);
    case 0x06: return rtc_to_reg(r, r->tm.wday);
    case 0x07: return rtc_to_reg(r, r->tm.mday);
    case 0x08: return rtc_to_reg(r, r->tm.mon);
    case 0x09: return rtc_to_reg(r, r->tm.year % 100);
    case RTC_CENTURY: return rtc_to_reg(r, r->tm.year / 100 % 100);
    case 0x0A: return rtc_reg_a(r, now);
    case 0x0B: return r->reg_b;
    case 0x0C:
        v = r->reg_c;
        r->reg_c = 0;
        rtc_update_irq(r);
        return v;
    case 0x0D: return D_VRT;
    default: return r->cmos[idx];
    }
}

static uint8_t rtc_clamp(unsigned v, unsigned lo, unsigned hi)
{
    return (uint8_t)(v < lo ? lo : v > hi ? hi : v);
}

static void rtc_write_b(struct rtc *r, uint8_t val, uint64_t now)
{
    if ((val & B_SET) && !(r->reg_b & B_SET))
        val &= ~B_UIE;  /* "UIE is cleared when SET is written to one" */
    if (!(val & B_SET) && (r->reg_b & B_SET))
        r->second_ns = now;     /* the update chain restarts from here */
    r->reg_b = val;
}

static void rtc_write(struct rtc *r, uint8_t idx, uint8_t val, uint64_t now)
{
    unsigned v = rtc_from_reg(r, val);
    switch (idx) {
    case 0x00: r->tm.sec = rtc_clamp(v, 0, 59); break;
    case 0x02: r->tm.min = rtc_clamp(v, 0, 59); break;
    case 0x04: r->tm.hour = rtc_clamp(rtc_hour_from_reg(r, val), 0, 23); break;
    case 0x06: r->tm.wday = rtc_clamp(v, 1, 7); break;
    case 0x07: r->tm.mday = rtc_clamp(v, 1, 31); break;
    case 0x08: r->tm.mon = rtc_clamp(v, 1, 12); break;
    case 0x09: r->tm.year = (uint16_t)(r->tm.year / 100 * 100 + v % 100); break;
    case RTC_CENTURY: r->tm.year = (uint16_t)(v % 100 * 100 + r->tm.year % 100); break;
    case 0x0A:
        if ((val & 0x70) == A_DV_NORMAL && (r->reg_a & 0x70) != A_DV_NORMAL)
            r->second_ns = now;     /* leaving divider reset */
        r->reg_a = val & 0x7F;
        break;
    case 0x0B: rtc_write_b(r, val, now); break;
    case 0x0C: case 0x0D: break;    /* read only */
    default: r->cmos[idx] = val; break;
    }
}

uint32_t rtc_in(void *rtc, uint16_t port, int size, uint64_t now)
{
    struct rtc *r = rtc;
    uint8_t v;
    (void)size;
    if (port == 0x70)
        return 0xFF;    /* the index register is write only */
    rtc_advance(r, now);
    v = rtc_read(r, r->index, now);
    return v;
}

void rtc_out(void *rtc, uint16_t port, int size, uint32_t val, uint64_t now)
{
    struct rtc *r = rtc;
    (void)size;
    if (port == 0x70) {
        r->index = val & 0x7F;
        r->nmi_disabled = val & 0x80;
        return;
    }
    rtc_advance(r, now);
    rtc_write(r, r->index, (uint8_t)val, now);
    rtc_update_irq(r);
}

static void rtc_checksum(struct rtc *r)
{
    uint16_t sum = 0;
    for (int i = 0x10; i <= 0x2D; i++)
        sum = (uint16_t)(sum + r->cmos[i]);
    r->cmos[0x2E] = (uint8_t)(sum >> 8);
    r->cmos[0x2F] = (uint8_t)sum;
}

void rtc_cmos_set(struct rtc *r, uint8_t index, uint8_t val)
{
    if (index < 0x0E || index >= RTC_CMOS_SIZE || index == RTC_CENTURY)
        return;         /* clock registers belong to the guest */
    r->cmos[index] = val;
    rtc_checksum(r);
}

static void rtc_put16(struct rtc *r, int index, uint64_t v)
{
    if (v > 0xFFFF)
        v = 0xFFFF;
    r->cmos[index] = (uint8_t)v;
    r->cmos[index + 1] = (uint8_t)(v >> 8);
}

/* The memory size fields a BIOS fills (QEMU's layout): KB below 640K, KB
 * from 1M to 64M, 64K units from 16M, 64K units above 4G. */
static void rtc_memory(struct rtc *r, uint64_t mem)
{
    const uint64_t k = 1024, m = k * k, g4 = 4 * k * m;
    uint64_t below4g = mem < g4 ? mem : g4;
    uint64_t above4g = (mem > g4 ? mem - g4 : 0) / (64 * k);
    rtc_put16(r, 0x15, 640);
    rtc_put16(r, 0x17, below4g > m ? (below4g - m) / k : 0);
    rtc_put16(r, 0x30, below4g > m ? (below4g - m) / k : 0);
    rtc_put16(r, 0x34, below4g > 16 * m ? (below4g - 16 * m) / (64 * k) : 0);
    r->cmos[0x5B] = (uint8_t)above4g;
    r->cmos[0x5C] = (uint8_t)(above4g >> 8);
    r->cmos[0x5D] = (uint8_t)(above4g >> 16);
}

void rtc_init(struct rtc *r, struct vdev_irq irq, int irq_num, int64_t unix_secs,
          uint64_t mem_bytes, uint64_t now)
{
    *r = (struct rtc){ .irq = irq, .irq_num = irq_num, .second_ns = now, .last = now };
    rtc_set_secs(&r->tm, unix_secs);
    r->reg_a = A_DV_NORMAL | 0x06;  /* 32.768 kHz, 1024 Hz periodic rate */
    r->reg_b = B_24H;               /* BCD, 24 hour, as PC BIOSes leave it */
    r->cmos[0x14] = 0x02;           /* equipment: FPU, EGA/VGA, no floppy */
    rtc_memory(r, mem_bytes);
    rtc_checksum(r);
}

bool rtc_attach(struct rtc *r, struct ports *ports)
{
    return ports_register(ports, 0x70, 0x71, VDEV_W8, r, rtc_in, rtc_out);
}
