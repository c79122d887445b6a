#!/bin/sh
# tests/stress/stalls.sh CSV (from tests/stress/run.sh): the patch blocks
# test guest (its interrupts right after the instruction that sets IF, its
# IRQ 8 on the slave PIC) while QEMU is frozen now and then
# (stalled_boot), STALL_RUNS boots at -smp 1 and at 2; TAP on stdout, a
# row per count appended to CSV.  Under stalls the host once delivered an
# interrupt that came due between two traps after the port write that
# masked it (a spurious IRQ 15, IR2 left in service: no more IRQ 8): about
# one run in ten failed, and once a CI run.
. tests/stress/lib.sh
LOGS=$BUILD/test-logs/stress
mkdir -p "$LOGS"
for smp in ${STALL_SMP:-1 2}; do
    bad=0 i=0
    while [ $i -lt "${STALL_RUNS:-10}" ]; do
        i=$((i + 1))
        log=$LOGS/stalls-blocks-smp$smp-$i.log
        status=$(stalled_boot "$log" "$smp" 400 "guest=blocks monitor=wait,300;poweroff")
        if [ "$status" != 0 ] || ! grep -aq "^\[blocks\] blocks: PASS" "$log"; then
            echo "# stalls: blocks at -smp $smp, run $i: $(describe_status "$status"); $(tr -d '\r' < "$log" | grep -a -m1 'FAIL') (log: $log)"
            bad=$((bad + 1))
        fi
    done
    if [ $bad = 0 ]; then echo "ok - stalls-blocks-smp$smp # $i runs under stalls passed"; r=pass
    else echo "not ok - stalls-blocks-smp$smp # $bad of $i runs under stalls failed"; r=fail; fi
    echo "stalls,$smp,stalls-blocks,,,,,,$r,$bad of $i failed" >> "$1"
done
