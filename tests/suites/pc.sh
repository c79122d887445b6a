#!/bin/sh
# The PC a legacy kernel probes (issue 13): tests/guests/pcprobe.asm probes
# PCI configuration mechanisms #1 and #2, the BIOS data area (COM and LPT
# tables, EBDA, equipment word, base memory), the BIOS area's signatures and
# its writes (ROM: dropped), the
# CMOS memory sizes and equipment byte, and absent hardware (floppy,
# secondary IDE, COM2-4, LPT, ISA SCSI), one "pc: KEY VALUE" line each, on
# a bare PC (tests/guests/bare-oracle.sh: QEMU's isapc, 64 and 128 MiB) and
# hosted with the same RAM (guestmem=64M, 128M).  Every line must be the
# bare PC's, except those listed below with what the host shows instead
# and why.  Then guestmem= refusals, each a sentence with the host going on.
. tests/qemu.sh
LOGS=$BUILD/test-logs
G=$BUILD/guest
mkdir -p "$LOGS"
SIZES="64 128"
plan $((6 * 2 + 3 * 2))

# key % what the hosted PC shows % why it differs from QEMU's isapc
# (@UPPER@: the hosted mem_upper in hex, RAM less the first MiB and the
# host's 8.5 MiB pool at the top: the natives' memory and the patch blocks)
ALLOWED=$(cat <<'EOF'
sig-mp%none none none%SeaBIOS writes an MP table even on isapc; the hosted PC has no BIOS (a Multiboot kernel never calls one), so no MP table: one CPU and the 8259, as on a PC without MP
sig-pir%none none none%SeaBIOS's $PIR routing table; no BIOS, and no PCI to route
sig-bios32%none none none%SeaBIOS's BIOS32 directory; no BIOS, so no PCI BIOS either
pci1-readback%0x80000000%isapc has no host bridge, yet SeaBIOS's PCI BIOS tells a kernel that PCI is present (with nothing on it); the hosted PC has no BIOS and says the same through mechanism #1 (host/dev/pci.h): CONFIG_ADDRESS reads back, and no function answers (pci1-vendor-device all ones on both)
rom-byte-store-0xf0000%same%the BIOS area is ROM on the hosted PC (host/vmm/rom.h): a write leaves it as it was, as on QEMU's pc (i440FX), whose SeaBIOS write-protects it after POST; isapc alone keeps its firmware in writable RAM (QEMU's isapc_ram_fw), so there the write sticks
rom-straddle-0xdfffe%0x3344 same%the same for a dword across 0xE0000: its RAM half (0xDFFFE, RAM on both) sticks, its ROM half does not
rom-rep-stosb-0xffff0%0x0 0x100000 same%the same for rep stosb over the ROM's last 16 bytes: ECX and EDI run on as on both
rom-rep-insb-0xf0010%0xf0014 same%the same for rep insb into it (the host's own write for the guest)
rom-xchg-0xf0020%old same%the same for xchg: the old value comes back on both
rom-paged-byte-store-0xf0040%same dirty%the same with paging on, through a writable 4 MiB page of the guest's: the write sets Dirty on both (the tables allowed it), and the hosted ROM drops it (the shadow steps it, host/vmm/rom.h)
bda-equipment-0x410%0x202%the same mouse bit in the BIOS data area's equipment word: one serial port, FPU, VGA on both
cmos-equipment-0x14%0x2%QEMU sets bit 2 (PS/2 mouse); the hosted 8042 has no auxiliary device (host/dev/kbc.h): FPU and VGA only, no floppy, on both
mb-mem-upper-kib%@UPPER@%the top 8.5 MiB of guest RAM is the host's pool (the natives' memory, the patch blocks' arena), reserved in the memory map (the CMOS sizes count all of RAM on both, as a BIOS does)
fdc-0x3f0%ff ff ff ff ff ff ff ff%isapc always has a floppy controller (no drive: CMOS 0x10 says none on both); the hosted PC has none: the bus floats
fdc-dor-write-0x0c%ff%the same: no controller latches the write
ide2-0x170%ff ff ff ff ff ff ff ff%isapc always has a secondary IDE channel (no drive: registers read 0); the hosted PC has none: the bus floats
ide2-ctl-0x376%ff%the same channel's control block
ide2-sector-count-write-0x55%ff%the same: nothing latches the write
ide2-lba-low-write-0xaa%ff%the same
EOF
)

lines() { tr -d '\r' < "$1" | sed -n "s/^$2pc: //p" | sed 's/ *$//'; }

# compare HOSTED BARE UPPER: every key of either, with the exceptions
compare() {
    printf '%s\n' "$ALLOWED" | sed "s/@UPPER@/$3/" > "$LOGS/pc-allowed.txt"
    bad=0
    for k in $( (cut -d' ' -f1 "$1"; cut -d' ' -f1 "$2") | sort -u); do
        h=$(sed -n "s/^$k //p" "$1") b=$(sed -n "s/^$k //p" "$2")
        want=$(grep "^$k%" "$LOGS/pc-allowed.txt" | cut -d% -f2)
        if grep -q "^$k%" "$LOGS/pc-allowed.txt"; then
            [ "$h" = "$want" ] || { echo "# $k: hosted '$h', want '$want' (bare '$b')" >&2; bad=1; }
        elif [ "$h" != "$b" ]; then
            echo "# $k: hosted '$h', bare '$b'" >&2
            bad=1
        fi
    done
    return $bad
}

# the CMOS sizes a BIOS writes for mb MiB (QEMU's rule), whatever the oracle
cmos_ok() {   # hosted-lines mb
    ext=$((($2 - 1) * 1024)); [ $ext -gt 65535 ] && ext=65535
    hi=$((($2 - 16) * 16)); [ $hi -gt 65535 ] && hi=65535
    for kv in "cmos-base-kib-0x15 0x280" "cmos-ext-kib-0x17 $(printf 0x%x $ext)" \
              "cmos-ext-kib-0x30 $(printf 0x%x $ext)" "cmos-above16m-64k-0x34 $(printf 0x%x $hi)" \
              "cmos-floppy-types-0x10 0x0" "pci1-readback 0x80000000" "pci1-vendor-device 0xffffffff" "pci2-cf8-cfa 0xff 0xff"; do
        grep -qx "$kv" "$1" || { echo "# want '$kv', hosted: $(grep "^${kv%% *} " "$1")" >&2; return 1; }
    done
}

for mb in $SIZES; do
    log=$LOGS/pc-hosted-$mb.log bare=$LOGS/pc-bare-$mb.log
    st=$(qemu_boot "$log" 2 120 "guest=pcprobe guestmem=${mb}M oneshot panic=exit")
    bst=$(ORACLE_MEM=$mb sh tests/guests/bare-oracle.sh "$G/pcprobe.elf" "$bare" "" 120)
    lines "$log" '\[pcprobe\] ' > "$log.pc"
    lines "$bare" '' > "$bare.pc"
    check_exit "pc-$mb/hosted-exit" "$st" 1
    check "pc-$mb/hosted-done" grep -qx done "$log.pc"
    check "pc-$mb/guest-ram" has "guest pcprobe: $mb MiB of RAM"
    check "pc-$mb/cmos-and-pci" cmos_ok "$log.pc" "$mb"
    if [ "$bst" = 127 ]; then
        echo "ok - pc-$mb/bare-done # SKIP no qemu-system-i386 for the oracle"
        echo "ok - pc-$mb/lines-match-bare # SKIP no qemu-system-i386 for the oracle"
        continue
    fi
    check "pc-$mb/bare-done" grep -qx done "$bare.pc"
    check "pc-$mb/lines-match-bare" compare "$log.pc" "$bare.pc" "$(printf 0x%x $((($mb - 9) * 1024 - 512)))"
done

# guestmem= refused: a size out of bounds and one the host cannot give stop
# the guest's start with a sentence; a word without its unit is ignored
# with one (the guest gets the default); the host goes on either way
refuse() {   # name words pattern
    log=$LOGS/pc-guestmem-$1.log
    st=$(qemu_boot "$log" 2 120 "guest=pcprobe $2 monitor=wait,30;guests;poweroff")
    check "guestmem-$1/said" has "$3"
    check_exit "guestmem-$1/host-survives" "$st" 0
}
refuse small guestmem=8M "guest pcprobe: bad guest RAM size: 8 MiB (guestmem=) asked, 16 to 3072 MiB in whole MiB allowed"
refuse toobig guestmem=3G "guest pcprobe: out of memory for guest RAM: 3072 MiB (guestmem=) is more than the host has free"
refuse nounit guestmem=96 "cmdline: ignoring 'guestmem=96': wants a size with its unit, such as 128M or 1G"
exit 0
