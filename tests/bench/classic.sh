#!/bin/sh
# make bench: the classic workload hosted by Peel against the same image on
# bare (emulated) metal, side by side in one run.
#
# Executed instructions: QEMU's -icount shift=0 makes virtual time count
# instructions (1 ns each), so the guest's own clock, at hz=1000, reads
# millions of instructions; hosted, that count includes every instruction
# the host executed on the guest's behalf.  It includes idle time too (a
# halted CPU's clock jumps to its next timer): a disk model that answers
# sooner (the host's ATA against QEMU's IDE) shortens it, so it bounds the
# host's work from above, not from below.  Wall time is the elapsed time of
# each whole QEMU run (boot included) on this machine, as measured now, and
# again with the time of the same run with one request taken off (the
# hosted boot, GRUB and the host and the guest's fsck, is seconds).  Bare
# metal runs twice: booted by QEMU's -kernel (no firmware boot, no loader)
# and, as the hosted run is, by the firmware and GRUB from a CD (an ISO
# made here holding classic alone, boot/grub.cfg's bare entry with this
# workload): the second is the like-for-like ratio, both are printed.  The
# same hosted run with blocks=off (host/vmm/blocks.h) shows what the patch
# blocks save.  Trap counts per request come from the host's report.
BUILD=${BUILD:-build}
. tests/qemu.sh
W=${W:-8}
R=${R:-32}
OUT=$BUILD/bench
G=$BUILD/guest
mkdir -p "$OUT"

now_ms() { date +%s%3N; }
ticks() { tr -d '\r' < "$1" | sed -n 's/.*requests in \([0-9]*\) ticks at 1000 Hz.*/\1/p' | tail -1; }
digest() { tr -d '\r' < "$1" | sed -n 's/^\(\[classic\] \)\{0,1\}DIGEST //p' | tail -1; }

: > "$OUT/bare.log"; : > "$OUT/hosted.log"    # nothing old to read if a run cannot start
# bare LOG WORKERS REQUESTS and hosted LOG WORKERS REQUESTS [HOST WORDS]:
# one run of classic, one CPU, -icount shift=0; its status in $status
bare() {
    timeout 900 qemu-system-i386 -machine pc -accel tcg -icount shift=0 -m 128M -display none -no-reboot \
        -serial "file:$OUT/$1" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -drive "file=$G/classic-disk.img,format=raw,if=ide,index=0,media=disk" -snapshot \
        -kernel "$G/classic.elf" -append "workers=$2 requests=$3 hz=1000" </dev/null >/dev/null 2>&1
    status=$?
}
# bare_iso W R: that ISO; bare_grub LOG W R boots it
bare_iso() {
    d=$OUT/bare-iso-$1-$2
    rm -rf "$d" && mkdir -p "$d/boot/grub" && cp "$G/classic.elf" "$d/boot/" &&
    printf 'set timeout=0\nmenuentry "classic" {\n    multiboot /boot/classic.elf workers=%s requests=%s hz=1000\n    boot\n}\n' \
        "$1" "$2" > "$d/boot/grub/grub.cfg" && grub-mkrescue -o "$d.iso" "$d" 2>/dev/null
}
bare_grub() {
    timeout 900 qemu-system-i386 -machine pc -accel tcg -icount shift=0 -m 128M -display none -no-reboot \
        -serial "file:$OUT/$1" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -drive "file=$G/classic-disk.img,format=raw,if=ide,index=0,media=disk" -snapshot \
        -cdrom "$OUT/bare-iso-$2-$3.iso" -boot d </dev/null >/dev/null 2>&1
    status=$?
}
hosted() {
    timeout 900 "$QEMU" -machine pc -cpu max -accel tcg -icount shift=0 -smp 1 -m 512M -display none \
        -no-reboot -serial "file:$OUT/$1" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -cdrom "$BUILD/peel.iso" -boot d \
        -fw_cfg name=opt/peel/cmdline,string="guest=classic guestarg=workers=$2 guestarg=requests=$3 guestarg=hz=1000 oneshot $4" \
        </dev/null >/dev/null 2>&1
    status=$?
}
bare_iso "$W" "$R" && bare_iso 1 1 || { echo "bench: FAIL: grub-mkrescue could not make the bare ISOs"; exit 1; }
# Each run WALL_REPEAT times (3), the kinds interleaved; a wall time is the
# median of its runs (the machine is shared: one run can be off by half).
# A run whose status was not what it should be keeps that status here.
# timed NAME EXPECTED RUN ARGS...: the run, its time added to ms_NAME
timed() {
    v=$1 want=$2
    shift 2
    a=$(now_ms)
    "$@"
    eval "ms_$v=\"\$ms_$v $(($(now_ms) - a))\""
    [ "$status" = "$want" ] || eval "${v}_status=$status"
}
median() { printf '%s\n' $1 | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] + 0 }'; }
bare_status=1 hosted_status=1 noblocks_status=1 bare_short_status=1 hosted_short_status=1
bare_grub_status=1 bare_grub_short_status=1
for i in $(seq "${WALL_REPEAT:-3}"); do
    timed bare 1 bare bare.log "$W" "$R"
    timed hosted 1 hosted hosted.log "$W" "$R"
    # the same without patch blocks (host/vmm/blocks.h): every cli, sti,
    # pushf, popf and iret a trap, as before issue 14
    timed noblocks 1 hosted hosted-noblocks.log "$W" "$R" blocks=off
    timed bare_grub 1 bare_grub bare-grub.log "$W" "$R"
    # the fixed part of each wall time: the same runs with one request (the
    # hosted one boots GRUB, the host and the guest, and checks the image
    # at its end: seconds that a longer workload does not repeat)
    timed bare_short 1 bare bare-short.log 1 1
    timed hosted_short 1 hosted hosted-short.log 1 1
    timed bare_grub_short 1 bare_grub bare-grub-short.log 1 1
done
t_bare=$(median "$ms_bare") t_hosted=$(median "$ms_hosted") t_noblocks=$(median "$ms_noblocks")
t_bare_grub=$(median "$ms_bare_grub") t_bare_short=$(median "$ms_bare_short")
t_hosted_short=$(median "$ms_hosted_short") t_bare_grub_short=$(median "$ms_bare_grub_short")

bare=$(ticks "$OUT/bare.log") hosted=$(ticks "$OUT/hosted.log") noblocks=$(ticks "$OUT/hosted-noblocks.log")
requests=$((W * R))
# the host's report: "N privileged-instruction traps, N patched-instruction
# traps, N interrupts delivered" and "traps by instruction: interrupt flag N
# (...), port I/O N, near branches N"
field() { tr -d '\r' < "$1" | grep "guest classic: $2" | sed -n "s/.*[ (]\([0-9]*\) $3.*/\1/p" | tail -1; }
priv=$(field "$OUT/hosted.log" exited privileged-instruction)
patched=$(field "$OUT/hosted.log" exited patched-instruction)
irqs=$(field "$OUT/hosted.log" exited "interrupts delivered")
iflag=$(tr -d '\r' < "$OUT/hosted.log" | sed -n 's/.*traps by instruction: interrupt flag \([0-9]*\).*/\1/p' | tail -1)
pio=$(tr -d '\r' < "$OUT/hosted.log" | sed -n 's/.*port I\/O \([0-9]*\).*/\1/p' | tail -1)
per() { awk -v t="${1:-0}" -v n="$requests" 'BEGIN { printf "%.1f", t / n }'; }
# PASS or MISS against a target: value, limit (a MISS is printed, never hidden)
verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v != "" && v + 0 <= l + 0) ? "PASS" : "MISS" }'; }
{
    echo "classic workload, W=$W R=$R ($requests requests), one CPU, -icount shift=0"
    echo "digest: bare $(digest "$OUT/bare.log"), hosted $(digest "$OUT/hosted.log"), blocks=off $(digest "$OUT/hosted-noblocks.log"), bare by GRUB $(digest "$OUT/bare-grub.log"), reference $("$G/classic-refmodel" "$W" "$R" | sed -n 's/^DIGEST //p')"
    printf '%-26s %14s %14s %8s %16s\n' "" "bare metal" "hosted" "ratio" "blocks=off"
    if [ -n "$bare" ] && [ -n "$hosted" ]; then
        printf '%-26s %14s %14s %8s %16s\n' "instructions (millions)" "$bare" "$hosted" \
            "$(awk -v a="$bare" -v b="$hosted" 'BEGIN { printf "%.2fx", b / a }')" \
            "${noblocks:-?} ($(awk -v a="$bare" -v b="${noblocks:-0}" 'BEGIN { printf "%.2fx", b / a }'))"
        printf '%-26s %14s %14s\n' "instructions per request" \
            "$(awk -v a="$bare" -v n="$requests" 'BEGIN { printf "%.0f", a * 1e6 / n }')" \
            "$(awk -v a="$hosted" -v n="$requests" 'BEGIN { printf "%.0f", a * 1e6 / n }')"
    else
        echo "instructions: a run did not finish (logs in $OUT)"
    fi
    printf '%-26s %14s %14s %8s %16s\n' "wall time of the run (ms)" "$t_bare" "$t_hosted" \
        "$(awk -v a="$t_bare" -v b="$t_hosted" 'BEGIN { printf "%.2fx", b / a }')" \
        "$t_noblocks ($(awk -v a="$t_bare" -v b="$t_noblocks" 'BEGIN { printf "%.2fx", b / a }'))"
    printf '%-26s %14s %14s\n' "  of it with one request" "$t_bare_short" "$t_hosted_short"
    printf '%-26s %14s %14s %8s\n' "  bare booted by GRUB" "$t_bare_grub" "$t_hosted" \
        "$(awk -v a="$t_bare_grub" -v b="$t_hosted" 'BEGIN { printf "%.2fx", b / a }')"
    printf '%-26s %14s %14s\n' "    of it with one request" "$t_bare_grub_short" "$t_hosted_short"
    bare_work=$((t_bare - t_bare_short)) hosted_work=$((t_hosted - t_hosted_short))
    printf '%-26s %14s %14s %8s\n' "  the rest (the workload)" "$bare_work" "$hosted_work" \
        "$(awk -v a="$bare_work" -v b="$hosted_work" 'BEGIN { if (a > 0 && b > 0) printf "%.2fx", b / a; else printf "?" }')"
    echo "  (medians of ${WALL_REPEAT:-3} runs each: bare $ms_bare; hosted $ms_hosted; bare by GRUB $ms_bare_grub)"
    echo "traps per request (hosted): privileged $(per "$priv") (port I/O $(per "$pio")), patched $(per "$patched")," \
         "interrupts delivered $(per "$irqs")"
    all=$(awk -v a="${priv:-0}" -v b="${patched:-0}" -v c="${irqs:-0}" -v n="$requests" 'BEGIN { printf "%.1f", (a + b + c) / n }')
    ratio=$(awk -v a="${bare:-0}" -v b="${hosted:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a }')
    wall=$(awk -v a="$t_bare" -v b="$t_hosted" 'BEGIN { printf "%.2f", b / a }')
    wall_grub=$(awk -v a="$t_bare_grub" -v b="$t_hosted" 'BEGIN { printf "%.2f", b / a }')
    # (a one-request run slower than the whole one: the machine was busy; no figure, a MISS)
    work=$(awk -v a="$bare_work" -v b="$hosted_work" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", b / a }')
    echo "targets (issue 14):"
    printf '  %-50s %10s  %s\n' "interrupt-flag traps per request <= 5" "$(per "$iflag")" "$(verdict "$(per "$iflag")" 5)"
    printf '  %-50s %10s  %s\n' "all traps per request <= 700" "$all" "$(verdict "$all" 700)"
    printf '  %-50s %10s  %s\n' "hosted/bare executed instructions <= 1.15x" "${ratio:-?}x" "$(verdict "$ratio" 1.15)"
    printf '  %-50s %10s  %s\n' "hosted/bare wall time at -smp 1 <= 2.0x, whole run" "${wall_grub}x" "$(verdict "$wall_grub" 2.0)"
    printf '  %-50s %10s  %s\n' "  (both booted by the firmware and GRUB)" "" ""
    printf '  %-50s %10s  %s\n' "  the same, bare booted by -kernel (no firmware boot)" "${wall}x" "$(verdict "$wall" 2.0)"
    printf '  %-50s %10s  %s\n' "  the same, the one-request runs taken off" "${work:-?}x" "$(verdict "$work" 2.0)"
    echo "  (an interrupt that comes due while the guest's IF is clear is delivered by a trap at the"
    echo "   sti/popf/iret that sets it: interrupt-flag traps are at least the interrupts that do so)"
} | tee "$OUT/classic.txt"

# What to peel next: the hosted guest's profile (guest time = the GKL held,
# and traps), ranked, from a separate run at full speed.
prof_status=$(qemu_boot "$OUT/prof.log" 2 900 "guest=classic guestarg=workers=$W guestarg=requests=$R monitor=wait,900;peels;prof,12;poweroff")
echo "what to peel next (classic W=$W R=$R, -smp 2):" | tee "$OUT/next-peel.txt"
tr -d '\r' < "$OUT/prof.log" | sed -n '/^peel> peels/,/^peel> poweroff/p' | grep -v '^peel>' | tee -a "$OUT/next-peel.txt"

# Every run must have ended as asked: the guest's exit code 0 (QEMU status
# 1) bare and oneshot, a poweroff (0) for the profile; a hang is a failure.
bad=0
for r in "bare $bare_status 1 bare.log" "hosted $hosted_status 1 hosted.log" \
         "hosted-blocks=off $noblocks_status 1 hosted-noblocks.log" "bare-short $bare_short_status 1 bare-short.log" \
         "hosted-short $hosted_short_status 1 hosted-short.log" "profile $prof_status 0 prof.log" \
         "bare-grub $bare_grub_status 1 bare-grub.log" "bare-grub-short $bare_grub_short_status 1 bare-grub-short.log"; do
    set -- $r
    if [ "$2" != "$3" ]; then
        echo "bench: FAIL: the $1 run: $(describe_status "$2"), expected $(describe_status "$3") (log: $OUT/$4)"
        bad=1
    fi
done
exit $bad
