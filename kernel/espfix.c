#include "kernel/espfix.h"
#include "kernel/vm.h"
#include "kernel/panic.h"

void espfix_init(void)
{
    for (unsigned i = 0; i < ncpus; i++) {
        uint64_t window = ESPFIX_BASE + ((uint64_t)i << 32);
        if (!vm_alias_4g(window))
            panic("espfix: no memory for cpu %u's window", i);
        cpu_of(i)->espfix_base = window;
    }
}
