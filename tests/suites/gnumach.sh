#!/bin/sh
# GNU Mach hosted (issue 13): Debian's gnumach-image-1.8-486, unmodified,
# started with guest=gnumach at -smp 1 and -smp 4, must print the console
# lines it prints on bare metal (tests/gnumach/bare.txt, kept by
# tests/gnumach/bare.sh) from the version line through
#   panic ../kern/bootstrap.c:181: bootstrap_create: No bootstrap code loaded with the kernel!
# Every line must be equal but for the classes listed below under "Lines
# allowed to differ", each with its reason; anything else is a failure, as
# is a missing panic line, a timeout or a wrong QEMU exit status.
#
# After that panic GNU Mach busy-waits 1000 s with interrupts enabled
# (kern/debug.c: "give the user time to see the message"), then resets the
# PC through the keyboard controller (kdreboot: 0xFE to port 0x64).  Nobody
# waits for that: once the panic line (or the host's word that the guest
# ended) is on the serial line, the suite types `guests` (the guest must
# still be running: nothing it did so far is a reason to stop it) and
# `poweroff` at the host's monitor, and QEMU must then exit with status 0.  The bare run is
# stopped at its panic line the same way.

. tests/qemu.sh
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
IMAGE=$BUILD/guest/gnumach.elf
KEPT=tests/gnumach/bare.txt
PANIC='panic .*bootstrap_create: No bootstrap code loaded with the kernel!'
QEMU_I386=${QEMU_I386:-qemu-system-i386}     # the bare run's (tests/gnumach/bare.sh)
# a hosted run reaches the panic in some 15 s under TCG (docs/gnumach.md);
# a run that has not after 180 s hangs: a failure, its log kept
HOSTED_TIMEOUT=${HOSTED_TIMEOUT:-180}
SMPS="1 4"
# the comparison 2, the bare run 2, each hosted run 5
plan $((2 + 2 + 5 * $(echo $SMPS | wc -w)))

# ---- Lines allowed to differ ------------------------------------------------
# allow drop|mask ERE REASON: a console line matching ERE (whole line, awk
# syntax) is, on both sides before the diff, dropped (a line one side may
# have and the other not), or masked (its digits become "#": the line must
# be there on both sides, in the same place, with the same words).
ALLOW=$(mktemp)
trap 'rm -f "$ALLOW"' EXIT
allow() {
    printf '%s\t%s\n' "$1" "$2" >> "$ALLOW"
    echo "# allowed to differ ($1): /$2/: $3"
}
allow drop '^biosmem: [0-9a-f]+:[0-9a-f]+, (available|reserved|ACPI|ACPI NVS|unusable|unknown \(reserved\))$' \
    "the memory map is the boot loader's: SeaBIOS reserves its ROM at 0xf0000 and the flash below 4 GiB, Peel reserves its guest pool, and RAM ends where -m or the guest's RAM size says; how many entries there are follows"
allow mask '^vm_page: ' \
    "page counts (page table size, per-segment pages, free pages, min/low/high watermarks) follow the RAM size and the reserved areas; the segments (DMA, DIRECTMAP) must be the same"
allow drop '^pcibios_init : BIOS32 Service Directory (structure|entry) at 0x[0-9a-f]+$' \
    "the BIOS32 service directory is firmware (SeaBIOS has one in 0xe0000-0xfffff); the virtual PC has no BIOS code for GNU Mach to call"
allow drop '^pcibios_init : PCI BIOS revision [0-9a-f]+\.[0-9a-f]+ entry at 0x[0-9a-f]+$' \
    "the PCI BIOS is firmware too (SeaBIOS's); without it GNU Mach reaches PCI configuration space directly"
allow drop '^pcibios_init: Using configuration type 1$' \
    "printed only when there is no PCI BIOS and GNU Mach finds configuration mechanism #1 (0xcf8/0xcfc) itself: the virtual PC's way to PCI"
allow drop '^FDC [0-9]+ is an? .*$' \
    "a floppy controller: QEMU's isapc board has one (an S82078B) even with -nodefaults, the virtual PC has none"
allow drop '^floppy0: no floppy controllers found$' \
    "what GNU Mach's floppy driver (Linux 2.0's floppy_init) says on a PC without one: the virtual PC's"
allow mask '^RTC time is [0-9]+-[0-9]+-[0-9]+ [0-9]+:[0-9]+:[0-9]+$' \
    "the wall-clock time of the run"

# normalize < lines: the allowances applied
normalize() {
    LC_ALL=C awk -F '\t' '
        FNR == NR { act[++n] = $1; re[n] = $2; next }
        {
            for (i = 1; i <= n; i++)
                if ($0 ~ re[i]) {
                    if (act[i] == "drop") next
                    gsub(/[0-9]+/, "#")
                    break
                }
            print
        }' "$ALLOW" -
}

# from the version line through the panic line: the span compared
span() { awk -v panic="$PANIC" '/^GNU Mach / { on = 1 } on { print } on && $0 ~ panic { exit }'; }

# bare_console SERIAL: GNU Mach's lines on bare metal, without CRs (as bare.txt keeps them)
bare_console() { tr -d '\r' < "$1" | span; }

# hosted_console LOG: the guest's COM1 lines as the host prints them,
# "[gnumach] LINE" (after the monitor's prompt "peel> " when that was the
# last thing printed), without the prefix; the host's UART line assembly drops
# CRs and cuts a line at UART_LINE_MAX bytes, so a line of exactly that
# length is joined with the one after it (which is empty if the guest's
# line ended there).
UART_LINE_MAX=$(sed -n 's/^#define UART_LINE_MAX *\([0-9]*\).*/\1/p' host/dev/uart.h)
hosted_console() {
    tr -d '\r' < "$1" | sed -n 's/^\(peel> \)*\[gnumach\] //p' |
        LC_ALL=C awk -v max="${UART_LINE_MAX:-0}" '
            { buf = buf $0; if (max > 0 && length($0) == max) next; print buf; buf = "" }
            END { if (buf != "") print buf }' | span
}

# same_as_kept NAME FILE: FILE (a console span) equals the kept bare transcript
# once both are normalized; the differences go to the log as TAP comments
same_as_kept() {
    if [ ! -s "$2" ]; then echo "# $1: no console lines from the version line on" >&2; return 1; fi
    normalize < "$KEPT" > "$2.want"
    normalize < "$2" > "$2.got"
    if diff -u "$2.want" "$2.got" > "$2.diff"; then
        echo "# $1: $(wc -l < "$2") lines, equal to $KEPT but for the allowed differences" >&2
    else
        sed 's/^/# /' "$2.diff" | head -60 >&2
        return 1
    fi
}

# ---- the comparison itself can fail, and accepts what it should -----------------
# A hosted log made from the kept transcript as the host would print it
# (prefixed, cut at UART_LINE_MAX, after a prompt, with CRs), once with only
# allowed differences (another memory map and RAM size, no floppy
# controller, no PCI BIOS, another time) and once with one word changed.
fake_hosted() {   # sed script < kept > fake log
    { echo "Peel monitor ready; type help"; printf 'peel> '
      sed -E "$1" "$KEPT" | LC_ALL=C awk -v max="${UART_LINE_MAX:-160}" '
          { s = $0; while (length(s) > max) { print "[gnumach] " substr(s, 1, max); s = substr(s, max + 1) }
            print "[gnumach] " s; if (length(s) == max) print "[gnumach] " }' | sed 's/$/\r/'; }
}
fake=$LOGS/gnumach-fake
fake_hosted 's/^(biosmem: )0000000000000f0000:.*/\1000000000000100000:00000000000ff00000, available/;
    s/^(vm_page: DIRECTMAP: pages: )[0-9]+ \([0-9]+M\)/\19999 (39M)/; /^FDC /d; /^pcibios_init /d;
    s/^(Probing PCI hardware\.)$/pcibios_init: Using configuration type 1\n\1/;
    s/^(scsi : 0 hosts\.)$/floppy0: no floppy controllers found\n\1/; s/^RTC time is .*/RTC time is 2025-11-24 16:00:00/' > "$fake.log"
hosted_console "$fake.log" > "$fake.console"
check compare/accepts-the-allowed-differences same_as_kept fake "$fake.console"
fake_hosted 's/^com 2 out of range$/com 3 out of range/' > "$fake.log"
hosted_console "$fake.log" > "$fake.console"
check compare/rejects-any-other-difference eval '! same_as_kept fake "$fake.console" 2>/dev/null'

# ---- bare: the kept transcript is what this image prints --------------------
# (the allowances are tried on a second bare run: only the RTC line changes)
serial=$LOGS/gnumach-bare.serial
BUILD=$BUILD QEMU_I386=$QEMU_I386 sh tests/gnumach/bare.sh --run "$IMAGE" "$serial"
log=$serial
check bare/reaches-panic has "$PANIC"
bare_console "$serial" > "$LOGS/gnumach-bare.console"
check bare/matches-kept same_as_kept bare "$LOGS/gnumach-bare.console"

# ---- hosted at each CPU count -----------------------------------------------
# still_running: the monitor's `guests` said running, and the host never said
# it stopped or exited (the state is set after that line is printed)
still_running() { has "   0 gnumach      running " && lacks "guest gnumach: \(stopped\|exited\)"; }
image_sum=$(sed -n 's/^\([0-9a-f]\{64\}\)  gnumach-1.8-486$/\1/p' guest-image/gnumach/sha256sums)
for smp in $SMPS; do
    log=$LOGS/gnumach-smp$smp.log
    st=$(qemu_converse "$log" "$smp" "$HOSTED_TIMEOUT" "guest=gnumach guestarg=console=com0" \
        "until Peel monitor ready" \
        "until \[gnumach\] $PANIC\|guest gnumach: \(stopped\|exited\|image refused\|no such image\)" \
        "type guests" "until   0 gnumach " "type poweroff")
    check "smp$smp/image-unmodified" has "guest gnumach: image gnumach.elf, [0-9]* bytes, sha256 ${image_sum:-none}"
    check "smp$smp/reaches-panic" has "\[gnumach\] $PANIC"
    hosted_console "$log" > "$log.console"
    check "smp$smp/transcript" same_as_kept "smp$smp" "$log.console"
    check "smp$smp/still-running-after-panic" still_running
    check_exit "smp$smp/powered-off" "$st" 0
done
