#!/bin/sh
# Capture QEMU's ACPI tables (as the kernel sees them, via its acpidump
# option) into tests/data/acpi-qemu-smpN.txt for the ACPI unit tests.
# Lines: "RSDP <len> <hex>" and "<phys hex> <len> <hex>".
# Usage: sh tests/data/capture-acpi.sh 8      (after make iso)
. tests/qemu.sh
smp=${1:-8}
log=$(mktemp)
st=$(qemu_boot "$log" "$smp" 60 "acpidump nosmp monitor=poweroff")
if [ "$st" != 0 ]; then      # a cut-short dump must not become test data
    echo "capture-acpi: $(describe_status "$st"), expected a poweroff; tests/data left as it was (log: $log)" >&2
    exit 1
fi
grep '^ACPI ' "$log" | tr -d '\r' | sed 's/^ACPI //' | awk '!seen[$1]++' > "tests/data/acpi-qemu-smp$smp.txt"
rm -f "$log" "$log.qemu"
wc -l "tests/data/acpi-qemu-smp$smp.txt"
