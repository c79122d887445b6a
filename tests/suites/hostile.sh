#!/bin/sh
# Containment (issue 11): the hostile guests of tests/guests/hostile-*.asm
# and the descriptor fuzzer, each booted on the host with -smp 2.  For every
# boot, five checks:
#   NAME/outcome            what the guest (and the host) must say: the
#                           guest's own PASS and a clean exit, or the host's
#                           reason for stopping it
#   NAME/qemu-exit          QEMU's status is 0: the host powered itself off
#                           (5 is a host panic with panic=exit, 124 a hang)
#   NAME/monitor-answered   "peel: powering off": the monitor ran its script
#   NAME/no-panic           no PANIC in the log of a run that got to its end
#   NAME/cpus               `cpus`, run twice a few seconds apart, lists every
#                           CPU online and answering the monitor's ping
#                           (where cpus pings), and every CPU busy with the same
#                           non-idle, non-monitor thread (the guest) in both
#                           had its timer tick at least 20% as often as HZ
#                           says: idle CPUs stop ticking (tickless), busy
#                           ones must not -- a CPU held with interrupts off
#                           shows here
# plus the fuzzer's digest compared with the same image on a bare 32-bit PC
# (tests/guests/bare-oracle.sh).  The plan line counts every check; each
# boot prints all five whatever happened, so a missing line is a failure.
. tests/qemu.sh
LOGS=$BUILD/test-logs
G=$BUILD/guest
SMP=2
HZ=100
mkdir -p "$LOGS"

# monitor scripts: QUICK for guests that end at once, SAMPLE for those that
# attack for seconds (cpus sampled meanwhile), HOLD for one that never ends,
# FUZZ for the fuzzer's minutes
QUICK="wait,60;guests;uptime;cpus;sleep,1000;uptime;cpus;poweroff"
SAMPLE="sleep,2000;uptime;cpus;sleep,3000;uptime;cpus;wait,120;guests;poweroff"
HOLD="sleep,2000;uptime;cpus;sleep,3000;uptime;cpus;guests;poweroff"
FUZZ="wait,540;guests;uptime;cpus;sleep,1000;uptime;cpus;poweroff"
# SPIN for a guest that runs with interrupts off for ever: well past the 5 s
# after which the host used to stop it, the monitor still answers, every CPU
# ticks, the guest is still running (and its vCPU still taking host
# interrupts), and the poweroff ends it
SPIN="sleep,3000;uptime;cpus;sleep,4000;uptime;cpus;guests;guest,0,stats;poweroff"

# name % guest % host words % script % timeout % patterns (grep) that must all appear, ;-separated % one that must not
RUNS=$(cat <<'EOF'
lbit-jmp%hostile-lbit%guestarg=case=jmp%QUICK%120%lbit: PASS;guest hostile-lbit: exited (wrote 0 %ESCAPED
lbit-int%hostile-lbit%guestarg=case=int%QUICK%120%lbit: PASS;guest hostile-lbit: exited (wrote 0 %ESCAPED
lbit-iret%hostile-lbit%guestarg=case=iret%QUICK%120%lbit: PASS;guest hostile-lbit: exited (wrote 0 %ESCAPED
badsel-gate0%hostile-badsel%guestarg=case=gate0%QUICK%120%badsel: PASS;guest hostile-badsel: exited (wrote 0 %WRONG
badsel-iretcs0%hostile-badsel%guestarg=case=iretcs0%QUICK%120%badsel: PASS;guest hostile-badsel: exited (wrote 0 %WRONG
badsel-ssnull%hostile-badsel%guestarg=case=ssnull%QUICK%120%badsel: PASS;guest hostile-badsel: exited (wrote 0 %WRONG
badsel-ssrpl1%hostile-badsel%guestarg=case=ssrpl1%QUICK%120%badsel: PASS;guest hostile-badsel: exited (wrote 0 %WRONG
badsel-popss%hostile-badsel%guestarg=case=popss%QUICK%120%badsel: PASS;guest hostile-badsel: exited (wrote 0 %WRONG
badsel-lss%hostile-badsel%guestarg=case=lss%QUICK%120%badsel: PASS;guest hostile-badsel: exited (wrote 0 %WRONG
badsel-ring2%hostile-badsel%guestarg=case=ring2%QUICK%120%guest hostile-badsel: \(exited (wrote 0 \|stopped (\)%WRONG
badsel-ring3%hostile-badsel%guestarg=case=ring3%QUICK%120%guest hostile-badsel: \(exited (wrote 0 \|stopped (\)%WRONG
badsel-stale%hostile-badsel%guestarg=case=stale%QUICK%120%badsel: PASS;guest hostile-badsel: exited (wrote 0 %WRONG
handoff-bases%hostile-handoff%guestarg=case=bases%QUICK%120%handoff: PASS;guest hostile-handoff: exited (wrote 0 %WRONG
handoff-swap%hostile-handoff%guestarg=case=swap%QUICK%120%handoff: PASS;guest hostile-handoff: exited (wrote 0 %WRONG
eiplimit-jmp%hostile-eiplimit%guestarg=case=jmp%QUICK%120%eiplimit: PASS;guest hostile-eiplimit: exited (wrote 0 %WRONG
eiplimit-cli%hostile-eiplimit%guestarg=case=cli%QUICK%120%eiplimit: PASS;guest hostile-eiplimit: exited (wrote 0 %WRONG
eiplimit-iret%hostile-eiplimit%guestarg=case=iret%QUICK%120%eiplimit: PASS;guest hostile-eiplimit: exited (wrote 0 %WRONG
eiplimit-gate%hostile-eiplimit%guestarg=case=gate%QUICK%120%eiplimit: PASS;guest hostile-eiplimit: exited (wrote 0 %WRONG
repins%hostile-repins%guestarg=secs=8%SAMPLE%240%repins: PASS;guest hostile-repins: exited (wrote 0 %repins: FAIL
native%hostile-native%peel=spin%HOLD%120%guest hostile-native: peel spin done;^ *0 hostile-native *running \|guest hostile-native: stopped (%spin_fn returned
espfix-cli%hostile-espfix%guestarg=case=cli%QUICK%120%espfix: PASS;guest hostile-espfix: exited (wrote 0 %LEAK
espfix-out%hostile-espfix%guestarg=case=out%QUICK%120%espfix: PASS;guest hostile-espfix: exited (wrote 0 %LEAK
espfix-int%hostile-espfix%guestarg=case=int%QUICK%120%espfix: PASS;guest hostile-espfix: exited (wrote 0 %LEAK
espfix-pushf%hostile-espfix%guestarg=case=pushf%QUICK%120%espfix: PASS;guest hostile-espfix: exited (wrote 0 %LEAK
espfix-retf%hostile-espfix%guestarg=case=retf%QUICK%120%espfix: PASS;guest hostile-espfix: exited (wrote 0 %LEAK
tf%hostile-tf%%QUICK%120%tf: PASS;guest hostile-tf: exited (wrote 0 %WRONG
reset-kbd%hostile-reset%guestarg=case=kbd%QUICK%120%guest hostile-reset: [a-z]* (.*reset.*8042%still running after
reset-p92%hostile-reset%guestarg=case=p92%QUICK%120%guest hostile-reset: [a-z]* (.*reset.*0x92%still running after
reset-triple%hostile-reset%guestarg=case=triple%QUICK%120%guest hostile-reset: stopped (triple fault%still running after
syscall%hostile-syscall%guestarg=case=syscall%QUICK%120%syscall: PASS;guest hostile-syscall: exited (wrote 0 %WRONG
syscall-entry-open%hostile-syscall%guestarg=case=syscall peelentry=syscall%QUICK%120%trap: peel sites enter by syscall;manifest names 1 peelable;syscall: PASS;guest hostile-syscall: exited (wrote 0 %WRONG
syscall-entry-closed%hostile-syscall-plain%guestarg=case=syscall peelentry=syscall%QUICK%120%trap: peel sites enter by syscall;syscall: PASS;guest hostile-syscall-plain: exited (wrote 0 %WRONG
syscall-page%hostile-syscall%guestarg=case=syscall-page%QUICK%120%syscall: PASS;guest hostile-syscall: exited (wrote 0 %WRONG
sysenter%hostile-syscall%guestarg=case=sysenter%QUICK%120%syscall: PASS;guest hostile-syscall: exited (wrote 0 %WRONG
lar-probe%hostile-lar%guestarg=case=probe%QUICK%120%lar: PASS;guest hostile-lar: exited (wrote 0 %lar: FAIL
lar-load%hostile-lar%guestarg=case=load%QUICK%120%lar: PASS;guest hostile-lar: exited (wrote 0 %lar: FAIL
lar-top%hostile-lar%guestarg=case=top%QUICK%120%guest hostile-lar: \(exited (wrote 0 \|stopped (\)%lar: FAIL
cli-spin%hostile-cli%guestarg=case=spin%SPIN%120%cli: spinning with interrupts off;^ *0 hostile-cli *running%guest hostile-cli: stopped
cli-poll%hostile-cli%guestarg=case=poll guestarg=ms=6000%QUICK%120%cli: PASS;guest hostile-cli: exited (wrote 0 %cli: FAIL
cli-hlt%hostile-cli%guestarg=case=hlt%QUICK%120%guest hostile-cli: stopped (halted with interrupts disabled (cli. hlt) at eip 0x[0-9a-f]*: nothing can wake it%cli: FAIL
csbase%hostile-csbase%%QUICK%120%csbase: PASS;guest hostile-csbase: exited (wrote 0 %csbase: FAIL
segbase%segbase%%QUICK%120%segbase: done;limit-data: #GP count 00000001 error 00000000;guest segbase: exited (wrote 0 %WRONG
usermode%usermode%%QUICK%120%usermode: done;guest usermode: exited (wrote 0 %WRONG
fuzz%fuzz-desc%guestarg=seed=1 guestarg=ops=0x1ff%FUZZ%600%fuzz: done;guest fuzz-desc: exited (wrote 0 %fuzz: ESCAPED
fuzz-loads-transfers%fuzz-desc%guestarg=seed=2 guestarg=ops=0xff%FUZZ%600%fuzz: done;guest fuzz-desc: exited (wrote 0 %fuzz: ESCAPED
fuzz-sleep%fuzz-desc%guestarg=seed=3 guestarg=ops=0x200 guestarg=rounds=500%FUZZ%600%fuzz: done;guest fuzz-desc: exited (wrote 0 %fuzz: ESCAPED
fuzz-landing%fuzz-desc%guestarg=seed=11 guestarg=ops=0x1ff%FUZZ%600%fuzz: done;guest fuzz-desc: exited (wrote 0 %fuzz: ESCAPED
fuzz-farjump%fuzz-desc%guestarg=seed=102 guestarg=ops=0x1ff%FUZZ%600%fuzz: done;guest fuzz-desc: exited (wrote 0 %fuzz: ESCAPED
fuzz-gate16%fuzz-desc%guestarg=seed=123 guestarg=ops=0x1ff%FUZZ%600%fuzz: done;guest fuzz-desc: exited (wrote 0 %fuzz: ESCAPED
fuzz-far%fuzz-far%guestarg=seed=4 guestarg=ops=0x1ff%FUZZ%600%trap: peel sites enter by syscall;manifest names 1 peelable;fuzz: done;guest fuzz-far: exited (wrote 0 %fuzz: ESCAPED
EOF
)
# HOSTILE_RUNS=REGEX runs only the boots whose names match (the plan says
# how many); each fuzzer boot but fuzz-sleep brings its comparison with the
# oracle.  The fuzzer's three main runs: every kind of operation but the
# sleep across an lgdt (seed 1, ops=0x1ff), the loads and far transfers
# alone with another seed (ops=0xff), so a regression there shows apart
# from the rest, and the sleep across an lgdt alone (ops=0x200), checked
# for the host only: a register whose descriptor lgdt changed reads a host
# shadow selector there until reloaded (docs/hosting.md), which a bare PC
# does not show.  Three seeds more, each once a hang, each running its
# probe as flat 32-bit code and then as 16-bit code, whose patch blocks
# must go first (blocks_cs_landed): seed 11 (fuzz-landing) gets there by
# an iret; seed 102 (fuzz-farjump) by its own far jump, which the host
# makes for it (scan.c far_seen: every far transfer of a guest with
# blocks); seed 123 (fuzz-gate16) by an int through a gate to a 16-bit
# segment, a delivery.
# fuzz-far is the fuzzer with a manifest: its far transfers made by the
# host (scan.c far_seen)
if [ -n "$HOSTILE_RUNS" ]; then
    RUNS=$(printf '%s\n' "$RUNS" | grep -E "^($HOSTILE_RUNS)%")
fi
nruns=$(printf '%s\n' "$RUNS" | grep -c .)
with_fuzz=$(printf '%s\n' "$RUNS" | grep '^[^%]*%fuzz-' | grep -vc '^fuzz-sleep%')
with_bare=$(printf '%s\n' "$RUNS" | grep -Ec '^[^%]*%(segbase|usermode)%')
plan $((nruns * 5 + with_fuzz + with_bare))

# cpus_ok: the last two `cpus` tables in $log (with the `uptime` before
# each): every CPU online and, where the table has the column, answering
# the monitor's ping; a CPU busy with the same thread in both ticked
cpus_ok() {
    tr -d '\r' < "$log" | awk -v smp="$SMP" -v hz="$HZ" '
        /^  up [0-9.]+ s,/          { t = $2 }
        /^peel> cpus/               { k++; time[k] = t; rows[k] = 0 }
        /^ +cpu +apic +online/      { pinged[k] = ($0 ~ / answers /) }
        k && /^ +[0-9]+ +[0-9]+ +(yes|no) / {
            rows[k]++; c = $1
            online[k, c] = $3; cur[k, c] = $NF
            if (pinged[k]) { answers[k, c] = $4; ticks[k, c] = $5 }
            else           { answers[k, c] = "yes"; ticks[k, c] = $4 }
        }
        END {
            if (k < 2) { print "# fewer than two cpus tables"; exit 1 }
            bad = 0
            for (j = k - 1; j <= k; j++) {
                if (rows[j] != smp) { print "# a cpus table lists " rows[j] " CPUs, not " smp; bad = 1 }
                for (c = 0; c < smp; c++) {
                    if (online[j, c] != "yes") { print "# cpu " c " is not online"; bad = 1 }
                    if (answers[j, c] != "yes") { print "# cpu " c " did not answer the ping (" cur[j, c] ")"; bad = 1 }
                }
            }
            dt = time[k] - time[k - 1]
            need = int(hz * dt * 0.2)
            for (c = 0; c < smp; c++) {
                a = cur[k - 1, c]; b = cur[k, c]
                if (a != b || a ~ /^idle/ || a == "init" || a == "-") continue
                d = ticks[k, c] - ticks[k - 1, c]
                if (d < need) {
                    print "# cpu " c " ran " a " and ticked " d " times in " dt " s (at least " need " wanted)"
                    bad = 1
                }
            }
            exit bad
        }' >&2
}

# expect_run: one boot, its five checks (qemu.sh's check takes $name for
# itself: the run's name is $run)
expect_run() {   # run guest words script timeout musts mustnot
    run=$1 guest=$2 words=$3 limit=$5 musts=$6 mustnot=$7
    eval "script=\$$4"
    log=$LOGS/hostile-$run.log
    st=$(qemu_boot "$log" "$SMP" "$limit" "guest=$guest $words panic=exit monitor=$script")
    outcome=true
    old_ifs=$IFS; IFS=';'
    for m in $musts; do
        has "$m" || { outcome=false; echo "# $run: missing: $m" >&2; }
    done
    IFS=$old_ifs
    if [ -n "$mustnot" ] && has "$mustnot"; then
        outcome=false
        echo "# $run: present: $(grep -a -m1 -- "$mustnot" "$log" | tr -d '\r')" >&2
    fi
    check "$run/outcome" $outcome
    check_exit "$run/qemu-exit" "$st" 0
    check "$run/monitor-answered" has "^peel: powering off"
    if has "PANIC"; then echo "# $run: $(grep -a -m1 PANIC "$log" | tr -d '\r')" >&2; fi
    check "$run/no-panic" lacks "PANIC"
    check "$run/cpus" cpus_ok
}

printf '%s\n' "$RUNS" | while IFS='%' read -r run guest words script limit musts mustnot; do
    [ -n "$run" ] || continue
    expect_run "$run" "$guest" "$words" "$script" "$limit" "$musts" "$mustnot"
done

# the fuzzer saw what a CPU shows: its digest equals a bare 32-bit PC's
# with the same words (guestarg=a=b on the host, a=b on QEMU's -append)
fuzz_vs_bare() {   # run guest words
    run=$1 guest=$2
    log=$LOGS/hostile-$run.log
    bare=$LOGS/hostile-$run-bare.log
    words=$(printf '%s' "$3" | sed 's/guestarg=//g')
    st=$(sh tests/guests/bare-oracle.sh "$G/$guest.elf" "$bare" "$words" 300)
    if [ "$st" = 127 ]; then
        echo "ok - $run/digest-equals-bare # SKIP no qemu-system-i386 for the oracle"
        return
    fi
    want=$(tr -d '\r' < "$bare" | sed -n 's/^fuzz: DIGEST //p')
    got=$(tr -d '\r' < "$log" | sed -n "s/^\\[$guest\\] fuzz: DIGEST //p")
    echo "# $run digest: hosted ${got:-none}, bare ${want:-none} (bare QEMU status $st)" >&2
    for k in movseg movss popss lxs jmp call retf iret int hlt; do
        b=$(tr -d '\r' < "$bare" | grep -a "^fuzz: $k n " | sed 's/.* digest //')
        h=$(tr -d '\r' < "$log" | grep -a "^\[$guest\] fuzz: $k n " | sed 's/.* digest //')
        [ "$b" = "$h" ] || echo "# $run: kind $k differs: hosted ${h:-none}, bare ${b:-none}" >&2
    done
    check "$run/digest-equals-bare" test -n "$want" -a "$got" = "$want"
}
printf '%s\n' "$RUNS" | while IFS='%' read -r run guest words rest; do
    case $guest in fuzz-*) [ "$run" != fuzz-sleep ] && fuzz_vs_bare "$run" "$guest" "$words" ;; esac
done

# a guest's whole transcript equals a bare 32-bit PC's, but for the lines
# starting "limit-data:": QEMU's TCG checks no data segment limits, so
# there the host is held to the CPU's answer by the run's own patterns
same_lines() { test -s "$1" && diff "$1" "$2" >&2; }
transcript_vs_bare() {   # run guest
    run=$1
    log=$LOGS/hostile-$run.log
    bare=$LOGS/hostile-$run-bare.log
    st=$(sh tests/guests/bare-oracle.sh "$G/$2.elf" "$bare" "" 120)
    if [ "$st" = 127 ]; then
        echo "ok - $run/transcript-equals-bare # SKIP no qemu-system-i386 for the oracle"
        return
    fi
    tr -d '\r' < "$bare" | grep -av '^limit-data:' > "$bare.lines"
    tr -d '\r' < "$log" | sed -n "s/^\[$2\] //p" | grep -av '^limit-data:' > "$log.lines"
    check "$run/transcript-equals-bare" same_lines "$bare.lines" "$log.lines"
}
printf '%s\n' "$RUNS" | while IFS='%' read -r run guest words rest; do
    case $guest in segbase|usermode) transcript_vs_bare "$run" "$guest" ;; esac
done
exit 0
