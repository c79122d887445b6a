#include "kernel/failalloc.h"

static uint32_t rate;
static volatile bool armed;
static uint64_t state;
static uint64_t injected;

void failalloc_configure(uint32_t r, uint32_t seed)
{
    rate = r;
    state = seed ? seed : 1;
}

void failalloc_arm(bool on) { armed = on && rate; }
uint64_t failalloc_injected(void) { return __atomic_load_n(&injected, __ATOMIC_RELAXED); }

bool failalloc_should_fail(void)
{
    if (!armed)
        return false;
    /* one shared xorshift stream: which CPU draws which number varies, the
     * failure rate does not */
    uint64_t x = __atomic_load_n(&state, __ATOMIC_RELAXED), next;
    do {
        next = x ^ (x << 13);
        next ^= next >> 7;
        next ^= next << 17;
    } while (!__atomic_compare_exchange_n(&state, &x, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    if (next % rate)
        return false;
    __atomic_add_fetch(&injected, 1, __ATOMIC_RELAXED);
    return true;
}
