#!/bin/sh
# GNU Mach on (emulated) bare metal, exactly as issue 13 runs it, and its
# transcript: the console lines from the version line through the panic
# GNU Mach reaches without a bootstrap task.
#
#   sh tests/gnumach/bare.sh [IMAGE]                run, compare with tests/gnumach/bare.txt
#   sh tests/gnumach/bare.sh --update [IMAGE]       run, rewrite tests/gnumach/bare.txt
#   sh tests/gnumach/bare.sh --run IMAGE SERIAL     run, leave the raw serial output in SERIAL
#                                                   (tests/suites/gnumach.sh); 0 if the panic came
#
# IMAGE defaults to $BUILD/guest/gnumach.elf (`make` fetches it).  After the
# panic GNU Mach busy-waits 1000 s with interrupts on (kern/debug.c's
# "give the user time to see the message", docs/gnumach.md) before halting:
# the run is stopped as soon as the panic line is on the serial file, and
# a run that has not reached it within BARE_TIMEOUT seconds is a failure.
# The comparison ignores the one line that changes from run to run, the
# RTC time; tests/suites/gnumach.sh compares hosted runs line by line with
# its own list of lines allowed to differ.
#
# The transcript keeps the bytes GNU Mach sent but for carriage returns
# (its console writes "\r\n" and starts lines with "\r"; the SCSI probe
# overwrites one line with "\r" and "ESC [K"), which the host's UART line
# assembly drops too.
BUILD=${BUILD:-build}
HERE=$(dirname "$0")
BARE_TIMEOUT=${BARE_TIMEOUT:-60}
QEMU_I386=${QEMU_I386:-qemu-system-i386}
PANIC='panic .*bootstrap_create: No bootstrap code loaded with the kernel!'

# bare_run IMAGE SERIAL: boot it, stop QEMU at the panic line; 0 if it was reached
bare_run() {
    : > "$2"
    timeout --kill-after=5 "$BARE_TIMEOUT" "$QEMU_I386" -M isapc -cpu qemu32 -m 64 -nodefaults \
        -display none -no-reboot -kernel "$1" -append console=com0 -serial "file:$2" \
        </dev/null >"$2.qemu" 2>&1 &
    pid=$!
    while kill -0 $pid 2>/dev/null && ! grep -aq -- "$PANIC" "$2"; do
        sleep 0.2
    done
    kill $pid 2>/dev/null
    wait $pid
    grep -aq -- "$PANIC" "$2"
}

# transcript < serial: from the version line through the panic line, without CRs
transcript() {
    tr -d '\r' | awk -v panic="$PANIC" '/^GNU Mach / { on = 1 } on { print } on && $0 ~ panic { exit }'
}

if [ "${1:-}" = --run ]; then
    [ $# -eq 3 ] || { echo "usage: $0 --run IMAGE SERIAL" >&2; exit 2; }
    [ -s "$2" ] || { : > "$3"; echo "bare: no image $2" >&2; exit 2; }
    bare_run "$2" "$3"
    exit
fi
update=
[ "${1:-}" = --update ] && { update=1; shift; }
IMAGE=${1:-$BUILD/guest/gnumach.elf}
[ -s "$IMAGE" ] || { echo "bare: no image $IMAGE (make $BUILD/guest/gnumach.elf fetches it)" >&2; exit 2; }
serial=$(mktemp)
trap 'rm -f "$serial" "$serial.qemu"' EXIT
if ! bare_run "$IMAGE" "$serial"; then
    echo "bare: GNU Mach did not reach the bootstrap_create panic within $BARE_TIMEOUT s; its serial output:" >&2
    cat "$serial" "$serial.qemu" >&2
    exit 1
fi
if [ -n "$update" ]; then
    transcript < "$serial" > "$HERE/bare.txt"
    echo "bare: wrote $HERE/bare.txt, $(wc -l < "$HERE/bare.txt") lines"
    exit 0
fi
if transcript < "$serial" | diff -u -I '^RTC time is ' "$HERE/bare.txt" -; then
    echo "bare: the run matches $HERE/bare.txt ($(wc -l < "$HERE/bare.txt") lines; the RTC time not compared)"
else
    echo "bare: the run differs from $HERE/bare.txt (above)" >&2
    exit 1
fi
