# Virtual device models (host/dev/) and their unit tests.
DEV_TESTS := pic pit uart ports ata rtc kbc vga bda pci

UNIT_TESTS += $(addprefix dev_,$(DEV_TESTS))
dev_pic_SRCS   := tests/unit/test_pic.c host/dev/pic.c host/dev/ports.c
dev_pit_SRCS   := tests/unit/test_pit.c host/dev/pit.c host/dev/pit_count.c host/dev/pic.c host/dev/ports.c
dev_uart_SRCS  := tests/unit/test_uart.c host/dev/uart.c host/dev/ports.c
dev_ports_SRCS := tests/unit/test_ports.c host/dev/ports.c
dev_rtc_SRCS   := tests/unit/test_rtc.c host/dev/rtc.c host/dev/ports.c
dev_kbc_SRCS   := tests/unit/test_kbc.c host/dev/kbc.c host/dev/ports.c
dev_vga_SRCS   := tests/unit/test_vga.c host/dev/vga.c host/dev/ports.c
dev_bda_SRCS   := tests/unit/test_bda.c host/dev/bda.c
dev_pci_SRCS   := tests/unit/test_pci.c host/dev/pci.c host/dev/ports.c
dev_ata_SRCS   := tests/unit/test_ata.c host/dev/ata.c host/dev/ata_identify.c host/dev/ports.c

# The unit rule lists only sources; headers matter too.
$(foreach t,$(DEV_TESTS),$(eval $(BUILD)/unit/dev_$(t): $(wildcard host/dev/*.h) tests/unit/dev_harness.h))
