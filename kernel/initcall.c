#include "kernel/initcall.h"

extern const struct initcall __initcall_start[], __initcall_end[];

void initcalls_run(enum initcall_stage stage)
{
    for (const struct initcall *c = __initcall_start; c < __initcall_end; c++)
        if (c->stage == stage)
            c->fn();
}
