#!/bin/sh
# make bench-linux: Debian's Linux booting to its /init, hosted by Peel
# against the same kernel and initramfs on bare (emulated) metal, side by
# side: REPEAT pairs, bare and hosted alternating, so that this shared
# machine's drift falls on both.  A run's time is the wall time from
# QEMU's start to "peel-init: done" on its serial line (GRUB and the host's
# start included for the hosted one, as the firmware's for the bare one);
# the hosted run's own report adds the guest's time from its start.  Both
# run on one emulated CPU with multi-threaded TCG, as `make test` runs
# them (tests/suites/linux.sh: the bare command is tests/linux/bare.sh's).
# With linux.map on the large ISO (make linux-map), the last hosted run
# also prints `prof`'s ranked list.  docs/status.md keeps the figures.
BUILD=${BUILD:-build}
. tests/qemu.sh
REPEAT=${REPEAT:-3}
LIMIT=${LIMIT:-300}
OUT=$BUILD/bench
G=$BUILD/guest
mkdir -p "$OUT"
APPEND=$(cat guest-image/linux/guestargs)
WORDS="guest=linux $(printf '%s' "$APPEND" | sed 's/[^ ][^ ]*/guestarg=&/g')"
DONE='peel-init: done'
[ -s "$G/linux.bzImage" ] && [ -s "$G/linux.initrd" ] && [ -s "$BUILD/peel-large.iso" ] ||
    { echo "bench-linux: build $G/linux.bzImage, linux.initrd and $BUILD/peel-large.iso first (make bench-linux does)" >&2; exit 2; }

now_ms() { date +%s%3N; }

# until_done LOG PID START: wait for DONE in LOG (or PID gone, or LIMIT); the ms since START, or "-"
until_done() {
    while kill -0 "$2" 2>/dev/null && ! grep -aq "$DONE" "$1"; do
        [ $(( $(now_ms) - $3 )) -gt $((LIMIT * 1000)) ] && break
        sleep 0.05
    done
    if grep -aq "$DONE" "$1"; then echo $(( $(now_ms) - $3 )); else echo -; fi
}

bare() {
    : > "$1"
    start=$(now_ms)
    qemu-system-i386 -M isapc -cpu qemu32,-apic,-pae,-pge,-pse,-sep,-mtrr,-mca,-mce,-pat -m 64 -nodefaults \
        -display none -no-reboot -kernel "$G/linux.bzImage" -initrd "$G/linux.initrd" -append "$APPEND" \
        -serial "file:$1" </dev/null >/dev/null 2>&1 &
    pid=$!
    until_done "$1" $pid "$start"
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
}

# hosted LOG [MONITOR LINES...]: the lines typed at the monitor once done
hosted() {
    log=$1; shift
    fifo=$(mktemp -u) && mkfifo "$fifo" || { echo -; return; }
    : > "$log"
    start=$(now_ms)
    "$QEMU" -machine pc -cpu max -accel tcg,thread=multi -smp 1 -m 512M -display none -no-reboot \
        -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 -cdrom "$BUILD/peel-large.iso" -boot d \
        -fw_cfg name=opt/peel/cmdline,string="$WORDS" <"$fifo" >"$log" 2>&1 &
    pid=$!
    exec 9>"$fifo"
    until_done "$log" $pid "$start"
    trap '' PIPE
    for line in "$@" poweroff; do printf '%s\r' "$line" >&9 2>/dev/null; sleep 2; done
    exec 9>&-
    ( sleep 20; kill $pid 2>/dev/null ) & killer=$!
    wait $pid 2>/dev/null
    kill $killer 2>/dev/null
    trap - PIPE
    rm -f "$fifo"
}

echo "bench-linux: $(sed -n 's/^package //p' "$G/linux.version" 2>/dev/null) $(sed -n 's/^version //p' "$G/linux.version" 2>/dev/null), $REPEAT pairs, wall ms from QEMU's start to \"$DONE\""
bares= hosteds=
for i in $(seq 1 "$REPEAT"); do
    b=$(bare "$OUT/linux-bare-$i.log")
    if [ "$i" = "$REPEAT" ]; then h=$(hosted "$OUT/linux-hosted-$i.log" "prof 30")
    else h=$(hosted "$OUT/linux-hosted-$i.log"); fi
    ran=$(tr -d '\r' < "$OUT/linux-hosted-$i.log" | sed -n 's/^guest linux: ran \([0-9]*\) ms.*/\1/p' | tail -1)
    echo "  pair $i: bare $b ms, hosted $h ms (the guest ran ${ran:-?} ms of it)"
    bares="$bares $b" hosteds="$hosteds $h"
done
median() { printf '%s\n' "$@" | grep -v '^-$' | sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "-" }'; }
mb=$(median $bares) mh=$(median $hosteds)
echo "  median: bare $mb ms, hosted $mh ms, hosted/bare $(awk -v b="$mb" -v h="$mh" 'BEGIN { if (b > 0 && h > 0) printf "%.2fx", h / b; else print "-" }')"
last=$OUT/linux-hosted-$REPEAT.log
tr -d '\r' < "$last" | grep -a '^guest linux: \(traps by\|scan on\|vCPU 0 shadow\)' | sed 's/^/  /'
if tr -d '\r' < "$last" | grep -aq '^  rank '; then
    tr -d '\r' < "$last" | sed -n '/^prof 30/,/^peel> poweroff/p' | grep -av '^peel>\|^prof 30'
else
    echo "  (no ranked list: make linux-map puts the kernel's symbols on the large ISO)"
fi
