/* Fault injection: with failalloc=RATE,SEED on the command line, once armed
 * (after boot, by the stress suite), one page or heap allocation in RATE
 * fails, chosen by a seeded generator. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

void failalloc_configure(uint32_t rate, uint32_t seed);
void failalloc_arm(bool on);
bool failalloc_should_fail(void);
uint64_t failalloc_injected(void);
