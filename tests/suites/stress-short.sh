#!/bin/sh
# The short SMP stress suite for `make test`: every case for a couple of
# seconds at -smp 2 and -smp 4 (the broken-lock and no-shootdown controls
# included: caught is "ok"), the hang control (the watchdog must end the
# run with a backtrace), and a fault-injection run whose cases must survive
# failed allocations without leaking.  One TAP line per case and CPU count.
# STRESS_SHORT_SMP and STRESS_SHORT_SECS override the defaults.
. tests/stress/lib.sh
LOGS=$BUILD/test-logs/stress-short
mkdir -p "$LOGS"
SECS=${STRESS_SHORT_SECS:-2}
SMPS=${STRESS_SHORT_SMP:-2 4}
# the plan: every case and the run at each CPU count, the hang control, the
# three fault-injection cases, their run and the injection itself
plan $(( $(echo $SMPS | wc -w) * (STRESS_ALL + 1) + 1 + 3 + 1 + 1 ))

for smp in $SMPS; do
    log=$LOGS/smp$smp.log
    status=$(stress_boot "$log" "$smp" "$(stress_limit $STRESS_ALL "$SECS")" "stress=all duration=$SECS")
    stress_tap "$log" "smp$smp"
    stress_check_run "$log" "$status" "smp$smp" $STRESS_ALL
done

stress_hang_control "$LOGS/hang-control-smp2.log" 2 smp2

# failalloc: cases that allocate, at 4 CPUs, one allocation in 32 failing
log=$LOGS/failalloc-smp4.log
status=$(stress_boot "$log" 4 "$(stress_limit 3 1)" \
    "stress=alloc-pages,alloc-heap,sched-churn duration=1 failalloc=32,11")
stress_tap "$log" "smp4-failalloc"
stress_check_run "$log" "$status" "smp4-failalloc" 3
grep -aq 'allocations failed by injection' "$log" && \
    ! grep -aq ' 0 allocations failed by injection' "$log" \
    && echo "ok - smp4-failalloc/injected" \
    || echo "not ok - smp4-failalloc/injected no allocation was made to fail (log: $log)"
