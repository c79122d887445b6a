#!/bin/sh
# Shared by tests/stress/run.sh (make stress) and tests/suites/stress-short.sh:
# boot the ISO with stress= words and turn its STRESS lines into TAP and CSV.
. tests/qemu.sh

STRESS_ALL=12          # rows of tests/stress/cases.c in stress=all (hang-control is explicit only)

# stress_limit CASES SECS: a wall-clock bound for one boot.  The kernel gives
# a stuck case 30 s past its deadline before ending the run itself; TCG with
# many vCPUs on few host cores needs slack for setup, joins and leak checks.
stress_limit() {
    echo $(( $1 * ($2 + 15) + 90 ))
}

# stress_boot LOG SMP LIMIT WORDS: prints QEMU's exit status
stress_boot() {
    qemu_boot "$1" "$2" "$3" "$4 panic=exit"
}

# stress_csv LOG MODE: the log's STRESS lines as CSV rows
# mode,cpus,case,secs,ops,ops_per_sec,injected,alloc_failures,result,detail
stress_csv() {
    tr -d '\r' < "$1" | awk -v mode="$2" '
    function val(k,   m) {
        if (match($0, " " k "=[^ ]*")) { m = substr($0, RSTART + length(k) + 2, RLENGTH - length(k) - 2); return m }
        return ""
    }
    /^STRESS / {
        d = ""
        if (match($0, /detail="[^"]*"/)) d = substr($0, RSTART + 8, RLENGTH - 9)
        gsub(/,/, ";", d)
        printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", mode, val("cpus"), val("case"), val("secs"), val("ops"),
               val("ops_per_sec"), val("injected"), val("alloc_failures"), val("result"), d
    }'
}

# stress_tap LOG PREFIX: one TAP line per STRESS line
stress_tap() {
    tr -d '\r' < "$1" | awk -v pre="$2" '
    /^STRESS / {
        name = ""; res = ""; d = ""
        if (match($0, / case=[^ ]*/)) name = substr($0, RSTART + 6, RLENGTH - 6)
        if (match($0, / result=[^ ]*/)) res = substr($0, RSTART + 8, RLENGTH - 8)
        if (match($0, /detail="[^"]*"/)) d = substr($0, RSTART + 8, RLENGTH - 9)
        if (res == "pass") print "ok - " pre "/" name
        else if (res == "skip") print "ok - " pre "/" name " # SKIP " d
        else print "not ok - " pre "/" name " # " d
    }'
}

# stress_check_run LOG STATUS PREFIX EXPECTED: the run as a whole ended well
# (status 1 = EXIT_PASS) and reported as many cases as it was asked for.
stress_check_run() {
    n=$(grep -ac '^STRESS ' "$1")
    if [ "$2" != 1 ]; then
        echo "not ok - $3/run $(describe_status "$2") (log: $1)"
    elif [ "$n" != "$4" ]; then
        echo "not ok - $3/run reported $n of $4 cases (log: $1)"
    else
        echo "ok - $3/run"
    fi
}

# stress_hang_control LOG SMP PREFIX: the watchdog must end the run with
# EXIT_HANG (QEMU status 7) and a backtrace of the stuck CPU.
stress_hang_control() {
    status=$(stress_boot "$1" "$2" 60 "stress=hang-control")
    if [ "$status" = 7 ] && grep -aq "watchdog: cpu [0-9]* stuck at rip" "$1" \
        && grep -aq "spin_with_interrupts_off" "$1"; then
        echo "ok - $3/hang-control # watchdog fired, backtrace printed"
    else
        echo "not ok - $3/hang-control watchdog did not catch the hang: $(describe_status "$status") (log: $1)"
    fi
}

# stalled_boot LOG SMP LIMIT WORDS: qemu_boot while QEMU is frozen
# (SIGSTOP) for 10-90 ms every 100-900 ms, as a loaded machine deschedules
# it: the guest's virtual time jumps, timers come due between two of its
# traps, several at once.  Prints QEMU's exit status.
stalled_boot() {
    st=$(mktemp)
    qemu_boot "$@" > "$st" &
    boot=$!
    pid=
    while [ -z "$pid" ] && kill -0 "$boot" 2>/dev/null; do
        for p in $(pgrep -f -- "-serial file:$1 "); do     # QEMU, not its timeout
            case $(cat "/proc/$p/comm" 2>/dev/null) in qemu*) pid=$p ;; esac
        done
        [ -n "$pid" ] || sleep 0.1
    done
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
        sleep "0.$(( $(od -An -N1 -tu1 /dev/urandom) % 9 + 1 ))"
        kill -STOP "$pid" 2>/dev/null
        sleep "0.0$(( $(od -An -N1 -tu1 /dev/urandom) % 9 + 1 ))"
        kill -CONT "$pid" 2>/dev/null
    done
    wait "$boot"
    cat "$st"
    rm -f "$st"
}
