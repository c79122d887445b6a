#!/bin/sh
# pagetest (issue 13): the paging torture guest, tests/guests/pagetest/, run
# bare and hosted; the two transcripts must be identical line for line.
#
# The bare transcripts are kept in the tree (tests/guests/pagetest/bare.txt,
# and bare-ring0only.txt for guestarg=ring0only, which leaves out every
# ring-3 case): they are the oracle wherever qemu-system-i386 is missing.
# Where it is there, both are regenerated and must equal the kept ones (a
# change to the guest must come with its new transcript: `make
# pagetest-oracle` writes them) and run twice to the same bytes.  Every case
# is also checked by the guest against its own model of the SDM: a
# transcript with "!sdm" in it, or without "pagetest: PASS", fails.
#
# Checks, per mode (full, ring0only):
#   MODE/kept-clean        the kept transcript passes its own checks
#   bare-MODE/passes       a bare i386 PC (-M isapc -cpu qemu32) runs it to PASS
#   bare-MODE/repeatable   a second bare run prints the same bytes
#   bare-MODE/equals-kept  ... the same bytes as the kept transcript
#   hosted-MODE/exit       hosted at -smp 1 (oneshot), the guest exits with 0
#   hosted-MODE/no-panic   and the host did not panic
#   hosted-MODE/equals-bare  its console lines equal the kept transcript;
#                          the first divergence is printed as a comment
# plus image (the guest was built).
#
# HOSTED: the modes run hosted; the others' hosted checks are skipped.
# Both run in make test (PAGETEST_HOSTED_DEFAULT): "ring0only" needs shadow
# paging and scan-on-execute with paging on, "full" guest ring 3 as well.
# PAGETEST_HOSTED in the environment overrides it for a trial run
# (PAGETEST_HOSTED=ring0only ONLY=pagetest make test).
PAGETEST_HOSTED_DEFAULT="ring0only full"
HOSTED=${PAGETEST_HOSTED-$PAGETEST_HOSTED_DEFAULT}

. tests/qemu.sh
LOGS=$BUILD/test-logs/pagetest
ELF=$BUILD/guest/pagetest.elf
KEPT=tests/guests/pagetest
MODES="full ring0only"
mkdir -p "$LOGS"
plan $((1 + 7 * 2))

words_of() { [ "$1" = full ] || echo "$1"; }          # the guest's command line
kept_of() { [ "$1" = full ] && echo "$KEPT/bare.txt" || echo "$KEPT/bare-$1.txt"; }
skip() { echo "ok - $1 # SKIP $2"; }

# clean FILE: a whole transcript that passed: PASS, a DIGEST, no disagreement
clean() {
    grep -q '^pagetest: PASS$' "$1" && grep -q '^DIGEST [0-9a-f]\{16\}$' "$1" &&
        grep -q '^pagetest: [0-9]* cases, 0 disagree with the SDM$' "$1" && ! grep -q '!sdm' "$1"
}

# first_divergence WANT GOT WHAT: the first lines that differ, as TAP
# comments (WHAT names GOT: bare, hosted)
first_divergence() {
    n=$(awk 'NR == FNR { want[NR] = $0; last = NR; next }
             { got = FNR; if ($0 != want[FNR]) { print FNR; found = 1; exit } }
             END { if (!found && got < last) print got + 1 }' "$1" "$2")
    [ -n "$n" ] || return 0
    echo "# $3: $((n - 1)) of $(wc -l < "$1") lines as kept, then line $n:" >&2
    echo "#   kept: $(sed -n "${n}p" "$1")" >&2
    echo "#   $3: $(sed -n "${n}p" "$2" | grep . || echo '(nothing: the transcript ends here)')" >&2
    # and the extent: lines that differ where both have them, lines missing
    awk -v what="$3" 'NR == FNR { want[NR] = $0; last = NR; next }
        { got = FNR; if ($0 != want[FNR]) { d++; if (d <= 4) ex = ex "\n#     line " FNR ": " $0 } }
        END { printf "# %s: %d lines differ, %d missing at the end%s\n", what, d, last - got, (d > 1 ? "; the first few:" ex : "") }' \
        "$1" "$2" >&2
}

if [ -s "$ELF" ]; then echo "ok - image"; else echo "not ok - image: $ELF missing (make iso)"; fi
have_i386=yes
command -v "${QEMU_I386:-qemu-system-i386}" >/dev/null 2>&1 || have_i386=

for mode in $MODES; do
    kept=$(kept_of "$mode")
    words=$(words_of "$mode")
    log=$kept
    check "$mode/kept-clean" clean "$kept"
    if [ -n "$(grep -h '^pagetest: [0-9]* cases' "$kept")" ]; then
        echo "# $mode: kept transcript: $(grep -h '^pagetest: [0-9]* cases' "$kept"), $(grep -h '^DIGEST' "$kept")" >&2
    fi

    # --- bare --------------------------------------------------------------
    if [ -z "$have_i386" ]; then
        skip "bare-$mode/passes" "no qemu-system-i386"
        skip "bare-$mode/repeatable" "no qemu-system-i386"
        skip "bare-$mode/equals-kept" "no qemu-system-i386"
    else
        for run in 1 2; do
            st=$(sh tests/guests/bare-oracle.sh "$ELF" "$LOGS/bare-$mode-$run.log" "$words" 180)
            tr -d '\r' < "$LOGS/bare-$mode-$run.log" > "$LOGS/bare-$mode-$run.txt"
            [ "$run" = 1 ] && st1=$st
        done
        log=$LOGS/bare-$mode-1.txt
        echo "# bare $mode: QEMU status $st1, $(grep -h '^DIGEST' "$log")" >&2
        check "bare-$mode/passes" eval '[ "$st1" = 1 ] && clean "$log"'
        check "bare-$mode/repeatable" cmp -s "$log" "$LOGS/bare-$mode-2.txt"
        if ! cmp -s "$kept" "$log"; then
            echo "# bare $mode differs from $kept (regenerate it with make pagetest-oracle if the guest changed):" >&2
            first_divergence "$kept" "$log" "bare $mode"
        fi
        check "bare-$mode/equals-kept" cmp -s "$kept" "$log"
    fi

    # --- hosted --------------------------------------------------------------
    case " $HOSTED " in
    *" $mode "*)
        log=$LOGS/hosted-$mode.log
        st=$(qemu_boot "$log" 1 600 "guest=pagetest ${words:+guestarg=$words }oneshot panic=exit")
        tr -d '\r' < "$log" | sed -n 's/^\[pagetest\] //p' > "$LOGS/hosted-$mode.txt"
        grep -a '^guest pagetest: \(stopped\|exited\)' "$log" | tr -d '\r' | sed 's/^/# /' >&2
        check_exit "hosted-$mode/exit" "$st" 1
        if has "PANIC"; then echo "# $(grep -a -m1 PANIC "$log" | tr -d '\r')" >&2; fi
        check "hosted-$mode/no-panic" lacks "PANIC"
        first_divergence "$kept" "$LOGS/hosted-$mode.txt" "hosted $mode"
        check "hosted-$mode/equals-bare" cmp -s "$kept" "$LOGS/hosted-$mode.txt"
        ;;
    *)
        for c in exit no-panic equals-bare; do
            skip "hosted-$mode/$c" "not enabled yet (HOSTED in tests/suites/pagetest.sh)"
        done
        ;;
    esac
done
exit 0
