#!/bin/sh
# Scan-on-execute (issue 13): tests/guests/scanexec.asm, a stripped image
# (no symbol for the host to start from) that runs pushf/popf reached only
# by an indirect call, copied over code that ran and to a page never run,
# and rewritten in place after it ran (from another page, and by the code
# on its own page), and on a page dropped and begun again by a scan from
# another page while a third still calls into it elsewhere, checking the
# interrupt flag each time by whether the timer interrupt arrives.  Hosted
# (-smp 2 and -smp 4) its console lines must equal the same image's on a
# bare 32-bit PC (tests/guests/bare-oracle.sh), and the host must have
# scanned on execute: fetch faults, drops of rewritten pages, and stepped
# writes (the one on its own page, the data beside code) all counted by
# the monitor.
. tests/qemu.sh
LOGS=$BUILD/test-logs
G=$BUILD/guest
mkdir -p "$LOGS"
plan $((1 + 2 * 10))

bare=$LOGS/scanexec-bare.log
st=$(sh tests/guests/bare-oracle.sh "$G/scanexec.elf" "$bare" "" 120)
if [ "$st" = 127 ]; then
    echo "ok - scanexec/bare-passes # SKIP no qemu-system-i386 for the oracle"
else
    log=$bare
    check scanexec/bare-passes has "^scanexec: PASS"
fi

lines() { tr -d '\r' < "$1" | sed -n 's/^\[scanexec\] //p' | grep '^scanexec: '; }
same_as_bare() {
    [ "$st" = 127 ] && return 0
    [ -n "$(lines "$log")" ] && [ "$(lines "$log")" = "$(tr -d '\r' < "$bare" | grep '^scanexec: ')" ]
}
# the monitor's line: scan on execute: P pages scanned, F fetch faults, W write faults, D drops (H ...), S writes stepped
stat() { tr -d '\r' < "$log" | sed -n "s/.*scan on execute: .*[ (]\([0-9]*\) $1.*/\1/p" | tail -1; }
positive() { n=$(stat "$1"); [ -n "$n" ] && [ "$n" -gt 0 ]; }

for smp in 2 4; do
    log=$LOGS/scanexec-smp$smp.log
    status=$(qemu_boot "$log" $smp 240 "guest=scanexec monitor=wait,120;guest,0,stats;poweroff")
    run=smp$smp
    check "scanexec/$run/pass" has "^\[scanexec\] scanexec: PASS"
    check "scanexec/$run/same-as-bare" same_as_bare
    check "scanexec/$run/reentry-pushf" has "^\[scanexec\] scanexec: reentry pushf IF=0"
    check "scanexec/$run/no-symbols" has "guest scanexec: no symbols"
    check "scanexec/$run/exited" has "guest scanexec: exited (wrote 0 "
    check "scanexec/$run/fetch-faults" positive "fetch faults"
    check "scanexec/$run/drops" positive "drops"
    check "scanexec/$run/writes-stepped" positive "writes stepped"
    check "scanexec/$run/module-unchanged" has "guest scanexec: image module unchanged"
    check_exit "scanexec/$run/qemu-exit" "$status" 0
done
