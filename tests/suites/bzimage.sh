#!/bin/sh
# Linux's 32-bit boot protocol (issue 15, loader/bzimage.h): bzhello is a
# bzImage made by hand (tests/guests/bzhello.asm) that checks what the boot
# loader promised — the zero page in ESI with the setup header, the loader
# type and an e820 map, the command line (the guestarg words alone), the
# initrd module's bytes, the loader's GDT loaded (DS reloads with 0x18) —
# and prints each on COM1.  It is found as bzhello.bzImage (no bzhello.elf)
# and recognised by its contents.  Its stack shares a page with its code:
# every push is a write the host steps over, through patch blocks too.  The same image claiming protocol 2.03
# (bzold) is refused with a sentence, and the host keeps running.
. tests/qemu.sh
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
plan $((2 * 10 + 2))

for smp in 1 2; do
    log=$LOGS/bzimage-smp$smp.log
    st=$(qemu_boot "$log" "$smp" 120 "guest=bzhello guestarg=console=ttyS0 guestarg=hello oneshot panic=exit")
    check_exit "bzhello-smp$smp/exit-status" "$st" 1
    check "bzhello-smp$smp/boot-protocol" has "guest bzhello: Linux boot protocol 2.15: kernel at 0x100000 .* initrd bzhello.initrd"
    check "bzhello-smp$smp/zero-page" has "\[bzhello\] bzhello: the zero page has HdrS at 0x202"
    check "bzhello-smp$smp/type-of-loader" has "\[bzhello\] bzhello: type_of_loader 0xff"
    check "bzhello-smp$smp/e820" has "\[bzhello\] bzhello: e820 entries 0x04"
    check "bzhello-smp$smp/command-line" has "\[bzhello\] bzhello: command line: console=ttyS0 hello"
    check "bzhello-smp$smp/initrd" has "\[bzhello\] bzhello: the initrd says hello"
    check "bzhello-smp$smp/boot-gdt" has "\[bzhello\] bzhello: DS reloaded with __BOOT_DS 0x18"
    check "bzhello-smp$smp/exited-0" has "guest bzhello: exited (wrote 0 to the debug-exit port)"
    check "bzhello-smp$smp/stack-writes-stepped" has "guest bzhello: scan on execute: .* [1-9][0-9]* writes stepped"
done

log=$LOGS/bzimage-old.log
st=$(qemu_boot "$log" 2 120 "guest=bzold monitor=guests;poweroff")
check "bzold/refused" has "guest bzold: image refused: boot protocol 2.03 is too old (2.06 or later needed)"
check_exit "bzold/host-survives" "$st" 0
