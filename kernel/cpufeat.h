/* CPU features the host turns on for every CPU. */
#pragma once
#include <stdbool.h>

/* UMIP (CR4 bit 11): sgdt, sidt, sldt, str and smsw fault outside ring 0,
 * so a ring-1 guest cannot read the host's tables; without it the scanner
 * patches those instructions too. */
extern bool cpu_has_umip;
void cpufeat_init(void);            /* on each CPU */
