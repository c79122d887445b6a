/* Emulating what a ring-1 guest kernel may not do itself. */
#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "kernel/trap.h"

struct vcpu;
void emulate_trap(struct vcpu *v, struct trapframe *tf);
uint32_t vcpu_guest_eflags(struct vcpu *v, struct trapframe *tf);
void vcpu_reflect(struct vcpu *v, struct trapframe *tf, unsigned vector, bool has_error, uint32_t error);
void vcpu_halt(struct vcpu *v, struct trapframe *tf);
