#!/bin/sh
# The bare-metal oracle: run a test guest image on a bare 32-bit PC
# (QEMU's isapc machine, a 32-bit CPU, 64 MiB, the image loaded by QEMU's
# own Multiboot loader), COM1 into LOG, leaving through isa-debug-exit.
#   tests/guests/bare-oracle.sh IMAGE.elf LOG [GUEST COMMAND-LINE WORDS] [TIMEOUT]
# ORACLE_MEM=128 gives that PC 128 MiB instead.  Prints QEMU's exit status
# (isa-debug-exit: (code << 1) | 1; 124 = the timeout struck; 127 = no
# qemu-system-i386).  What a guest sees there is
# what a CPU gives: the hostile guests' expectations were checked against
# it, and tests/suites/hostile.sh compares the descriptor fuzzer's digest
# with it.  (Its TCG does not check EIP against the CS limit on iret, int n
# or instruction fetch: fuzz-desc.asm and hostile-eiplimit.asm say so.)
QEMU_I386=${QEMU_I386:-qemu-system-i386}
image=$1 log=$2 words=${3:-} limit=${4:-120}
if ! command -v "$QEMU_I386" >/dev/null 2>&1; then
    echo 127
    exit 0
fi
: > "$log"
timeout --kill-after=5 "$limit" "$QEMU_I386" -M isapc -cpu qemu32 -m "${ORACLE_MEM:-64}" -nodefaults \
    -display none -no-reboot -kernel "$image" ${words:+-append "$words"} \
    -serial "file:$log" -device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >/dev/null 2>&1
echo $?
