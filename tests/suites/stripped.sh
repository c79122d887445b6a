#!/bin/sh
# A stripped image with its symbols in a map beside it (NAME.map, the output
# of nm -S --defined-only: loader/symmap.c): the host scans and peels it as
# if it had kept its symbol table, and the digest equals the reference
# model's.  A map with a garbage line is refused with the line number: the
# guest then has no symbols, so no peel can be applied, and it runs to its
# digest on scan-on-execute alone.  classic-o1, another
# build of classic (-O1), is refused the peels whose natives read classic's
# layouts — generated from classic's build ID, which the stripped image
# keeps — with the sentence that says so, and runs to its digest unpeeled.
. tests/qemu.sh
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
W=4 R=8
plan $((13 + 8 + 6))         # the stripped image's checks, the bad map's, the other build's

# the three boots at once (-smp 2 each): none depends on timing
good=$LOGS/stripped-peeled.log bad=$LOGS/stripped-badmap.log other=$LOGS/stripped-otherbuild.log
qemu_boot "$good" 2 300 "guest=classic-stripped guestdisk=classic-disk.img guestarg=workers=$W guestarg=requests=$R peel=sched,mm,checksum,cache,fs oneshot panic=exit" \
    >"$good.status" &
qemu_boot "$bad" 2 300 "guest=classic-badmap guestdisk=classic-disk.img guestarg=workers=$W guestarg=requests=$R peel=checksum,mm monitor=wait,60;poweroff" \
    >"$bad.status" &
qemu_boot "$other" 2 300 "guest=classic-o1 guestdisk=classic-disk.img guestarg=workers=$W guestarg=requests=$R peel=checksum,cache,fs oneshot panic=exit" \
    >"$other.status" &
wait

log=$good
elf=$BUILD/guest/classic-stripped.elf
no_symbols() { [ -s "$1" ] && [ -z "$(nm "$1" 2>/dev/null)" ]; }    # (a missing file has none either)
check stripped/image-has-no-symbols no_symbols "$elf"
check stripped/symbols-from-map has "guest classic-stripped: symbols from classic-stripped.map ([1-9][0-9]* functions)"
# the same functions as the unstripped image's symbol table, so the same scan
n=$(readelf -sW "$BUILD/guest/classic.elf" | awk '$4 == "FUNC"' | wc -l)
check stripped/every-function has "guest classic-stripped: symbols from classic-stripped.map ($n functions)"
for s in sched mm checksum cache fs; do
    check "stripped/peel-$s" has "guest classic-stripped: peel $s done"
done
check stripped/no-refusal lacks "refused"
check stripped/digest classic_digest_ok $W $R classic-stripped
check stripped/fsck has "\[classic-stripped\] fsck: clean"
check_exit stripped/exit-status "$(cat "$good.status")" 1
check stripped/module-unchanged has "guest classic-stripped: image module unchanged (sha256 $(sha256sum "$elf" | cut -d' ' -f1))"

log=$bad
check badmap/refused-with-line has "guest classic-badmap: symbol map refused (symbol map line 5: ADDR is not a hexadecimal number)"
check badmap/runs-unpeeled has "guest classic-badmap: peel checksum refused: the image has no function svc_checksum"
check badmap/no-peel-done lacks "peel [a-z]* done"
check badmap/module-unchanged has "guest classic-badmap: image module unchanged"
# with no symbols at all its code is found by scan-on-execute alone, from
# the entry point: function pointers, jump tables and its context switch's
# ret to a new thread's first frame included (host/vmm/scan.c)
check badmap/no-symbols-digest classic_digest_ok $W $R classic-badmap
check badmap/no-symbols-fsck has "\[classic-badmap\] fsck: clean"
check badmap/no-symbols-no-panic lacks "panic"
check_exit badmap/host-survives "$(cat "$bad.status")" 0

log=$other
build_id() { readelf -nW "$1" | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p'; }
ours=$(build_id "$BUILD/guest/classic.elf") theirs=$(build_id "$BUILD/guest/classic-o1.elf")
same_build_id() { [ -n "$ours" ] && [ "$(build_id "$1")" = "$ours" ]; }
check layout/stripped-keeps-build-id same_build_id "$BUILD/guest/classic-stripped.elf"
check layout/no-layout-peeled has "guest classic-o1: peel checksum done"
for s in cache fs; do
    check "layout/$s-refused" has "guest classic-o1: peel $s refused: its layouts were generated from build ID $ours, the image has $theirs"
done
check layout/digest classic_digest_ok $W $R classic-o1
check_exit layout/exit-status "$(cat "$other.status")" 1
