#!/bin/sh
# Shadow paging (issue 13): tests/guests/paging.asm hosted at -smp 1 and
# -smp 2, each run's transcript against the same image on a bare 32-bit PC
# (tests/guests/bare-oracle.sh).  For each hosted run:
#   paging-smpN/pass        the guest's own verdict (every value as a CPU gives it)
#   paging-smpN/exit-status the oneshot status is the guest's exit code 0
#   paging-smpN/no-panic    the host did not panic
#   paging-smpN/equals-bare its console lines are the bare run's, line for line
# and once, paging/bare-pass: the bare run itself passes (the test's own
# expectations hold on a CPU).
. tests/qemu.sh
LOGS=$BUILD/test-logs
G=$BUILD/guest
mkdir -p "$LOGS"
plan $((2 * 4 + 1))

bare=$LOGS/paging-bare.log
bst=$(sh tests/guests/bare-oracle.sh "$G/paging.elf" "$bare" "" 120)
if [ "$bst" = 127 ]; then
    echo "ok - paging/bare-pass # SKIP no qemu-system-i386 for the oracle"
else
    log=$bare
    check paging/bare-pass has "^paging: PASS"
fi

for smp in 1 2; do
    log=$LOGS/paging-smp$smp.log
    st=$(qemu_boot "$log" "$smp" 120 "guest=paging oneshot panic=exit")
    check "paging-smp$smp/pass" has "^\[paging\] paging: PASS"
    check_exit "paging-smp$smp/exit-status" "$st" 1
    check "paging-smp$smp/no-panic" lacks "PANIC"
    if [ "$bst" = 127 ]; then
        echo "ok - paging-smp$smp/equals-bare # SKIP no qemu-system-i386 for the oracle"
        continue
    fi
    tr -d '\r' < "$bare" > "$log.bare"
    tr -d '\r' < "$log" | sed -n 's/^\[paging\] //p' > "$log.hosted"
    diff "$log.bare" "$log.hosted" | head -10 | sed 's/^/# /' >&2
    check "paging-smp$smp/equals-bare" cmp -s "$log.bare" "$log.hosted"
done
exit 0
