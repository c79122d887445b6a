# The side table of trap sites (host/vmm/sites.c): the lookup every guest
# #GP(0) makes, and the batch merge the scanner's patches go in by.
UNIT_TESTS += sites
sites_SRCS := tests/unit/test_sites.c host/vmm/sites.c
