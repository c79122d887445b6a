# Unit tests of the host kernel's pure logic (run on the build machine with
# sanitizers; see the Makefile's unit_rule).
UNIT_TESTS += pmm heap runq acpi cmdline multiboot2 manifest
pmm_SRCS        := tests/unit/test_pmm.c kernel/pmm.c
heap_SRCS       := tests/unit/test_heap.c kernel/heap.c
runq_SRCS       := tests/unit/test_runq.c sched/runq.c
acpi_SRCS       := tests/unit/test_acpi.c smp/acpi.c
cmdline_SRCS    := tests/unit/test_cmdline.c kernel/cmdline.c
multiboot2_SRCS := tests/unit/test_multiboot2.c boot/multiboot2.c
manifest_SRCS   := tests/unit/test_manifest.c host/peel/manifest.c kernel/fmt.c

# The containment rule for guest segments.
UNIT_TESTS += segment
segment_SRCS    := tests/unit/test_segment.c host/vmm/segment.c

# The capacity probe's estimate: how many CPUs ran at once.
UNIT_TESTS += capacity
capacity_SRCS   := tests/unit/test_capacity.c
