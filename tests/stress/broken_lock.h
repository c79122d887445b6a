/* A lock that does not exclude: the lock-torture suite's control. */
#pragma once
#include <stdint.h>

struct broken_lock { volatile uint32_t locked; };

void broken_lock(struct broken_lock *l);
void broken_unlock(struct broken_lock *l);
