#!/bin/sh
# make bench-tbprof: where the instructions go, host and guest alike.
#
# classic with every peel (W workers x R requests), one CPU, -icount
# shift=0, with tests/bench/tbprof.c counting every translation block's
# executions: deterministic, so two builds compare exactly (a change that
# moves a few instructions out from under the guest kernel lock shows to
# the instruction).  The blocks are attributed to the function before
# them, from nm of the host ($BUILD/peel.elf) and of the guest
# ($BUILD/guest/classic.elf); GRUB's and the BIOS's code falls before
# either and is counted apart.  TBPROF_WORDS adds command-line words
# (peelentry=syscall, say); TBPROF_TOP says how many lines.
. tests/qemu.sh
W=${BENCH_WORKERS:-16}
R=${BENCH_REQUESTS:-128}
TOP=${TBPROF_TOP:-40}
OUT=$BUILD/bench/tbprof
rm -rf "$OUT" && mkdir -p "$OUT"
want=$("$BUILD/guest/classic-refmodel" "$W" "$R" | sed -n 's/^DIGEST //p')

${CC:-cc} -shared -fPIC -O2 -Wall -Wextra -o "$OUT/tbprof.so" tests/bench/tbprof.c || exit 1
log=$OUT/classic.log
: > "$log"
words="guest=classic guestarg=workers=$W guestarg=requests=$R oneshot peel=checksum,,mm,,sched,,cache,,fs ${TBPROF_WORDS:-}"
timeout --kill-after=5 $((600 + W * R)) "$QEMU" -machine pc -cpu max -accel tcg -icount shift=0 -smp 1 -m 512M \
    -display none -no-reboot -serial "file:$log" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -cdrom "${ISO:-$BUILD/peel.iso}" -boot d -plugin "$OUT/tbprof.so,out=$OUT/blocks.txt" \
    -fw_cfg name=opt/peel/cmdline,string="$words" </dev/null >"$log.qemu" 2>&1
st=$?
got=$(tr -d '\r' < "$log" | sed -n 's/^\[classic\] DIGEST //p')
if [ "$st" != 1 ] || [ "$got" != "$want" ] || [ ! -s "$OUT/blocks.txt" ]; then
    echo "# bench: tbprof run failed: QEMU status $st (1 is the guest's success), digest '$got' against '$want' (log $log)" >&2
    exit 1
fi

# Symbols (functions with their sizes) and blocks in one address-sorted
# stream: 16 hex digits compare as strings, and a symbol sorts before a
# block at its address.  A block counts for the function it falls inside
# (the low 32 bits of an address are exact in awk's numbers; the high
# ones must match), else for the code no symbol table names: GRUB, the
# BIOS, the host's patch blocks.
{ nm -n -S --defined-only "$BUILD/peel.elf"; nm -n -S --defined-only "$BUILD/guest/classic.elf"; } |
    awk 'NF == 4 && $3 ~ /^[tT]$/ { a = $1; while (length(a) < 16) a = "0" a; print a, 0, $2, $4 }' > "$OUT/syms.txt"
grep -v '^#' "$OUT/blocks.txt" | awk '{ print $1, 1, $2 * $3, $3 }' | cat - "$OUT/syms.txt" | sort -k1,1 -k2,2n |
    awk 'function hex(s,    i, n) { n = 0; for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
         $2 == 0 { fn = $4; high = substr($1, 1, 8); lo = hex(substr($1, 9)); end = lo + hex($3); next }
         { f = fn != "" && substr($1, 1, 8) == high && hex(substr($1, 9)) < end ? fn : "(no symbol: GRUB, the BIOS, patch blocks)"
           insns[f] += $3; tbs[f] += $4; total += $3 }
         END { for (f in insns) printf "%.0f %.0f %s\n", insns[f], tbs[f], f; printf "%.0f 0 (total)\n", total }' |
    sort -k1,1nr > "$OUT/functions.txt"

total=$(sed -n 's/^\([0-9]*\) 0 (total)$/\1/p' "$OUT/functions.txt")
{
    echo "instructions by function: classic, every peel, W=$W R=$R, -smp 1, -icount shift=0 ($("$QEMU" --version | head -1))"
    tr -d '\r' < "$log" | grep -a 'guest classic: ran'
    printf "%14s %6s %14s  %s\n" instructions share "blocks run" function
    grep -v ' (total)$' "$OUT/functions.txt" | head -n "$TOP" |
        awk -v t="$total" '{ name = $0; sub(/^[^ ]+ [^ ]+ /, "", name); printf "%14.0f %5.1f%% %14.0f  %s\n", $1, 100 * $1 / t, $2, name }'
    printf "%14s %6s %14s  %s\n" "$total" "" "" "all"
} | tee "$OUT/table.txt"
