/*
 * pit_count.h — counting arithmetic shared by pit.c and pit_count.c; not
 * part of the device interface.
 */
#ifndef PEEL_DEV_PIT_COUNT_H
#define PEEL_DEV_PIT_COUNT_H

#include "host/dev/pit.h"

uint32_t pit_modulus(const struct pit_channel *c);
int64_t pit_raw(const struct pit_channel *c, uint64_t now);      /* ticks counted */
uint32_t pit_value(const struct pit_channel *c, uint64_t now);   /* the counter */
int pit_out_level(const struct pit_channel *c, uint64_t now);
int64_t pit_next_rise(int mode, uint32_t n, int64_t d);
uint64_t pit_rises_between(const struct pit_channel *c, uint64_t t0, uint64_t t1);
uint64_t pit_next_edge(const struct pit_channel *c, uint64_t now);
void pit_settle(struct pit_channel *c, uint64_t now);   /* apply a due pending count */

#endif
