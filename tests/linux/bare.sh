#!/bin/sh
# Debian's Linux on (emulated) bare metal, the reference for hosting it
# (issue 15): an ISA PC with one 32-bit CPU, no local APIC and no PAE, PSE,
# PGE, SYSENTER, MTRR, MCA/MCE or PAT, the initramfs's /init
# (guest-image/linux/init.c) as the only process, and its transcript: the
# console lines from the version line through "peel-init: done".
#
#   sh tests/linux/bare.sh [BZIMAGE INITRD]            run, print the transcript
#   sh tests/linux/bare.sh --update [BZIMAGE INITRD]   run, rewrite tests/linux/bare.txt
#   sh tests/linux/bare.sh --run BZIMAGE INITRD SERIAL run, leave the raw serial output in SERIAL
#                                                      (for a test suite); 0 if /init got to
#                                                      "peel-init: done" with no FAIL line
#
# BZIMAGE and INITRD default to $BUILD/guest/linux.bzImage and .initrd
# (`make` fetches and builds them).  After "done" /init powers off, which
# on this board (no ACPI, no APM) halts the CPU: the run is stopped as soon
# as "done" or a kernel panic is on the serial file, and a run that has
# reached neither within BARE_TIMEOUT seconds is a failure.
#
# The transcript keeps the bytes Linux sent but for carriage returns,
# printk's "[    0.123456] " timestamps and blanks at the ends of lines.
# bare.txt is the record of one kernel, the one its first line names;
# lines such as the TSC's frequency, BogoMIPS and the RTC time change from
# run to run, and a newer kernel changes many more: what to compare is a
# test suite's business.
BUILD=${BUILD:-build}
HERE=$(dirname "$0")
BARE_TIMEOUT=${BARE_TIMEOUT:-60}
QEMU_I386=${QEMU_I386:-qemu-system-i386}
APPEND=$(cat "$HERE/../../guest-image/linux/guestargs")
DONE=${DONE:-'^peel-init: done'}     # (the busybox initramfs's: '^bb-init: done')
PANIC='Kernel panic'

# bare_run BZIMAGE INITRD SERIAL: boot it, stop QEMU at "done" or a panic; 0 if "done" came, no FAIL
bare_run() {
    : > "$3"
    timeout --kill-after=5 "$BARE_TIMEOUT" "$QEMU_I386" -M isapc \
        -cpu qemu32,-apic,-pae,-pge,-pse,-sep,-mtrr,-mca,-mce,-pat -m 64 -nodefaults \
        -display none -no-reboot -kernel "$1" -initrd "$2" -append "$APPEND" -serial "file:$3" \
        </dev/null >"$3.qemu" 2>&1 &
    pid=$!
    while kill -0 $pid 2>/dev/null && ! grep -aq -e "$DONE" -e "$PANIC" "$3"; do
        sleep 0.2
    done
    kill $pid 2>/dev/null
    wait $pid
    grep -aq "$DONE" "$3" && ! grep -aq '^peel-init: FAIL' "$3"
}

# transcript < serial: from the version line through "done", without CRs,
# timestamps and the blanks some lines end with (so the record passes the
# style check)
transcript() {
    tr -d '\r' | sed 's/^\[ *[0-9]*\.[0-9]*\] //; s/[ \t]*$//' |
        awk '/^Linux version / { on = 1 } on { print } on && /^peel-init: done/ { exit }'
}

if [ "${1:-}" = --run ]; then
    [ $# -eq 4 ] || { echo "usage: $0 --run BZIMAGE INITRD SERIAL" >&2; exit 2; }
    [ -s "$2" ] && [ -s "$3" ] || { : > "$4"; echo "bare: no image $2 or initrd $3" >&2; exit 2; }
    bare_run "$2" "$3" "$4"
    exit
fi
update=
[ "${1:-}" = --update ] && { update=1; shift; }
BZIMAGE=${1:-$BUILD/guest/linux.bzImage}
INITRD=${2:-$BUILD/guest/linux.initrd}
[ -s "$BZIMAGE" ] && [ -s "$INITRD" ] ||
    { echo "bare: no image $BZIMAGE or initrd $INITRD (make $BZIMAGE $INITRD makes them)" >&2; exit 2; }
serial=$(mktemp)
trap 'rm -f "$serial" "$serial.qemu"' EXIT
start=$(date +%s.%N)
if ! bare_run "$BZIMAGE" "$INITRD" "$serial"; then
    if grep -aq "$PANIC" "$serial"; then why="Linux panicked"
    elif grep -aq '^peel-init: FAIL' "$serial"; then why="/init reported a failed check"
    else why="/init did not reach \"peel-init: done\" within $BARE_TIMEOUT s"
    fi
    echo "bare: $why; the serial output:" >&2
    tr -d '\r' < "$serial" >&2
    cat "$serial.qemu" >&2
    exit 1
fi
took=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
if [ -n "$update" ]; then
    transcript < "$serial" > "$HERE/bare.txt"
    echo "bare: wrote $HERE/bare.txt, $(wc -l < "$HERE/bare.txt") lines (the run took $took s)"
    exit 0
fi
transcript < "$serial"
echo "bare: /init reached \"peel-init: done\", every check ok, in $took s" >&2
