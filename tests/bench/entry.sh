#!/bin/sh
# make bench-entry: what the peel entry costs under this QEMU, int 15
# through the DPL-1 gate against syscall (docs/peel.md), side by side in
# one session, the modes alternating so that load on the machine falls on
# both alike.
#
# 1. callbench (tests/guests/callbench.asm): TSC ticks a peeled call, the
#    best batch of each boot, REPEAT boots a mode; the hlt entry of the
#    same boots beside it, and the guest's own call unpeeled.
# 2. classic with every peel, W workers x R requests: the host's "ran N ms"
#    and the native calls made, REPEAT boots a mode at each of SMP; every
#    digest must equal the reference model's.
. tests/qemu.sh
REPEAT=${REPEAT:-6}
W=${BENCH_WORKERS:-16}
R=${BENCH_REQUESTS:-128}
SMP=${BENCH_SMP:-1 2}
ALL=checksum,mm,sched,cache,fs
OUT=$BUILD/bench/entry
rm -rf "$OUT" && mkdir -p "$OUT"
want=$("$BUILD/guest/classic-refmodel" "$W" "$R" | sed -n 's/^DIGEST //p')
status=0

field() { tr -d '\r' < "$1" | sed -n "$2" | tail -1; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
least() { sort -n | head -1; }

log=$OUT/callbench-unpeeled.log
qemu_boot "$log" 2 120 "guest=callbench monitor=wait,100;poweroff" >/dev/null
own=$(field "$log" 's/.*callbench: two-byte *\([0-9]*\) .*/\1/p')
for i in $(seq "$REPEAT"); do
    for m in int syscall; do
        log=$OUT/callbench-$m-$i.log
        qemu_boot "$log" 2 120 "guest=callbench peel=both peelentry=$m monitor=wait,100;poweroff" >/dev/null
        two=$(field "$log" 's/.*callbench: two-byte *\([0-9]*\) .*/\1/p')
        hlt=$(field "$log" 's/.*callbench: .* hlt *\([0-9]*\).*/\1/p')
        [ -n "$two" ] || { echo "# bench: callbench $m did not report (log $log)" >&2; status=1; }
        echo "$m ${two:-} ${hlt:-}" >> "$OUT/callbench.txt"
    done
done
for smp in $SMP; do
    for i in $(seq "$REPEAT"); do
        for m in int syscall; do
            log=$OUT/classic-$m-smp$smp-$i.log
            qemu_boot "$log" "$smp" $((120 + W * R / 4)) \
                "guest=classic guestarg=workers=$W guestarg=requests=$R peel=$ALL peelentry=$m monitor=wait;peels;poweroff" >/dev/null
            ran=$(field "$log" 's/.*guest classic: ran \([0-9]*\) ms.*/\1/p')
            got=$(field "$log" 's/^\[classic\] DIGEST //p')
            calls=$(tr -d '\r' < "$log" | sed -n 's/.* \([0-9]*\) native calls.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
            if [ -z "$ran" ] || [ "$got" != "$want" ]; then
                echo "# bench: classic $m smp$smp: digest '$got', reference '$want' (log $log)" >&2
                status=1
            fi
            echo "$m $smp ${ran:-} $calls" >> "$OUT/classic.txt"
        done
    done
done

{
    echo "peel entry under $("$QEMU" --version | head -1), $REPEAT boots a mode"
    for m in int syscall; do
        printf 'callbench %-8s TSC ticks a peeled call: median %s, least %s (hlt in the same boots: median %s)\n' "$m" \
            "$(awk -v m=$m '$1 == m { print $2 }' "$OUT/callbench.txt" | median)" \
            "$(awk -v m=$m '$1 == m { print $2 }' "$OUT/callbench.txt" | least)" \
            "$(awk -v m=$m '$1 == m { print $3 }' "$OUT/callbench.txt" | median)"
    done
    echo "callbench unpeeled: ${own:-?} ticks a call"
    i=$(awk '$1 == "int" { print $2 }' "$OUT/callbench.txt" | median)
    s=$(awk '$1 == "syscall" { print $2 }' "$OUT/callbench.txt" | median)
    [ -n "$i" ] && [ -n "$s" ] && awk -v i="$i" -v s="$s" 'BEGIN { printf "int / syscall, a peeled call: %.2f\n", i / s }'
    for smp in $SMP; do
        for m in int syscall; do
            printf 'classic W=%s R=%s every peel, -smp %s, %-8s ran ms: median %s, least %s; native calls %s\n' "$W" "$R" "$smp" "$m" \
                "$(awk -v m=$m -v s=$smp '$1 == m && $2 == s { print $3 }' "$OUT/classic.txt" | median)" \
                "$(awk -v m=$m -v s=$smp '$1 == m && $2 == s { print $3 }' "$OUT/classic.txt" | least)" \
                "$(awk -v m=$m -v s=$smp '$1 == m && $2 == s { print $4 }' "$OUT/classic.txt" | median)"
        done
    done
} | tee "$OUT/entry.txt"
exit $status
