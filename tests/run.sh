#!/bin/sh
# Run every test and count results.
#
# Unit tests are cmocka binaries (given as arguments) that speak TAP.
# Suites are tests/suites/*.sh: each prints TAP lines "ok - name" or
# "not ok - name" and keeps its own logs under $BUILD/test-logs/.
#
# Each run must state its plan, one line "1..N", first or last: a run
# whose count of ok/not ok lines differs from its plan has lost (or grown)
# a check, and that is one more failure.  A line with the TAP directive
# "# SKIP" (either "ok" or, as cmocka prints it, "not ok") counts as
# skipped: reported, never a failure by itself, never a pass.  A run that
# exits non-zero without a failing line is a failure too.
#
# The last line is "N passed, N failed, N skipped"; the exit status is 0
# only when nothing failed.  ONLY=pattern runs the suites and unit tests
# whose names match (ONLY=unit: every unit test and no suite).
BUILD=${BUILD:-build}
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
passed=0
failed=0
skipped=0
runs=0

# tally NAME RC < log: echo the log's TAP lines with a prefix, then one
# line "@@ passed failed skipped" with the plan and exit status judged.
tally() {
    awk -v name="$1" -v rc="$2" '
    function skip(s) { return s ~ /#[ \t]*[Ss][Kk][Ii][Pp]([^A-Za-z0-9]|$)/ }
    function say(what, s) { print what " " name ": " s }
    { sub(/\r$/, "") }
    /^ok($|[ \t])/ || /^not ok($|[ \t])/ {
        seen++
        rest = /^ok/ ? substr($0, 4) : substr($0, 8)
        if (skip(rest))      { sk++; say("SKIP", rest) }
        else if (/^ok/)      { ok++; say("ok  ", rest) }
        else                 { bad++; nots++; say("FAIL", rest) }
        next
    }
    /^1\.\.[0-9]+([ \t]|$)/ {
        plans++
        plan = substr($0, 4) + 0
        if (plan == 0 && skip($0)) { sk++; say("SKIP", "the whole run: " $0) }
        next
    }
    /^#/ { say("    ", $0) }
    END {
        if (plans == 0) {
            bad++; say("FAIL", "no plan (a line \"1..N\"): its checks cannot be counted")
        } else if (plans > 1) {
            bad++; say("FAIL", "more than one plan line")
        } else if (seen != plan) {
            bad++
            say("FAIL", "planned " plan " checks, saw " seen (seen < plan ? " (a check is missing)" : " (more than planned)"))
        }
        if (rc != 0 && nots == 0) {
            bad++; say("FAIL", "exited with status " rc " and reported no failing case")
        }
        print "@@", ok + 0, bad + 0, sk + 0
    }'
}

run_one() {   # name, command...
    name=$1; shift
    runs=$((runs + 1))
    log=$LOGS/$name.log
    mkdir -p "$(dirname "$log")"
    "$@" > "$log" 2>&1
    rc=$?
    out=$(tally "$name" "$rc" < "$log")
    printf '%s\n' "$out" | grep -v '^@@ '
    set -- $(printf '%s\n' "$out" | sed -n 's/^@@ //p')
    passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
    [ "$2" -eq 0 ] || echo "     $name: log $log"
}

for bin in "$@"; do
    case "unit/$(basename "$bin")" in *"$ONLY"*) ;; *) continue ;; esac
    run_one "unit/$(basename "$bin")" env CMOCKA_MESSAGE_OUTPUT=TAP "$bin"
done
for s in tests/suites/*.sh; do
    [ -e "$s" ] || continue
    case "$s" in *"$ONLY"*) ;; *) continue ;; esac
    run_one "$(basename "$s" .sh)" env BUILD="$BUILD" QEMU="${QEMU:-qemu-system-x86_64}" sh "$s"
done
if [ "$runs" -eq 0 ]; then      # ONLY= matching nothing is not a green run
    failed=$((failed + 1))
    echo "FAIL: nothing ran (ONLY='$ONLY' matches no suite or unit test)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
