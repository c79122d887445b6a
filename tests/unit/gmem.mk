# The translation layer (host/vmm/gmem.c) over the real segment checks and
# page walker; the vCPU, guest RAM and the guest's end are the test's stubs.
UNIT_TESTS += gmem
gmem_SRCS := tests/unit/test_gmem.c host/vmm/gmem.c host/vmm/gpt.c host/vmm/segment.c
