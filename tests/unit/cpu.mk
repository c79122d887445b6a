# The virtual CPU's pure tables: the CPUID policy (host/vmm/cpuid.c), the
# MSR table (host/vmm/msr.c) and the debug registers' fixed bits (dreg.h).
UNIT_TESTS += cpu
cpu_SRCS := tests/unit/test_cpu.c host/vmm/cpuid.c host/vmm/msr.c
$(BUILD)/unit/cpu: host/vmm/cpuid.h host/vmm/msr.h host/vmm/dreg.h kernel/x86-defs.h
