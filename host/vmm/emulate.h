/* Emulating what a ring-1 guest kernel may not do itself. */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/trap.h"

struct vcpu;
void emulate_trap(struct vcpu *v, struct trapframe *tf);
