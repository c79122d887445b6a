#!/bin/sh
# In-kernel tests (tests/ktest) at each CPU count: KTAP from the serial log
# becomes one TAP line per case and CPU count.  KTEST_SMP overrides the list.
# The plan comes from the image, not from the run: every KTEST in
# build/peel.elf's .ktests section, at every CPU count, plus the CPUs-online
# and exit-status lines; a case the kernel never reported is then missing.
. tests/qemu.sh
LOGS=$BUILD/test-logs
SMPS=${KTEST_SMP:-1 2 4 8}
ncases=$(nm "$BUILD/peel.elf" | grep -c ' ktest_desc_')
plan $(( $(echo $SMPS | wc -w) * (ncases + 2) ))
for smp in $SMPS; do
    log=$LOGS/ktest-smp$smp.log
    status=$(qemu_boot "$log" "$smp" 300 "ktest=all panic=exit")
    check "smp$smp/cpus-online" has "smp: $smp of $smp CPUs online"
    sed -n 's/^\(not ok\|ok\) [0-9]* \([^ #]*\)\(.*\)$/\1 - smp'"$smp"'\/\2\3/p' "$log" | tr -d '\r'
    # status 3 (a case failed) is the run's expected end when a case above
    # says "not ok"; any other status but 1 is a failure of its own
    want=1
    [ "$status" = 3 ] && grep -aq '^not ok' "$log" && want=3
    check_exit "smp$smp/run" "$status" $want
done
