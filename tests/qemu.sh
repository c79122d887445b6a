#!/bin/sh
# Boot build/peel.iso (or $ISO) in QEMU for a test: qemu_boot LOG SMP TIMEOUT "host words" [extra QEMU args...]
# With GUESTMEM set (make test GUESTMEM=128M), every boot that starts a
# guest gives it that much RAM (guestmem=, unless the words say otherwise).
# Serial goes to LOG, QEMU's own messages to LOG.qemu.  Prints QEMU's exit
# status; 124 means the timeout struck (a hang), and the log is kept either
# way.  LOG is emptied first: a QEMU that cannot start exits with status 1,
# the very status of a passing run, and must not leave an old log behind
# for the checks to read.
BUILD=${BUILD:-build}
QEMU=${QEMU:-qemu-system-x86_64}

# the words, with guestmem=$GUESTMEM added if set and not there already
guestmem_words() {
    case " $1 " in
        *" guestmem="*) printf '%s' "$1" ;;
        *) printf '%s%s' "$1" "${GUESTMEM:+ guestmem=$GUESTMEM}" ;;
    esac
}

qemu_boot() {
    log=$1 smp=$2 limit=$3 words=$(guestmem_words "$4")
    shift 4
    words=$(printf '%s' "$words" | sed 's/,/,,/g')     # QEMU option syntax: ",," is a comma
    : > "$log"
    timeout --kill-after=5 "$limit" "$QEMU" -machine pc -cpu max -accel tcg,thread=multi \
        -smp "$smp" -m 512M -display none -no-reboot -serial "file:$log" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -cdrom "${ISO:-$BUILD/peel.iso}" -boot d \
        -fw_cfg name=opt/peel/cmdline,string="$words" "$@" </dev/null >"$log.qemu" 2>&1
    echo $?
}

# qemu_converse LOG SMP TIMEOUT "host words" STEP...: like qemu_boot, but
# with the serial line on a pipe, for what must wait on the guest rather
# than on the clock.  A STEP is "until PATTERN" (wait until the log has
# PATTERN, or QEMU is gone, or the time is up) or "type LINE" (type LINE and
# a carriage return; lines typed ahead wait in QEMU's serial backend until
# the monitor reads them).
qemu_converse() {
    log=$1 smp=$2 limit=$3 words=$(guestmem_words "$4")
    shift 4
    words=$(printf '%s' "$words" | sed 's/,/,,/g')
    fifo=$(mktemp -u) && mkfifo "$fifo" || { echo 2; return; }
    : > "$log"
    timeout --kill-after=5 "$limit" "$QEMU" -machine pc -cpu max -accel tcg,thread=multi \
        -smp "$smp" -m 512M -display none -no-reboot -serial stdio \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -cdrom "${ISO:-$BUILD/peel.iso}" -boot d \
        -fw_cfg name=opt/peel/cmdline,string="$words" <"$fifo" >"$log" 2>&1 &
    pid=$!
    exec 9>"$fifo"
    trap '' PIPE                 # QEMU gone early: the checks fail, the suite goes on
    for step in "$@"; do
        case $step in
            "until "*) while ! grep -aq -- "${step#until }" "$log" && kill -0 $pid 2>/dev/null; do
                           sleep 0.2
                       done ;;
            "type "*) printf '%s\r' "${step#type }" >&9 2>/dev/null ;;
        esac
    done
    wait $pid
    st=$?
    trap - PIPE
    exec 9>&-
    rm -f "$fifo"
    echo $st
}

# isa-debug-exit: code c leaves QEMU with status (c << 1) | 1 (kernel/power.h);
# status 1 is also a oneshot guest's exit code 0.  A poweroff is 0.
describe_status() {
    case $1 in
        0) echo "powered off" ;;
        1) echo "passed (exit code 0)" ;; 3) echo "tests failed" ;; 5) echo "kernel panic" ;;
        7) echo "hang detected by the kernel" ;; 124|137) echo "timed out (hang)" ;;
        '') echo "no exit status" ;;
        *) echo "QEMU exited with status $1" ;;
    esac
}

# TAP helpers for the suites.  plan N: the suite will print N check lines
# (tests/run.sh fails it otherwise).  check NAME COMMAND... prints ok/not ok
# (with the current $log); has PATTERN greps the current $log; lacks
# PATTERN is its negation, but only for a run that got to its end (powered
# off, or left after a oneshot guest): a log cut short lacks everything.  check_exit NAME STATUS WANT: a QEMU run ended with
# status WANT (0 poweroff, 1 exit code 0) and wrote to its serial $log; a
# timeout is never what was wanted, and the log is kept.
plan() { echo "1..$1"; }
check() {
    name=$1; shift
    if "$@"; then echo "ok - $name"; else echo "not ok - $name (log: $log)"; tell_log; fi
}
# tell_log: the first failure against a log quotes, as TAP comments, what
# in it says why (a guest's FAIL line, a panic, a stop) and its last lines:
# a CI run keeps only this output, not the logs.
told=
tell_log() {
    [ -f "$log" ] && [ "$told" != "$log" ] || return 0
    told=$log
    { tr -d '\r' < "$log" | grep -a -m 8 -e 'FAIL' -e 'PANIC' -e '[Pp]anic' -e 'stopped (' -e 'unexpected'
      echo "(last lines)"; tr -d '\r' < "$log" | tail -n 4; } | cut -c1-200 | sed 's/^/#   | /' >&2
}
has() { grep -aq -- "$1" "$log"; }
lacks() { grep -aq -e "^peel: powering off" -e "^peel: oneshot: " "$log" 2>/dev/null && ! grep -aq -- "$1" "$log"; }
check_exit() {
    if [ ! -s "$log" ]; then echo "not ok - $1: $(describe_status "$2") with nothing on the serial line (did QEMU start? $log.qemu)"
    elif [ "$2" = "$3" ] && [ "$2" != 124 ] && [ "$2" != 137 ]; then echo "ok - $1"
    else echo "not ok - $1: $(describe_status "$2"), expected $(describe_status "$3") (log: $log)"; tell_log
    fi
}

# classic_digest_ok W R [GUEST]: the current $log's DIGEST, on the console
# lines of guest GUEST (default classic), equals the reference model's for
# that workload (and says both, as a TAP comment).
classic_digest_ok() {
    want=$("$BUILD/guest/classic-refmodel" "$1" "$2" | sed -n 's/^DIGEST //p')
    got=$(tr -d '\r' < "$log" | sed -n "s/^\[${3:-classic}\] DIGEST //p")
    echo "# ${name:-digest} (W=$1 R=$2): hosted $got, reference $want" >&2
    test -n "$want" -a "$got" = "$want"
}
