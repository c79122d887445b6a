#!/bin/sh
# make stress [SMP="1 2 4 8"] [DURATION=20] [FAILALLOC=RATE,SEED]
#
# Boots the ISO at each CPU count and runs every stress case for DURATION
# seconds, then the controls that end a run on purpose: the hang control
# (the watchdog must fire) at the smallest count >= 2, peel churn on the
# hosted classic image at -smp 2 and 4, and a fault-injection run
# (failalloc=) at the largest count, and the patch blocks guest while
# QEMU stalls (stalled_boot).  Writes $BUILD/stress/results.csv,
# results.json and scaling.png; prints TAP; exits non-zero on any failure.
. tests/stress/lib.sh
SMP=${SMP:-1 2 4 8}
DURATION=${DURATION:-20}
FAILALLOC=${FAILALLOC:-64,7}
FAIL_SECS=${FAIL_SECS:-$(( DURATION < 10 ? DURATION : 10 ))}
OUT=$BUILD/stress
LOGS=$BUILD/test-logs/stress
mkdir -p "$OUT" "$LOGS"
CSV=$OUT/results.csv
TAP=$OUT/results.tap
echo "mode,cpus,case,secs,ops,ops_per_sec,injected,alloc_failures,result,detail" > "$CSV"
: > "$TAP"

say() { echo "$@" | tee -a "$TAP"; }

run_all() {   # mode smp secs words
    log=$LOGS/$1-smp$2.log
    echo "# stress: $1 at -smp $2, $3 s a case (log: $log)" >&2
    status=$(stress_boot "$log" "$2" "$(stress_limit $STRESS_ALL "$3")" "stress=all duration=$3 $4")
    stress_csv "$log" "$1" >> "$CSV"
    stress_tap "$log" "$1-smp$2" | while IFS= read -r l; do say "$l"; done
    say "$(stress_check_run "$log" "$status" "$1-smp$2" $STRESS_ALL)"
    grep -a '^# [a-z-]*: free pages' "$log" | sed "s/^#/# $1-smp$2:/" >&2
}

for smp in $SMP; do
    run_all normal "$smp" "$DURATION" ""
done

hang_smp=$(for s in $SMP; do [ "$s" -ge 2 ] && echo "$s"; done | head -1)
hang_log=$LOGS/hang-control-smp${hang_smp:-2}.log
line=$(stress_hang_control "$hang_log" "${hang_smp:-2}" "control-smp${hang_smp:-2}")
say "$line"
case "$line" in ok*) r=pass ;; *) r=fail ;; esac
echo "control,${hang_smp:-2},hang-control,,,,,,$r,watchdog NMI backtrace + EXIT_HANG" >> "$CSV"

# Peel churn: the hosted classic workload while its subsystems are peeled
# and unpeeled at random for DURATION seconds; the digest must equal the
# reference model's and the file system must stay consistent.
. tests/qemu.sh
requests=$(( DURATION * 3 > 16 ? DURATION * 3 : 16 ))
want=$("$BUILD/guest/classic-refmodel" 8 "$requests" | sed -n 's/^DIGEST //p')
# Without the sched peel (one vCPU) mm and checksum change hands; with it
# (every guest thread a vCPU on any CPU) cache and fs too.
for smp in 2 4; do
    for kind in churn sched-churn; do
        log=$LOGS/peel-$kind-smp$smp.log
        case $kind in
            churn) words="monitor=churn,$DURATION,mm,checksum;wait;peels;poweroff" ;;
            *) words="peel=sched monitor=churn,$DURATION,mm,checksum,cache,fs;wait;peels;poweroff" ;;
        esac
        status=$(qemu_boot "$log" "$smp" $(( DURATION * 20 + 300 )) \
            "guest=classic guestarg=workers=8 guestarg=requests=$requests $words")
        got=$(tr -d '\r' < "$log" | sed -n 's/^\[classic\] DIGEST //p')
        churn=$(tr -d '\r' < "$log" | sed -n 's/^  churn: //p')
        if [ "$status" = 0 ] && [ -n "$want" ] && [ "$got" = "$want" ] && grep -aq "fsck: clean" "$log" &&
           grep -aq " 0 kmalloc blocks live" "$log" && ! grep -aq "code bytes DIFFER" "$log"; then
            say "ok - peel-$kind-smp$smp # digest $got, $churn"; r=pass
        else
            say "not ok - peel-$kind-smp$smp # $(describe_status "$status"), digest $got, want $want (log: $log)"; r=fail
        fi
        echo "peel,$smp,peel-$kind,$DURATION,,,,,$r,\"$churn\"" >> "$CSV"
    done
done

# The differential contract at length: every subset of the peelable
# subsystems peeled at boot, at -smp 2 and 4, gives the reference digest.
SUBSYSTEMS="checksum mm sched cache fs"
want=$("$BUILD/guest/classic-refmodel" 8 32 | sed -n 's/^DIGEST //p')
total=$((1 << $(echo $SUBSYSTEMS | wc -w)))
for smp in 2 4; do
    bad=0 m=0
    while [ $m -lt $total ]; do
        i=0 list=""
        for s in $SUBSYSTEMS; do
            [ $(( (m >> i) & 1 )) = 1 ] && list="$list,$s"
            i=$((i + 1))
        done
        list=${list#,}
        log=$LOGS/peel-subset-smp$smp-${list:-none}.log
        status=$(qemu_boot "$log" "$smp" 600 "guest=classic guestarg=workers=8 guestarg=requests=32 oneshot panic=exit${list:+ peel=$list}")
        got=$(tr -d '\r' < "$log" | sed -n 's/^\[classic\] DIGEST //p')
        if [ "$status" != 1 ] || [ -z "$want" ] || [ "$got" != "$want" ] || ! grep -aq "fsck: clean" "$log"; then
            say "# subset {${list}} at -smp $smp: $(describe_status "$status"), digest $got, want $want (log: $log)"
            bad=$((bad + 1))
        fi
        m=$((m + 1))
    done
    if [ $bad = 0 ]; then say "ok - peel-subsets-smp$smp # all $total subsets give $want"; r=pass
    else say "not ok - peel-subsets-smp$smp # $bad of $total subsets wrong"; r=fail; fi
    echo "peel,$smp,peel-subsets,,,,,,$r,$bad of $total wrong" >> "$CSV"
done

# Stalls: the hosted test guests while QEMU is frozen now and then.
sh tests/stress/stalls.sh "$CSV" | while IFS= read -r l; do say "$l"; done

max_smp=$(for s in $SMP; do echo "$s"; done | sort -n | tail -1)
run_all failalloc "$max_smp" "$FAIL_SECS" "failalloc=$FAILALLOC"

sh tests/stress/report.sh "$CSV" "$OUT"
skipped=$(grep -c '^ok.*# SKIP' "$TAP")
passed=$(($(grep -c '^ok' "$TAP") - skipped))
failed=$(grep -c '^not ok' "$TAP")
echo "# stress: $passed passed, $failed failed, $skipped skipped; results in $CSV, chart in $OUT/scaling.png"
[ "$failed" -eq 0 ]
