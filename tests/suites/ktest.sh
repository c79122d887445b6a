#!/bin/sh
# In-kernel tests (tests/ktest) at each CPU count: KTAP from the serial log
# becomes one TAP line per case and CPU count.  KTEST_SMP overrides the list.
. tests/qemu.sh
LOGS=$BUILD/test-logs
for smp in ${KTEST_SMP:-1 2 4 8}; do
    log=$LOGS/ktest-smp$smp.log
    status=$(qemu_boot "$log" "$smp" 300 "ktest=all panic=exit")
    grep -q "smp: $smp of $smp CPUs online" "$log" \
        && echo "ok - smp$smp/cpus-online" \
        || echo "not ok - smp$smp/cpus-online (log: $log)"
    sed -n 's/^\(not ok\|ok\) [0-9]* \([^ #]*\)\(.*\)$/\1 - smp'"$smp"'\/\2\3/p' "$log" | tr -d '\r'
    [ "$status" = 1 ] || [ "$status" = 3 ] || \
        echo "not ok - smp$smp/run $(describe_status "$status") (log: $log)"
done
