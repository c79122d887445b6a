#!/bin/sh
# Debian's Linux hosted (issue 15): the current linux-image-686 for i386,
# unmodified (guest-image/linux/fetch.sh), with the initramfs built in the
# tree (guest-image/linux: a static /init and /dev/console), started with
# guest=linux from the large ISO at -smp 1 and -smp 4.  It must print its
# version line and "Run /init as init process", /init must say hello and
# pass each of its checks (user page faults, ioperm and a port from ring 3,
# a timed sleep, a TLS descriptor rewritten in the GDT) and reach
# "peel-init: done", and no line may say WARNING,
# BUG or Oops.
#
# The reference for everything else Linux prints is the same kernel on
# bare metal, run here beside it (tests/linux/bare.sh): Debian keeps only
# the current kernel in its archive, so a kept transcript would go stale
# (tests/linux/bare.txt is the record of one).  Every hosted line, once
# timestamps are gone and digits masked, must be one the bare run printed,
# or belong to a class under "Lines allowed to differ" below, each with its
# reason; any other line is a failure, as is a missing line above, a
# timeout or a wrong QEMU exit status.
#
# After /init's power-off Linux halts with interrupts off ("reboot: System
# halted": this board has no ACPI or APM to power off with).  Bare, the run
# is stopped there; hosted, the host stops the guest ("halted with
# interrupts disabled (cli; hlt)"), and the host's monitor powers QEMU off
# (status 0), as after a panic, which leaves Linux spinning.

. tests/qemu.sh
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
ISO=$BUILD/peel-large.iso
BZIMAGE=$BUILD/guest/linux.bzImage
INITRD=$BUILD/guest/linux.initrd
WORDS="guest=linux $(sed 's/[^ ][^ ]*/guestarg=&/g' guest-image/linux/guestargs)"
QEMU_I386=${QEMU_I386:-qemu-system-i386}
CR=$(printf '\r')
# a hosted run reaches /init in some 20 s under TCG (docs/status.md); one
# that has not ended after 240 s hangs: a failure, its log kept
HOSTED_TIMEOUT=${HOSTED_TIMEOUT:-240}
SMPS="1 4"
CHECKS="image version run-init hello uname pagefault ioperm sleep tls done no-fail no-warning only-bare-lines stopped-at-halt exit"
BB_CHECKS="done same-lines-as-bare no-segfault no-warning stopped-at-halt exit"
plan $((2 + $(echo $CHECKS | wc -w) * $(echo $SMPS | wc -w) + 1 + $(echo $BB_CHECKS | wc -w)))

# ---- Lines allowed to differ ------------------------------------------------
# allow ERE REASON: a hosted line (normalized as below) matching ERE (whole
# line, awk syntax) need not be among the bare run's lines.
ALLOW=$(mktemp)
trap 'rm -f "$ALLOW"' EXIT
allow() {
    printf '%s\n' "$1" >> "$ALLOW"
    echo "# allowed to differ: /$1/: $2"
}
allow '^BIOS-e#: \[mem #x[0-9a-f#]+-#x[0-9a-f#]+\] (usable|reserved)$' \
    "the memory map: Peel reserves its guest pool at the top of the guest's RAM, and QEMU's BIOS reserves its ROM and the flash below 4 GiB"
allow '^ *(Normal|node +#:|Initmem setup node #) +\[mem #x[0-9a-f#]+-#x[0-9a-f#]+\]$' \
    "the zones and nodes end where usable RAM ends (above)"
allow '^\[mem #x[0-9a-f#]+-#x[0-9a-f#]+\] available for PCI devices$' \
    "the gap above RAM, again where RAM ends"
allow '^RAMDISK: \[mem #x[0-9a-f#]+-#x[0-9a-f#]+\]$' \
    "where the initrd lies is the boot loader's choice (Peel's loader: page-aligned above the kernel's init_size; QEMU: the top of RAM)"
allow '^Console: colour VGA\+ #x#$' \
    "the virtual PC has VGA text memory and its CRTC; QEMU's isapc with -nodefaults has no display adapter at all"
allow '^DMI not present or invalid\.$' \
    "no SMBIOS/DMI tables: they are firmware (SeaBIOS's), and the virtual PC runs none"
allow '^PnPBIOS: PnP BIOS support was not detected\.$' \
    "no PnP BIOS either, for the same reason"
allow '^x#/fpu: x# FPU will use FSAVE$' \
    "the virtual CPU advertises no FXSR (the host runs with CR4.OSFXSR clear: docs/hosting.md); qemu32 has it"
allow '^HugeTLB: (registered #\.# MiB page size, pre-allocated # pages|# KiB vmemmap can be freed for a #\.# MiB page)$' \
    "the virtual CPU advertises PSE (4 MiB pages, walked and shadowed); the bare reference runs -pse"
allow '^tsc: (Fast TSC calibration failed|Unable to calibrate against PIT|No reference \(HPET/PMTIMER\) available|Marking TSC unstable due to could not calculate TSC khz)$' \
    "Linux's PIT calibration wants an in from port 0x61 or 0x42 every few microseconds; hosted each traps, too slowly under TCG (docs/hosting.md)"
allow '^Calibrating delay loop\.\.\. #\.# BogoMIPS \(lpj=#\)$' \
    "without a calibrated TSC the delay loop is measured against jiffies"
allow '^clocksource: Switched to clocksource pit$' \
    "without a calibrated TSC the PIT is the clocksource"
allow '^(Unstable clock detected, switching default tracing clock to "global"|If you want to keep using the local clock, then add:|  "trace_clock=local"|on the kernel command line)$' \
    "the trace clock's notice about the unstable TSC"
allow '^hrtimer: interrupt took # ns$' \
    "a timer interrupt that took long in wall time: hosted under TCG, on a shared machine, it can"
allow '^Freeing SMP alternatives memory: #K$' \
    "bare, Linux finds QEMU's MP table broken and switches SMP off before this point; the virtual PC has no MP table"

# normalize < serial: Linux's lines from the version line through
# "peel-init: done" (the bare run is stopped there, sometimes before the
# "reboot: System halted" that follows, sometimes after), without the
# host's "[linux] " (after the monitor's prompt, if that was printed last),
# CRs and printk timestamps, digits masked
normalize() {
    tr -d '\r' | sed -n "s/^\(peel> \)*$1//p" | sed 's/^\[ *[0-9]*\.[0-9]*\] //' |
        awk '/^Linux version / { on = 1 } on { print } on && /^peel-init: done/ { exit }' |
        sed 's/[0-9][0-9]*/#/g'
}

# only_bare_lines HOSTED BARE: every line of HOSTED is in BARE or allowed; the others as TAP comments
only_bare_lines() {
    LC_ALL=C awk 'FILENAME == ARGV[1] { re[++n] = $0; next }
                  FILENAME == ARGV[2] { bare[$0] = 1; next }
                  !($0 in bare) { for (i = 1; i <= n; i++) if ($0 ~ re[i]) next; print }' \
        "$ALLOW" "$2" "$1" > "$1.extra"
    if [ -s "$1.extra" ]; then
        echo "# $(wc -l < "$1.extra") hosted lines the bare run did not print, none allowed:" >&2
        sed 's/^/#   /' "$1.extra" | head -40 >&2
        return 1
    fi
}

# ---- bare --------------------------------------------------------------------
serial=$LOGS/linux-bare.serial
BUILD=$BUILD QEMU_I386=$QEMU_I386 sh tests/linux/bare.sh --run "$BZIMAGE" "$INITRD" "$serial"
log=$serial
check bare/reaches-init-done has "^peel-init: done"
normalize '' < "$serial" > "$LOGS/linux-bare.lines"
version=$(tr -d '\r' < "$serial" | sed -n 's/^\[ *[0-9]*\.[0-9]*\] \(Linux version .*\)/\1/p' | head -1)
check bare/version-line test -n "$version"
echo "# bare: $version"

# ---- hosted at each CPU count -----------------------------------------------
image_sum=$(sha256sum "$BZIMAGE" | cut -d' ' -f1)
for smp in $SMPS; do
    log=$LOGS/linux-smp$smp.log
    # once the host has stopped the guest (or Linux panicked and spins),
    # the monitor must still answer, and powers QEMU off (status 0)
    st=$(ISO=$ISO qemu_converse "$log" "$smp" "$HOSTED_TIMEOUT" "$WORDS" "until Peel monitor ready" \
        "until ---\[ end Kernel panic\|guest linux: stopped (" "type guests" "until   0 linux " "type poweroff")
    L='\(peel> \)*\[linux\] \(\[ *[0-9]*\.[0-9]*\] \)*'
    check "smp$smp/image" has "^\(peel> \)*guest linux: image linux.bzImage, [0-9]* bytes, sha256 $image_sum"
    check "smp$smp/version" has "^${L}Linux version [0-9]"
    [ -n "$version" ] && ! has "^\[linux\] \[ *[0-9]*\.[0-9]*\] $version" &&
        echo "# smp$smp: the version line is not the bare run's ($version)" >&2
    check "smp$smp/run-init" has "^${L}Run /init as init process"
    check "smp$smp/hello" has "^\(peel> \)*\[linux\] peel-init: hello from /init, pid 1$CR*$"
    check "smp$smp/uname" has "^\(peel> \)*\[linux\] peel-init: uname Linux [0-9][^ ]* i686$CR*$"
    check "smp$smp/pagefault" has "^\(peel> \)*\[linux\] peel-init: ok page fault"
    check "smp$smp/ioperm" has "^\(peel> \)*\[linux\] peel-init: ok ioperm"
    check "smp$smp/sleep" has "^\(peel> \)*\[linux\] peel-init: ok nanosleep"
    check "smp$smp/tls" has "^\(peel> \)*\[linux\] peel-init: ok set_thread_area"
    check "smp$smp/done" has "^\(peel> \)*\[linux\] peel-init: done"
    check "smp$smp/no-fail" lacks "^\(peel> \)*\[linux\] peel-init: FAIL"
    check "smp$smp/no-warning" lacks "^\(peel> \)*\[linux\] .*\(WARNING\|BUG\|Oops\)"
    normalize '\[linux\] ' < "$log" > "$log.lines"
    check "smp$smp/only-bare-lines" only_bare_lines "$log.lines" "$LOGS/linux-bare.lines"
    check "smp$smp/stopped-at-halt" \
        has "^\(peel> \)*guest linux: stopped (halted with interrupts disabled (cli; hlt) at eip 0x[0-9a-f]*: nothing can wake it"
    check_exit "smp$smp/exit" "$st" 0
    grep -a "^guest linux: \(image\|ran\|traps by\|scan on\)" "$log" | sed 's/^/# /' >&2
done

# ---- userland nobody here wrote: Debian's busybox-static --------------------
# The same kernel with the second initramfs (guest-image/linux/busybox-init.sh:
# fork, exec, pipes, TLS, /proc, devtmpfs), as guest linux-busybox at -smp 2:
# every "bb-init: " line, in order, as bare.
bb_lines() { tr -d '\r' < "$1" | sed -n 's/^\(peel> \)*\(\[linux-busybox\] \)\{0,1\}\(bb-init: .*\)/\3/p'; }
serial=$LOGS/linux-busybox-bare.serial
DONE='^bb-init: done' BUILD=$BUILD QEMU_I386=$QEMU_I386 sh tests/linux/bare.sh --run \
    "$BUILD/guest/linux-busybox.bzImage" "$BUILD/guest/linux-busybox.initrd" "$serial"
log=$serial
check busybox-bare/done has "^bb-init: done"
bb_lines "$serial" > "$serial.lines"
log=$LOGS/linux-busybox-smp2.log
st=$(ISO=$ISO qemu_converse "$log" 2 "$HOSTED_TIMEOUT" "$(printf '%s' "$WORDS" | sed 's/^guest=linux /guest=linux-busybox /')" \
    "until Peel monitor ready" "until ---\[ end Kernel panic\|guest linux-busybox: stopped (" \
    "type guests" "until   0 linux-busybox " "type poweroff")
check busybox-smp2/done has "^\(peel> \)*\[linux-busybox\] bb-init: done"
bb_lines "$log" > "$log.lines"
if ! cmp -s "$serial.lines" "$log.lines"; then
    diff "$serial.lines" "$log.lines" | sed 's/^/# /' >&2
fi
check busybox-smp2/same-lines-as-bare cmp -s "$serial.lines" "$log.lines"
check busybox-smp2/no-segfault lacks "^\(peel> \)*\[linux-busybox\] .*segfault at"
check busybox-smp2/no-warning lacks "^\(peel> \)*\[linux-busybox\] .*\(WARNING\|BUG\|Oops\)"
check busybox-smp2/stopped-at-halt \
    has "^\(peel> \)*guest linux-busybox: stopped (halted with interrupts disabled (cli; hlt) at eip 0x[0-9a-f]*: nothing can wake it"
check_exit busybox-smp2/exit "$st" 0
