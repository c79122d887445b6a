#!/bin/sh
# The unmodified classic image hosted by Peel: digests equal to the
# reference model (and so to bare metal), the image's SHA-256, the monitor's
# guest commands; hostile guests and corrupt images contained while the host
# keeps running.  One TAP line per check.
. tests/qemu.sh
LOGS=$BUILD/test-logs
G=$BUILD/guest
# two classic runs of 4, its command line, the image's hash, the monitor 8, UART and VGA 4,
# six hostile guests of 3 and one more, the spinning guest, six refusals of 2,
# the missing image 2
plan $((2 * 4 + 1 + 1 + 8 + 4 + 6 * 3 + 1 + 1 + 6 * 2 + 2 + 2))

# classic hosted at two sizes and CPU counts; the oneshot status is the guest's
for run in "1 4 8" "4 8 16"; do
    set -- $run
    smp=$1 w=$2 r=$3
    log=$LOGS/hosted-classic-smp$smp-w$w-r$r.log
    st=$(qemu_boot "$log" "$smp" 600 "guest=classic guestarg=workers=$w guestarg=requests=$r oneshot panic=exit")
    check "classic-smp$smp-w$w-r$r/digest" classic_digest_ok "$w" "$r"
    check "classic-smp$smp-w$w-r$r/fsck" has "\[classic\] fsck: clean"
    check_exit "classic-smp$smp-w$w-r$r/exit-status" "$st" 1
    check "classic-smp$smp-w$w-r$r/module-unchanged" has "guest classic: image module unchanged"
done
# the command line a Multiboot kernel gets is GRUB's: its image's path, then its words
check classic/cmdline-as-grub-gives-it has "\[classic\] classic: command line '/boot/classic.elf workers=8 requests=16'"
sum=$(sha256sum "$G/classic.elf" | cut -d' ' -f1)
sum=${sum:-"(no $G/classic.elf)"}      # an empty pattern would match any hash
check classic/sha256-matches-file has "guest classic: image classic.elf, [0-9]* bytes, sha256 $sum"

# the monitor's view of a finished guest
log=$LOGS/hosted-monitor.log
st=$(qemu_boot "$log" 2 300 "guest=classic guestarg=workers=2 guestarg=requests=4 monitor=mem;wait;guests;guest,0,stats;prof;mem;poweroff")
check_exit monitor/host-survives "$st" 0
free_before=$(tr -d '\r' < "$log" | sed -n 's/^  pages: [0-9]* total, \([0-9]*\) free.*/\1/p' | head -1)
free_after=$(tr -d '\r' < "$log" | sed -n 's/^  pages: [0-9]* total, \([0-9]*\) free.*/\1/p' | tail -1)
echo "# free pages with the guest running: $free_before, after it ended: $free_after"
check monitor/memory-given-back test -n "$free_before" -a -n "$free_after" -a "${free_after:-0}" -gt $((${free_before:-0} + 16000))
check monitor/prof has "  rank  time%  traps%  function"
check monitor/guests has "   0 classic      exited        0 $sum"
check monitor/traps has "  traps: privileged [1-9][0-9]* patched [1-9][0-9]* int n"
check monitor/emulated has "emulated:.* out [1-9]"
check monitor/ports has "ports with no device:"
# (0x1F7: the command writes trap; the status reads are answered in patch blocks)
check monitor/port-io has "port I/O (in/out):.* 0x1f7 [0-9]*/[1-9]"

# host input reaches the guest's UART; its VGA text memory is readable
log=$LOGS/hosted-echo.log
st=$(qemu_boot "$log" 2 120 "guest=echo monitor=guest,0,screen;guest,0,send,hello,peel;wait,30;poweroff")
check_exit uart-input/host-survives "$st" 0
check uart-input/echoed has "\[echo\] hello peel"
check uart-input/exited has "guest echo: exited (wrote 0"
check vga/screen has "^  |"

# hostile guests: each stopped with a reason; the host goes on and powers off
expect_hostile() {   # guest, expected reason, [host command-line words]
    log=$LOGS/hosted-$1.log
    st=$(qemu_boot "$log" 2 120 "guest=$1 $3 monitor=wait;guests;cpus;poweroff")
    check "$1/reported" has "guest $1: .*$2"
    check_exit "$1/host-survives" "$st" 0
    check "$1/host-answers" has "peel: powering off"
}
expect_hostile hostile-wild "access to 0x7ff00000 outside its 64 MiB of memory"
expect_hostile hostile-gdt "triple fault"
expect_hostile hostile-cli "halted with interrupts disabled (cli; hlt)" guestarg=case=hlt
expect_hostile hostile-triple "triple fault: vector 128"
expect_hostile hostile-idt "triple fault: vector 32"
expect_hostile hostile-ports "exited (wrote 0 to the debug-exit port)"
check hostile-ports/all-ones has "every unclaimed port read all ones"

# while a guest spins with interrupts off on CPU 1 (for ever: it is not
# stopped for that), host threads there still run
log=$LOGS/hosted-spin-and-tests.log
st=$(qemu_boot "$log" 2 300 "guest=hostile-cli ktest=preemption_time_slices,affinity_pins,sleep_duration,mutex_exact_count panic=exit")
check_exit spin/host-threads-on-same-cpu "$st" 1

# corrupt images: a clear refusal, and the host keeps running
expect_refusal() {   # image, expected message
    log=$LOGS/hosted-$1.log
    st=$(qemu_boot "$log" 2 120 "guest=$1 monitor=guests;poweroff")
    check "$1/refused" has "guest $1: image refused: .*$2"
    check_exit "$1/host-survives" "$st" 0
}
expect_refusal bad-truncated "past the end of the [0-9]*-byte file"
expect_refusal bad-class "ELF class 2, want 1"
expect_refusal bad-machine "e_machine 62, want 3"
expect_refusal bad-entry "entry point 0x[0-9a-f]* is outside"
expect_refusal bad-phnum "e_phnum 65535"
# (the magic zeroed: another copy of it further on, if within 8 KiB, has no checksum)
expect_refusal bad-nomb "\(Multiboot header at offset\|no Multiboot header (magic 0x1badb002) in the first 8192 bytes\)"
log=$LOGS/hosted-missing.log
st=$(qemu_boot "$log" 2 120 "guest=nosuch monitor=poweroff")
check missing-image/reported has "guest nosuch: no such image among the boot modules"
check_exit missing-image/host-survives "$st" 0
log=$LOGS/hosted-missing-disk.log
st=$(qemu_boot "$log" 2 120 "guest=classic guestdisk=nosuch.img monitor=poweroff")
check missing-disk/reported has "guest classic: no such disk among the boot modules: nosuch.img"
check_exit missing-disk/host-survives "$st" 0
