#!/bin/sh
# Run every test and count results.
#
# Unit tests are cmocka binaries (given as arguments) that speak TAP.
# Suites are tests/suites/*.sh: each prints TAP lines "ok - name" or
# "not ok - name" and keeps its own logs under $BUILD/test-logs/.
# The last line is "N passed, N failed"; the exit status is 0 only when
# nothing failed.  ONLY=pattern runs the suites whose file name matches.
BUILD=${BUILD:-build}
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
passed=0
failed=0

# count TAP lines from stdin, echoing them with a prefix
tally() {
    prefix=$1
    while IFS= read -r line; do
        case "$line" in
            "ok "*)     passed=$((passed + 1)); echo "ok   $prefix: ${line#ok }" ;;
            "not ok "*) failed=$((failed + 1)); echo "FAIL $prefix: ${line#not ok }" ;;
            "#"*)       echo "     $prefix: $line" ;;
        esac
    done
}

run_one() {   # name, command...
    name=$1; shift
    log=$LOGS/$name.log
    mkdir -p "$(dirname "$log")"
    "$@" > "$log" 2>&1
    rc=$?
    tally "$name" < "$log"
    if [ $rc -ne 0 ] && ! grep -q "^not ok" "$log"; then
        failed=$((failed + 1))
        echo "FAIL $name: exited with status $rc and reported no failing case (log: $log)"
    fi
}

if [ -z "$ONLY" ]; then
    for bin in "$@"; do
        run_one "unit/$(basename "$bin")" env CMOCKA_MESSAGE_OUTPUT=TAP "$bin"
    done
fi
for s in tests/suites/*.sh; do
    [ -e "$s" ] || continue
    case "$s" in *"$ONLY"*) ;; *) continue ;; esac
    run_one "$(basename "$s" .sh)" env BUILD="$BUILD" QEMU="${QEMU:-qemu-system-x86_64}" sh "$s"
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
