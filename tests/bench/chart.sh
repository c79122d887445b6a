#!/bin/sh
# make bench, part 3: the banana-peel chart (docs/bench.md).
#
# classic hosted at each CPU count (BENCH_SMP) for each peel set
# (BENCH_SETS, comma-separated inside a set, "none" for the unpeeled
# image), under -accel tcg,thread=multi without icount, so the timing is
# real.  Throughput is REQUESTS over the host's "ran N ms" for the guest
# (host wall clock: the guest's own THROUGHPUT line counts its timer ticks,
# which mean little once interrupts are coalesced).  A set's smp counts run
# back to back, BENCH_REPEAT times over, and report.sh takes medians:
# ratios are only worth reading side by side on a shared machine.
#
# "ran" includes a fixed part that does not grow with the requests: the
# guest's boot, mount and final fsck, mostly serial and under the GKL.  The
# guest is opaque, so that part is measured by difference: after each run,
# a short run of the same set and smp with R0 = BENCH_BASE_REQUESTS
# requests a worker (log SET-smpN-REP-base.log, runs.csv's last column r
# says which is which), and report.sh derives the steady state from the
# two medians.  BENCH_BASE_REQUESTS=0 skips the short runs.
#
# Every main run's DIGEST must equal the unpeeled -smp 1 run's (the peel
# contract), every short run's the reference model's for (W, R0): a
# mismatch, a hang or a failed guest makes the bench exit non-zero, with
# the log kept in $BUILD/bench/chart/logs.
. tests/qemu.sh
SETS=${BENCH_SETS:-none mm mm,sched mm,sched,checksum mm,sched,checksum,cache mm,sched,checksum,cache,fs}
SMPS=${BENCH_SMP:-1 2 4}
REPEAT=${BENCH_REPEAT:-3}
W=${BENCH_WORKERS:-16}
R=${BENCH_REQUESTS:-128}
R0=${BENCH_BASE_REQUESTS:-2}
case $R0 in ''|*[!0-9]*) echo "bench: BENCH_BASE_REQUESTS='$R0' is not a number of requests" >&2; exit 2 ;; esac
if [ "$R0" -ge "$R" ]; then
    echo "bench: BENCH_BASE_REQUESTS=$R0 must be below BENCH_REQUESTS=$R (0 skips the short runs)" >&2
    exit 2
fi
LIMIT=${BENCH_TIMEOUT:-$((120 + W * R / 4))}
BLIMIT=${BENCH_TIMEOUT:-$((120 + W * R0 / 4))}
OUT=$BUILD/bench/chart
LOGS=$OUT/logs
CSV=$OUT/runs.csv
FAILS=$OUT/failures.txt
rm -rf "$OUT" && mkdir -p "$LOGS"
: > "$FAILS"

now_ms() { date +%s%3N; }
# "none", "-", "{}" and "" all name the empty set; in file names and the
# CSV a set's commas become '+' (the CSV has no quoting).
set_key() { case $1 in none|-|'{}'|'') echo none ;; *) echo "$1" | tr , + ;; esac; }
fail() { echo "$*" >> "$FAILS"; echo "# bench: FAIL: $*" >&2; }

# One run of the matrix: boot, then one CSV row from its log.  With
# requests R it is a main run, with R0 the short run next to it.
run_one() {   # set-key smp rep requests
    if [ "$4" = "$R" ]; then log=$LOGS/$1-smp$2-$3.log limit=$LIMIT what="run $3"
    else log=$LOGS/$1-smp$2-$3-base.log limit=$BLIMIT what="run $3, short R=$4"
    fi
    words="guest=classic guestarg=workers=$W guestarg=requests=$4 oneshot"
    [ "$1" = none ] || words="$words peel=$(echo "$1" | tr + ,)"
    t0=$(now_ms)
    status=$(qemu_boot "$log" "$2" "$limit" "$words")
    wall=$(( $(now_ms) - t0 ))
    [ -f "$log" ] || echo "(QEMU wrote nothing: status $status)" > "$log"
    tr -d '\r' < "$log" > "$log.txt"
    digest=$(sed -n 's/^\[classic\] DIGEST //p' "$log.txt" | tail -1)
    requests=$(sed -n 's/^\[classic\] REQUESTS \([0-9]*\).*/\1/p' "$log.txt" | tail -1)
    # "guest classic: ran 1234 ms on 4 vCPUs; GKL held 567 ms (45.9%)", or
    # nothing from a host that does not say it yet
    ran=$(sed -n 's/^guest classic: ran \([0-9]*\) ms on \([0-9]*\) vCPUs\{0,1\}; GKL held \([0-9]*\) ms.*/\1,\2,\3/p' \
        "$log.txt" | tail -1)
    refused=$(peels_refused "$1" "$log.txt")
    # the checksum natives' own time a call (pure loops over guest memory):
    # how fast this machine ran this run, for the phase-free ratio (chart.awk)
    refns=$(sed -n 's/^guest classic: native time:.* checksum [0-9]* ms in [0-9]* calls (\([0-9]*\) ns a call).*/\1/p' \
        "$log.txt" | tail -1)
    rm -f "$log.txt"
    load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)
    echo "$1,$2,$3,$status,$requests,${ran:-,,},$wall,$digest,$refused,$load,$log,$4,$refns" >> "$CSV"
    if [ "$status" != 1 ] || [ -z "$digest" ] || [ -z "$requests" ]; then
        fail "$(set_label "$1") at -smp $2 ($what): $(describe_status "$status"), digest '${digest}' (log: $log)"
    fi
    echo "# bench: $(set_label "$1") -smp $2 $what: ${requests:-?} requests," \
         "${ran:+ran ${ran%%,*} ms, }whole run $wall ms${refused:+, refused $refused}, digest ${digest:-none}," \
         "load ${load:-?}" >&2
}

# The set's peels the host refused ("guest classic: peel X refused: why"),
# or never confirmed in a guest that did start: "a+b", or nothing.
peels_refused() {   # set-key log
    [ "$1" = none ] && return
    for p in $(echo "$1" | tr + ' '); do
        if grep -q "^guest classic: peel $p refused" "$2"; then echo "$p"
        elif ! grep -q "^guest classic: peel $p done" "$2" && grep -q "^guest classic: loaded" "$2"; then echo "$p"
        fi
    done | paste -sd+ -
}
set_label() { [ "$1" = none ] && echo "{}" || echo "{$(echo "$1" | tr + ,)}"; }

echo "set,smp,rep,status,requests,ran_ms,vcpus,gkl_ms,wall_ms,digest,refused,load1,log,r,checksum_ns" > "$CSV"
keys=$(for s in $SETS; do set_key "$s"; done)
echo "# bench: banana-peel chart, classic W=$W R=$R, sets: $(for k in $keys; do set_label "$k"; done | paste -sd' ' -)," \
     "-smp $(echo $SMPS | tr ' ' /), $REPEAT run(s) each, $LIMIT s limit a run," \
     "$([ "$R0" -gt 0 ] && echo "each with a short run of R=$R0 ($BLIMIT s limit)" || echo "no short runs")" >&2

# The peel contract's reference: the unpeeled -smp 1 run (the matrix's
# first that printed a digest, or else a run of its own first).
if ! echo "$keys" | grep -qx none || ! echo " $SMPS " | grep -q ' 1 '; then
    run_one none 1 baseline "$R"
fi
# A short run right after its main run, so both see the same machine.
for k in $keys; do
    rep=1
    while [ "$rep" -le "$REPEAT" ]; do
        for smp in $SMPS; do
            run_one "$k" "$smp" "$rep" "$R"
            [ "$R0" -eq 0 ] || run_one "$k" "$smp" "$rep" "$R0"
        done
        rep=$((rep + 1))
    done
done

# Every run of r requests a worker whose digest is not ref fails the bench:
# "digest D from SET at -smp N (WHAT) differs from WHOSE's REF (log: L)".
digest_mismatches() {   # r ref whose
    awk -F, -v r="$1" -v ref="$2" -v whose="$3" -v main="$R" 'NR > 1 && $14 == r && ref != "" && $10 != "" && $10 != ref {
            set = $1 == "none" ? "{}" : "{" $1 "}"; gsub(/\+/, ",", set)
            what = r == main ? "run " $3 : "run " $3 ", short R=" r
            printf "digest %s from %s at -smp %s (%s) differs from %s'"'"'s %s (log: %s)\n",
                   $10, set, $2, what, whose, ref, $13 }' "$CSV" |
        while IFS= read -r l; do fail "$l"; done
}
refmodel() { "$BUILD/guest/classic-refmodel" "$W" "$1" 2>/dev/null | sed -n 's/^DIGEST //p'; }
ref=$(awk -F, -v r="$R" '$1 == "none" && $2 == 1 && $14 == r && $10 != "" { print $10; exit }' "$CSV")
want=$(refmodel "$R")
echo "# bench: reference digest (unpeeled, -smp 1) ${ref:-missing}, reference model ${want:-unavailable}" >&2
[ -n "$ref" ] || fail "no digest from the unpeeled -smp 1 run: nothing to check the peels against"
[ -z "$want" ] || [ -z "$ref" ] || [ "$ref" = "$want" ] ||
    fail "the unpeeled -smp 1 digest $ref differs from the reference model's $want"
digest_mismatches "$R" "$ref" "the unpeeled -smp 1 run"
# The short runs answer to the reference model for (W, R0).
bref=
if [ "$R0" -gt 0 ]; then
    bref=$(refmodel "$R0")
    echo "# bench: reference model for the short runs (W=$W R=$R0) ${bref:-unavailable}" >&2
    [ -n "$bref" ] || fail "no reference model digest for W=$W R=$R0 ($BUILD/guest/classic-refmodel): nothing to check the short runs against"
    digest_mismatches "$R0" "$bref" "the reference model"
fi

sh tests/bench/report.sh "$CSV" "$OUT" "$W" "$R" "$ref" "$bref"
if [ -s "$FAILS" ]; then
    echo "bench: FAILED — $(wc -l < "$FAILS") problem(s), the peel contract is broken or a run did not finish:"
    sed 's/^/  /' "$FAILS"
    exit 1
fi
