#!/bin/sh
# classic-bare: boot the classic guest kernel alone in qemu-system-i386
# (Multiboot v1 via -kernel, disk as IDE primary master, -snapshot) and
# check what it says: the workload digest against the host reference
# model, fsck, the exit status, and a clear message and distinct exit
# status for every kind of bad input.  One TAP line per case.
#
# Needs (built by `make test` through TEST_DEPS): $BUILD/guest/classic.elf,
# classic-disk.img, classic-mkfs, classic-refmodel.  ONLY_CASE=name runs one case.
BUILD=${BUILD:-build}
G=$BUILD/guest
LOGS=$BUILD/test-logs/classic-bare
QEMU_I386=${CLASSIC_QEMU:-qemu-system-i386}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/classic-bare.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$LOGS"
failures=0
# The plan: one line per case (a typo in a case name, or a case that stops
# early, leaves the count short and tests/run.sh fails the suite).
[ -n "$ONLY_CASE" ] && echo "1..1" || echo "1..18"

ok()     { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; echo "# $2"; failures=$((failures + 1)); }

# boot NAME DISK|none ARGS: run the kernel, log to $LOGS/NAME.log, sets $status.
boot() {
    name=$1 disk=$2 args=$3
    drive=""
    [ "$disk" = none ] || drive="-drive file=$disk,format=raw,if=ide,index=0,media=disk -snapshot"
    : >"$LOGS/$name.log"        # no old log for a QEMU that cannot start (status 1, as a pass)
    # shellcheck disable=SC2086
    timeout 60 "$QEMU_I386" -machine pc -accel tcg -m 128M -display none -no-reboot \
        -serial "file:$LOGS/$name.log" -monitor none \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 $drive \
        -kernel "$G/classic.elf" -append "$args" </dev/null >"$LOGS/$name.qemu" 2>&1
    status=$?
    tr -d '\r' <"$LOGS/$name.log" >"$LOGS/$name.txt"
}

# expect NAME STATUS PATTERN: the last boot ended with QEMU status STATUS
# (debug-exit code*2+1; 124 = timeout, i.e. a hang) and printed PATTERN.
expect() {
    if [ "$status" -ne "$2" ]; then
        not_ok "$1" "QEMU exit status $status, expected $2 (log: $LOGS/$1.txt)"
    elif ! grep -q -- "$3" "$LOGS/$1.txt"; then
        not_ok "$1" "no line matching '$3' (log: $LOGS/$1.txt)"
    else
        ok "$1"
    fi
}

want() { [ -z "$ONLY_CASE" ] || [ "$ONLY_CASE" = "$1" ]; }

# digest_case NAME W R [EXTRA]: full workload, compared with the model.
digest_case() {
    want "$1" || return 0
    boot "$1" "$G/classic-disk.img" "workers=$2 requests=$3 $4"
    want_digest=$("$G/classic-refmodel" "$2" "$3" | sed -n 's/^DIGEST //p')
    got=$(sed -n 's/^DIGEST //p' "$LOGS/$1.txt")
    reqs=$(sed -n 's/^REQUESTS //p' "$LOGS/$1.txt")
    echo "# $1: kernel $got, refmodel $want_digest, requests $reqs, $(grep '^THROUGHPUT' "$LOGS/$1.txt")"
    if [ "$status" -ne 1 ]; then
        not_ok "$1" "QEMU exit status $status, expected 1 (log: $LOGS/$1.txt)"
    elif [ -z "$got" ] || [ "$got" != "$want_digest" ]; then
        not_ok "$1" "DIGEST '$got' differs from refmodel '$want_digest'"
    elif [ "$reqs" != $(($2 * $3)) ]; then
        not_ok "$1" "REQUESTS '$reqs', expected $(($2 * $3))"
    elif ! grep -q '^fsck: clean' "$LOGS/$1.txt"; then
        not_ok "$1" "fsck not clean (log: $LOGS/$1.txt)"
    else
        ok "$1"
    fi
}

# bad_case NAME STATUS PATTERN DISK ARGS
bad_case() {
    want "$1" || return 0
    boot "$1" "$4" "$5"
    expect "$1" "$2" "$3"
}

# poke FILE OFFSET U32: write a little-endian 32-bit word into an image copy.
poke() {
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($3 & 255)) $(($3 >> 8 & 255)) \
        $(($3 >> 16 & 255)) $(($3 >> 24 & 255)))" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
peek() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }

for f in classic.elf classic-disk.img classic-mkfs classic-refmodel; do
    if [ ! -e "$G/$f" ]; then
        echo "not ok - artifacts"
        echo "# $G/$f missing: make $G/classic.elf $G/classic-disk.img $G/classic-refmodel"
        exit 1
    fi
done

# --- the image itself ----------------------------------------------------
if want elf-symbols; then
    missing=""
    for s in kmain kmalloc kfree mm_page_alloc mm_page_free sched_spawn sched_yield \
        sched_sleep sched_wakeup sched_swtch timer_irq timer_sleep console_printf blk_read \
        blk_write blk_irq cache_read cache_write cache_release fs_mount fs_lookup fs_create \
        fs_read fs_write fs_append fs_unlink fs_mkdir fs_rmdir fs_check svc_run svc_request \
        svc_hash_rounds; do
        nm "$G/classic.elf" | grep -q " T $s\$" || missing="$missing $s"
    done
    clones=$(nm "$G/classic.elf" | grep -E '\.(constprop|isra|part|cold)' | head -3)
    if ! readelf -h "$G/classic.elf" | grep -q 'ELF32' || ! readelf -S "$G/classic.elf" | grep -q '\.symtab'; then
        not_ok elf-symbols "not an unstripped ELF32 image"
    elif [ -n "$missing" ]; then
        not_ok elf-symbols "API functions missing from the symbol table:$missing"
    elif [ -n "$clones" ]; then
        not_ok elf-symbols "compiler clones of functions (calls would bypass symbols): $clones"
    else
        ok elf-symbols
    fi
fi

# --- the workload, compared with the reference model ----------------------
digest_case digest-w8-r16 8 16
digest_case digest-w3-r40 3 40
digest_case digest-w3-r40-hz1000 3 40 hz=1000     # same digest at another timer rate
digest_case digest-w1-r1 1 1                      # smallest run
digest_case digest-w32-r8 32 8                    # most workers

# --- bad command lines ----------------------------------------------------
bad_case cmdline-workers-0 3 "cmdline: bad value for workers: '0'" "$G/classic-disk.img" "workers=0"
bad_case cmdline-workers-abc 3 "cmdline: bad value for workers: 'abc'" "$G/classic-disk.img" "workers=abc"
bad_case cmdline-unknown 3 "cmdline: unknown option 'colour'" "$G/classic-disk.img" "workers=2 colour=blue"

# --- bad disks ------------------------------------------------------------
bad_case disk-absent 7 "blk: no ATA disk on the primary master" none "workers=1 requests=1"

if want disk-bad-magic; then
    cp "$G/classic-disk.img" "$TMP/magic.img"
    poke "$TMP/magic.img" 512 0x12345678            # superblock word 0
fi
bad_case disk-bad-magic 9 "fs: bad superblock: bad magic" "$TMP/magic.img" "workers=1 requests=1"

if want disk-too-small; then
    dd if="$G/classic-disk.img" of="$TMP/small.img" bs=1M count=1 status=none
fi
bad_case disk-too-small 9 "fs: bad superblock: larger than the disk" "$TMP/small.img" "workers=1 requests=1"

# A data file's first block pointer aimed past the end of the disk: found
# when the workload reads the file, not at mount.
if want disk-block-out-of-range; then
    cp "$G/classic-disk.img" "$TMP/range.img"
    inum=$("$G/classic-mkfs" "$TMP/list.img" --list | sed -n 's|^inode \([0-9]*\) /data/f00$|\1|p')
    istart=$(peek "$TMP/range.img" $((512 + 20)))   # fs_super.inode_start
    poke "$TMP/range.img" $((istart * 512 + inum * 64 + 8)) 999999    # direct[0]
fi
bad_case disk-block-out-of-range 9 "fs: corrupt file system: direct block number 999999 out of range" \
    "$TMP/range.img" "workers=8 requests=8"

# Random damage to the inode table and first blocks (fixed seeds): every
# run must end in a clear, expected way -- corrupt fs (9), fsck errors (11)
# or a workload failure (17) -- never a hang, CPU exception or panic.
if want disk-fuzz; then
    bad=""
    for seed in 3 5 8 13 21; do
        cp "$G/classic-disk.img" "$TMP/fuzz.img"
        x=$seed
        for _ in 1 2 3 4 5 6 7 8; do
            x=$(((x * 1103515245 + 12345) % 2147483648))
            off=$((2 * 512 + 64 + x % (3 * 512)))     # inode table: root, /data, files
            [ $((x % 5)) -eq 0 ] && off=$((512 * (x % 400 + 1)))
            printf "$(printf '\\%03o' $((x / 65536 % 256)))" |
                dd of="$TMP/fuzz.img" bs=1 seek="$off" conv=notrunc status=none
        done
        boot "disk-fuzz-$seed" "$TMP/fuzz.img" "workers=2 requests=8"
        case $status in
        9|11|17) grep -q -e '^panic' -e '^exception' "$LOGS/disk-fuzz-$seed.txt" && bad="$bad $seed:panic" ;;
        *) bad="$bad $seed:status=$status" ;;
        esac
        echo "# disk-fuzz seed $seed: status $status: $(grep -v '^classic: exit' "$LOGS/disk-fuzz-$seed.txt" | tail -1)"
    done
    if [ -n "$bad" ]; then
        not_ok disk-fuzz "unexpected endings:$bad (logs: $LOGS/disk-fuzz-*.txt)"
    else
        ok disk-fuzz
    fi
fi

# --- fsck ------------------------------------------------------------------
bad_case fsck-clean-image 1 "^fsck: clean" "$G/classic-disk.img" "mode=fsck"

# The deliberately broken variant fsck must catch: the root directory's
# block marked free in the bitmap.
if want fsck-finds-free-block; then
    cp "$G/classic-disk.img" "$TMP/bitmap.img"
    bstart=$(peek "$TMP/bitmap.img" $((512 + 24)))   # fs_super.bmap_start
    rootblk=$(peek "$TMP/bitmap.img" $(($(peek "$TMP/bitmap.img" $((512 + 20))) * 512 + 64 + 8)))
    off=$((bstart * 512 + rootblk / 8))
    byte=$(od -An -tu1 -j "$off" -N1 "$TMP/bitmap.img" | tr -d ' ')
    printf "$(printf '\\%03o' $((byte & ~(1 << (rootblk % 8)))))" |
        dd of="$TMP/bitmap.img" bs=1 seek="$off" conv=notrunc status=none
fi
bad_case fsck-finds-free-block 11 "fsck: block [0-9]* in use but marked free" "$TMP/bitmap.img" "mode=fsck"

# --- watchdog --------------------------------------------------------------
bad_case watchdog 13 "watchdog: workload not finished" "$G/classic-disk.img" \
    "workers=8 requests=4096 watchdog=1"

# --- GRUB 2 --------------------------------------------------------------
# The ISO's way in: `multiboot /boot/classic.elf ...` (GRUB passes the
# image path as the first command-line word), disk still on the ATA master.
if want grub-multiboot; then
    mkdir -p "$TMP/iso/boot/grub"
    cp "$G/classic.elf" "$G/classic-disk.img" "$TMP/iso/boot/"
    cat >"$TMP/iso/boot/grub/grub.cfg" <<'CFG'
set timeout=0
serial --unit=0 --speed=115200
terminal_output serial
menuentry "classic" {
    multiboot /boot/classic.elf workers=2 requests=8
    module /boot/classic-disk.img
}
CFG
    if ! grub-mkrescue -o "$TMP/classic.iso" "$TMP/iso" >"$LOGS/grub-mkrescue.log" 2>&1; then
        not_ok grub-multiboot "grub-mkrescue failed (log: $LOGS/grub-mkrescue.log)"
    else
        : >"$LOGS/grub-multiboot.log"
        timeout 60 "$QEMU_I386" -machine pc -accel tcg -m 128M -display none -no-reboot \
            -serial "file:$LOGS/grub-multiboot.log" -monitor none \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
            -drive "file=$G/classic-disk.img,format=raw,if=ide,index=0,media=disk" -snapshot \
            -cdrom "$TMP/classic.iso" -boot d </dev/null >"$LOGS/grub-multiboot.qemu" 2>&1
        status=$?
        tr -d '\r' <"$LOGS/grub-multiboot.log" >"$LOGS/grub-multiboot.txt"
        expect grub-multiboot 1 "^DIGEST $("$G/classic-refmodel" 2 8 | sed -n 's/^DIGEST //p')"
    fi
fi

[ "$failures" -eq 0 ]
