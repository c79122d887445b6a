#!/bin/sh
# The peel framework on the hosted classic image: peeling at boot and
# peeling/unpeeling while the workload runs keep the digest equal to the
# reference model (the differential contract); an unpeel restores the code
# bytes exactly; bad manifests and missing symbols are refused while the
# guest runs unpeeled.
. tests/qemu.sh
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
# The plan, section by section: 32 subsets of 3 checks and 31 no-refusals,
# 3 about single subsets, the run-time refusals 5, sched churn 2 x 7, churn
# 2 x 6, mm 3 x 5, calls 13 and a posted fall-through 2, the entry (classic
# by int 5 + 5, the default 1, the guest's own entries 2 x 6, an Intel
# vendor 3), refusals 8, cache and fs 2 x (5 + 5 + 6 + 6), release 2 x 5, capacity 2 x 3.
plan $((32 * 3 + 31 + 3 + 5 + 2 * 7 + 2 * 6 + 3 * 5 + 13 + 2 + 5 + 5 + 1 + 2 * 6 + 3 + 8 + 2 * (5 + 5 + 6 + 6) + 2 * 5 + 5 + 5 + 2 * 3))

# every subset of the peelable subsystems, peeled at boot (-smp 2, two boots
# at a time: the digest does not depend on timing): the digest equals the
# reference model's and classic's own fsck is clean
SUBSYSTEMS="checksum mm sched cache fs"
subset() {      # subset MASK: the comma list of the subsystems whose bits are set
    i=0 list=""
    for s in $SUBSYSTEMS; do
        [ $(( ($1 >> i) & 1 )) = 1 ] && list="$list,$s"
        i=$((i + 1))
    done
    echo "${list#,}"
}
total=$((1 << $(echo $SUBSYSTEMS | wc -w)))
mask=0
while [ $mask -lt $total ]; do
    for m in $mask $((mask + 1)); do
        list=$(subset $m)
        words="guest=classic guestarg=workers=4 guestarg=requests=8 oneshot panic=exit"
        [ -n "$list" ] && words="$words peel=$list"
        qemu_boot "$LOGS/peel-subset-${list:-none}.log" 2 300 "$words" >"$LOGS/peel-subset-${list:-none}.status" &
    done
    wait
    for m in $mask $((mask + 1)); do
        list=$(subset $m)
        log=$LOGS/peel-subset-${list:-none}.log
        check "subset-${list:-none}/digest" classic_digest_ok 4 8
        check "subset-${list:-none}/fsck" has "\[classic\] fsck: clean"
        check_exit "subset-${list:-none}/exit-status" "$(cat "$LOGS/peel-subset-${list:-none}.status")" 1
        [ -z "$list" ] || check "subset-${list}/no-refusal" lacks "refused"
    done
    mask=$((mask + 2))
done
log=$LOGS/peel-subset-checksum.log
check boot-checksum/served-natively has "guest classic: peel checksum done"
log=$LOGS/peel-subset-sched.log
check sched/threads-are-vcpus has "guest classic: ran [0-9]* ms on 6 vCPUs"
check sched/report has "guest classic: sched peel: 5 threads made"

# run-time requests the host must refuse, with the reason: sched is
# boot-only; cache and fs change hands at run time only when the sched peel
# lets the host see every guest thread's stack.  Asked once the workload
# runs (its "classic: workers=" line), not after a fixed sleep: a guest
# that has ended is refused for that instead, and a fast machine ends it
# sooner.  The same below wherever a request must meet the guest running.
log=$LOGS/peel-runtime-refusals.log
st=$(qemu_converse "$log" 2 300 "guest=classic guestarg=workers=4 guestarg=requests=48" \
    "until Peel monitor ready" "until \[classic\] classic: workers=" "type peel sched" "type peel fs" \
    "type peel cache" "type wait" "type poweroff")
check runtime-refusals/sched has "peel sched: it is boot-only"
check runtime-refusals/fs has "peel fs: at run time it needs the sched peel"
check runtime-refusals/cache has "peel cache: at run time it needs the sched peel"
check runtime-refusals/digest classic_digest_ok 4 48
check_exit runtime-refusals/host-survives "$st" 0

# A run-time request is carried out, or given up after the host's timeout
# (PEEL_REQUEST_TIMEOUT_NS) with a sentence naming what it waited for;
# peels shows a pending request and what it waits for; peel cancel
# withdraws it, and what the cancel answered agrees with what happened.
log=$LOGS/peel-pending-cancel.log
st=$(qemu_converse "$log" 2 600 "guest=classic guestarg=workers=8 guestarg=requests=48 peel=sched" \
    "until Peel monitor ready" "until \[classic\] classic: workers=" "type peel fs" "type peel cancel" "type peels" \
    "type wait" "type peels" "type poweroff")
check_exit pending-cancel/host-survives "$st" 0
check pending-cancel/digest classic_digest_ok 8 48
check pending-cancel/fsck has "\[classic\] fsck: clean"
cancel_agrees() {
    if has "peel cancel: peel fs withdrawn"; then
        ! grep -aq "guest classic: peel fs done" "$log" && has "guest 0 fs  *guest "
    else
        has "peel cancel: no peel request is pending" && has "guest classic: peel fs done"
    fi
}
check pending-cancel/cancel-agrees cancel_agrees
check pending-cancel/nothing-left-pending lacks " pending for "
log=$LOGS/peel-under-load.log
st=$(qemu_converse "$log" 2 900 "guest=classic guestarg=workers=8 guestarg=requests=100 peel=sched" \
    "until Peel monitor ready" "until \[classic\] classic: workers=" "type peel fs" "type sleep 1500" "type peels" \
    "type wait" "type poweroff")
check_exit under-load/host-survives "$st" 0
check under-load/digest classic_digest_ok 8 100
check under-load/fsck has "\[classic\] fsck: clean"
check under-load/lands-or-says-why has \
    "guest classic: peel fs \(done\|abandoned after [0-9]* ms and [0-9]* safe points: it waited for .\)"
pending_said_right() {   # a pending line, if peels showed one, in its words
    ! grep -aq " pending for " "$log" ||
        has "guest 0: peel fs pending for [0-9]* ms, [0-9]* safe points so far; waiting for ."
}
check under-load/pending-line pending_said_right

# the sched peel at boot, then the others peeled and unpeeled at random while
# the workload runs on every CPU: the digest and the file system stay intact
for smp in 2 4; do
    log=$LOGS/peel-sched-churn-smp$smp.log
    st=$(qemu_converse "$log" "$smp" 600 "guest=classic guestarg=workers=8 guestarg=requests=48 peel=sched" \
        "until Peel monitor ready" "until \[classic\] classic: workers=" "type unpeel sched" \
        "type churn 8 checksum mm cache fs" "type wait 500" "type peels" "type poweroff")
    check "sched-churn-smp$smp/digest" classic_digest_ok 8 48
    check "sched-churn-smp$smp/fsck" has "\[classic\] fsck: clean"
    check "sched-churn-smp$smp/no-blocks-leaked" has "\[classic\] classic: cache .* 0 kmalloc blocks live"
    check "sched-churn-smp$smp/unpeel-sched-refused" has "unpeel sched: it is boot-only"
    check "sched-churn-smp$smp/changed-hands" has "guest classic: \(un\)\?peel \(cache\|fs\) done"
    check "sched-churn-smp$smp/no-byte-differs" lacks "code bytes DIFFER"
    check_exit "sched-churn-smp$smp/host-survives" "$st" 0
done

# peel churn while the workload runs, at -smp 2 and -smp 4
for smp in 2 4; do
    log=$LOGS/peel-churn-smp$smp.log
    script="sleep,150;peel,checksum;sleep,250;unpeel,checksum;sleep,250;peel,checksum;sleep,150"
    script="$script;unpeel,checksum;sleep,150;peel,checksum;wait,300;peels;poweroff"
    st=$(qemu_boot "$log" "$smp" 600 "guest=classic guestarg=workers=8 guestarg=requests=48 monitor=$script")
    check "churn-smp$smp/digest" classic_digest_ok 8 48
    check "churn-smp$smp/fsck" has "\[classic\] fsck: clean"
    check "churn-smp$smp/unpeel-restores-bytes" has "unpeel checksum: code bytes restored exactly"
    check "churn-smp$smp/no-byte-differs" lacks "code bytes DIFFER"
    # the count is cumulative; the state may be either (a fast machine ends the workload before the last peel)
    check "churn-smp$smp/native-calls" has "checksum   [a-z]* *outside the GKL, 2 functions, [1-9][0-9]* native calls"
    check_exit "churn-smp$smp/host-survives" "$st" 0
done

# mm: peeled at boot then unpeeled while the guest holds native objects
# (drain until it frees them); peeled at run time over objects the guest
# made itself (their kfree falls through to the guest's allocator).  The
# objects are the workers' scratch areas, made by svc_run right after it
# prints "classic: workers=" and freed at the end of the workload, so both
# act once the guest has printed that line, not after a fixed sleep: on a
# loaded machine the guest was not that far yet, there was nothing to drain
# and nothing to fall through.  (Typed lines wait in QEMU's serial backend
# until the monitor reads them.)
log=$LOGS/peel-mm-drain.log
st=$(qemu_converse "$log" 2 600 "guest=classic guestarg=workers=8 guestarg=requests=24 peel=mm,checksum" \
    "until Peel monitor ready" "until \[classic\] classic: workers=" "type unpeel mm" "type wait" "type peels" \
    "type poweroff")
check_exit mm-drain/host-survives "$st" 0
check mm-drain/digest classic_digest_ok 8 24
check mm-drain/draining has "unpeel mm: draining: the native side still owns objects"
check mm-drain/drained has "unpeel mm: code bytes restored (other peels remain in place)"
check mm-drain/no-blocks-leaked has "\[classic\] classic: cache .* 0 kmalloc blocks live"
log=$LOGS/peel-mm-late.log
st=$(qemu_converse "$log" 2 600 "guest=classic guestarg=workers=8 guestarg=requests=24" \
    "until Peel monitor ready" "until \[classic\] classic: workers=" "type peel mm" "type wait" "type peels" \
    "type unpeel mm" "type sleep 100" "type peels" "type poweroff")
check_exit mm-late/host-survives "$st" 0
check mm-late/digest classic_digest_ok 8 24
check mm-late/fell-through has "guest 0 mm         peeled   outside the GKL, 2 functions, [0-9]* native calls, [1-9][0-9]* fell through"
check mm-late/no-blocks-leaked has "\[classic\] classic: cache .* 0 kmalloc blocks live"
check mm-late/fsck has "\[classic\] fsck: clean"
# mm outside the GKL with the sched peel: several vCPUs allocate and free at
# once (per-CPU caches, host/natives/classic/mm_pool.c), and an unpeel mid-run drains
log=$LOGS/peel-mm-sched.log
st=$(qemu_converse "$log" 4 600 "guest=classic guestarg=workers=4 guestarg=requests=48 peel=sched,mm capacity=all" \
    "until Peel monitor ready" "until \[classic\] classic: workers=" "type unpeel mm" "type wait" "type peels" \
    "type poweroff")
check_exit mm-sched/host-survives "$st" 0
check mm-sched/digest classic_digest_ok 4 48
check mm-sched/unpeeled has "unpeel mm: code bytes restored (other peels remain in place)"
check mm-sched/no-blocks-leaked has "\[classic\] classic: cache .* 0 kmalloc blocks live"
check mm-sched/fsck has "\[classic\] fsck: clean"

# the sched peel's threads keep to the CPUs the machine beneath runs at once
# (sched/capacity.c): capacity=2 given at -smp 4, then what the probe found
vcpus_within_capacity() {
    ran=$(tr -d '\r' < "$log" |
        sed -n 's/^guest classic: its vCPUs ran on [0-9]* of 4 CPUs (mask \([0-9a-f]*\); capacity \([0-9]*\))$/\1 \2/p')
    echo "# vCPUs ran on CPU mask, capacity: ${ran:-none}" >&2
    [ -n "$ran" ] || return 1
    set -- $ran
    [ $((0x$1)) -ne 0 ] && [ $((0x$1 >> $2)) -eq 0 ]
}
for c in 2 measured; do
    words="guest=classic guestarg=workers=4 guestarg=requests=8 peel=sched,mm oneshot panic=exit"
    [ $c = measured ] || words="$words capacity=$c"
    log=$LOGS/peel-capacity-$c.log
    st=$(qemu_boot "$log" 4 300 "$words")
    check "capacity-$c/digest" classic_digest_ok 4 8
    check "capacity-$c/vcpus-within" vcpus_within_capacity
    check_exit "capacity-$c/exit-status" "$st" 1
done

# the framework on a small subject: a native that serves every call, one
# that always falls through to the guest's code (single steps over the
# displaced bytes), and two subsystems that claim the same function; each
# for a function entered by syscall (double_it) and one entered by hlt
# (double_again, whose first instruction is one byte: host/peel/arm.c)
for p in native,again decline,again_decline; do
    log=$LOGS/peel-calls-$p.log
    st=$(qemu_boot "$log" 2 120 "guest=calls peel=$p monitor=wait,60;peels;poweroff")
    check "calls-$p/result-right" has "\[calls\] calls: sum ok"
    check_exit "calls-$p/host-survives" "$st" 0
done
log=$LOGS/peel-calls-native,again.log
check calls-native/served has "guest 0 native     peeled   under the GKL, 1 functions, 1000 native calls, 0 fell through; native time [0-9]* ms, [1-9][0-9]* ns a call"
check calls-native/by-syscall has "peel native done (entered by syscall 1, by hlt 0)"
check calls-again/served has "guest 0 again      peeled   under the GKL, 1 functions, 1000 native calls, 0 fell through"
check calls-again/by-hlt has "peel again done (entered by syscall 0, by hlt 1)"
log=$LOGS/peel-calls-decline,again_decline.log
check calls-decline/fell-through has "guest 0 decline    peeled   under the GKL, 1 functions, 0 native calls, 1000 fell through"
check calls-again_decline/fell-through has "guest 0 again_decline peeled   under the GKL, 1 functions, 0 native calls, 1000 fell through"
log=$LOGS/peel-calls-overlap.log
st=$(qemu_boot "$log" 2 120 "guest=calls peel=native,decline monitor=wait,60;poweroff")
check_exit calls-overlap/host-survives "$st" 0
check calls-overlap/refused has "peel decline refused: one of its functions is already peeled by another subsystem"
check calls-overlap/result-right has "\[calls\] calls: sum ok"

# a fall-through whose displaced first instruction traps by itself (out
# imm8, under a two-byte entry): while the site is stepped, its #GP(0) is
# that instruction's, to emulate, not another call to serve
log=$LOGS/peel-calls-posted.log
qemu_boot "$log" 2 120 "guest=calls peel=posted_decline monitor=wait,60;peels;poweroff" >/dev/null
check calls-posted/emulated has "\[calls\] calls: privileged first instruction ok"
check calls-posted/fell-through-once has "guest 0 posted_decline peeled   under the GKL, 1 functions, 0 native calls, 1 fell through"

# ---- the peel entry: `syscall` by default where the vendor takes it from
# compatibility mode (AMD and Hygon; QEMU's TCG -cpu max says AuthenticAMD),
# `int 15` through the host's DPL-1 gate when asked (peelentry=int) or on
# any other CPU.  Both ways classic with every peel gives the reference
# digest; the guest's own int 15, syscall and sysenter beside a peeled
# function get what a CPU gives them, and the peeled function comes back
# to the CS of each far jmp, call and retf made before it, in either mode
# (tests/guests/entries.asm); a CPU that says GenuineIntel refuses syscall.
log=$LOGS/peel-entry-int-classic.log
st=$(qemu_boot "$log" 2 300 "guest=classic guestarg=workers=4 guestarg=requests=8 oneshot panic=exit peel=checksum,mm,sched,cache,fs peelentry=int")
check entry-int-classic/forced has "trap: peel sites enter by int 15 (peelentry=int; CPU vendor AuthenticAMD"
check entry-int-classic/digest classic_digest_ok 4 8
check entry-int-classic/fsck has "\[classic\] fsck: clean"
check entry-int-classic/exit-status test "$st" = 1
check entry-int-classic/native-time has "^guest classic: native time: checksum [0-9]* ms in [1-9][0-9]* calls ([1-9][0-9]* ns a call), mm "
for s in checksum mm sched cache fs; do
    check "entry-int-classic/$s-by-int" has "peel $s done (entered by int [1-9][0-9]*, by hlt [0-9]*)"
done
log=$LOGS/peel-calls-native,again.log
check entry-default/syscall has "trap: peel sites enter by syscall (the default; CPU vendor AuthenticAMD"
for entry in int syscall; do
    log=$LOGS/peel-entry-own-$entry.log
    st=$(qemu_boot "$log" 2 120 "guest=entries peel=twice peelentry=$entry monitor=wait,60;peels;poweroff")
    check "entry-own-$entry/site" has "peel twice done (entered by $entry 1, by hlt 0)"
    check "entry-own-$entry/far-transfers" has "\[entries\] entries: far jmp, call and retf: the peeled call came back to the CS of each"
    check "entry-own-$entry/ring3-syscall" has "\[entries\] entries: ring 3 by retf: its syscall raised the CPU's #UD, ECX intact"
    check "entry-own-$entry/int15-syscall-sysenter" has "\[entries\] entries: ok"
    check "entry-own-$entry/served" has "guest 0 twice      peeled   under the GKL, 1 functions, 10 native calls, 0 fell through"
    check "entry-own-$entry/host-survives" test "$st" = 0
done
log=$LOGS/peel-entry-intel.log
st=$(qemu_boot "$log" 2 120 "guest=entries peel=twice peelentry=syscall monitor=wait,60;poweroff" -cpu max,vendor=GenuineIntel)
check entry-by-vendor/intel-refuses-syscall has "trap: peel sites enter by int 15 (peelentry=syscall refused; CPU vendor GenuineIntel"
check entry-by-vendor/intel-runs has "\[entries\] entries: ok"
check entry-by-vendor/intel-host-survives test "$st" = 0

# refusals: the guest runs unpeeled and the host goes on
log=$LOGS/peel-missing-symbol.log
st=$(qemu_boot "$log" 2 120 "guest=echo peel=ghost monitor=guest,0,send,x;wait,30;peels;poweroff")
check missing-symbol/refused has "peel ghost refused: the image has no function no_such_function"
check missing-symbol/guest-runs-unpeeled has "guest echo: exited (wrote 0"
check_exit missing-symbol/host-survives "$st" 0
log=$LOGS/peel-bad-manifest.log
st=$(qemu_boot "$log" 2 120 "guest=hostile-ports peel=ports monitor=wait,30;peel,ports;poweroff")
check bad-manifest/refused has "manifest refused (manifest line 3: fn ARGS must be a number from 0 to 8); it runs unpeeled"
check bad-manifest/guest-runs-unpeeled has "guest hostile-ports: exited (wrote 0"
check_exit bad-manifest/host-survives "$st" 0
log=$LOGS/peel-unknown.log
st=$(qemu_boot "$log" 2 120 "guest=classic guestarg=workers=1 guestarg=requests=1 monitor=peel,nosuch;wait,60;poweroff")
check unknown-subsystem/refused has "peel nosuch: no such subsystem in the manifest"
check_exit unknown-subsystem/host-survives "$st" 0

# ---- cache and fs: classic's buffer cache, disk driver and file system served
# natively outside the GKL (host/natives/classic/cache.c, host/natives/classic/fs.c over
# host/natives/classic/cfs.c; tests/unit/test_cfs.c checks the core against classic's own fs
# code).  Each set peeled at boot, at -smp 2 and 4: the digest equals the
# reference model's, classic's own fsck (which reads what the natives wrote,
# through classic's own cache) is clean, and the natives served every call.
for peels in cache fs cache,fs checksum,mm,cache,fs; do
    for smp in 2 4; do
        log=$LOGS/peel-fs-$peels-smp$smp.log
        st=$(qemu_boot "$log" "$smp" 600 "guest=classic guestarg=workers=8 guestarg=requests=32 peel=$peels monitor=wait;peels;poweroff")
        check_exit "fs-$peels-smp$smp/host-survives" "$st" 0
        check "fs-$peels-smp$smp/digest" classic_digest_ok 8 32
        check "fs-$peels-smp$smp/fsck" has "\[classic\] fsck: clean"
        check "fs-$peels-smp$smp/exit" has "\[classic\] classic: exit 0 (success)"
        for s in cache fs; do
            case ",$peels," in *",$s,"*) ;; *) continue ;; esac
            check "fs-$peels-smp$smp/$s-served" \
                has "guest 0 $s *peeled   outside the GKL, [0-9]* functions, [1-9][0-9]* native calls, 0 fell through"
        done
    done
done

# ---- an ended guest's native state is given back: after every peel, the
# heap holds no more than after the unpeeled guest (the tables the monitor
# still shows, patches and profile, stay in both).  `wait` returns once the
# last vCPU out has freed the guest (guest_release), on whichever CPU it
# ran: read before that, the heap still held the native state now and then.
# Since, both read the same to the byte; the 1 KiB of slack is for host
# thread records (280 bytes each) whose exit is still being finished.  It
# is below any one piece of native state: a struct vcpu is 1664 bytes, the
# sched peel's 5744, the native cache's over 200 KiB.  At -smp 2 and 4.
live_after() {   # log: heap bytes live once the guest has ended
    tr -d '\r' < "$1" | sed -n 's/^  heap: \([0-9]*\) bytes live.*/\1/p' | tail -1
}
for smp in 2 4; do
    for peels in none checksum,mm,sched,cache,fs; do
        log=$LOGS/peel-release-smp$smp-$peels.log
        words="guest=classic guestarg=workers=2 guestarg=requests=2 monitor=wait,120;mem;poweroff"
        [ $peels = none ] || words="$words peel=$peels"
        st=$(qemu_boot "$log" "$smp" 200 "$words")
        check_exit "release-smp$smp-$peels/host-survives" "$st" 0
        check "release-smp$smp-$peels/wait-saw-it-freed" has "^  no guest running"
    done
    base=$(live_after "$LOGS/peel-release-smp$smp-none.log")
    all=$(live_after "$LOGS/peel-release-smp$smp-checksum,mm,sched,cache,fs.log")
    echo "# heap bytes live after the guest ended at -smp $smp: unpeeled $base, every peel $all"
    check "release-smp$smp/native-state-freed" test -n "$base" -a -n "$all" -a "${all:-0}" -le $((${base:-0} + 1024))
done
