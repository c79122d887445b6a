#!/bin/sh
# The natives' guest layouts (docs/peel.md, Layouts), without QEMU: the
# generator (host/natives/classic/layout.sh) reads a guest's debug
# information into a header that records the guest's build ID; a native
# that reads a field as 4 bytes does not compile against a guest where it
# is 2 (host/natives/classic/layout.h); what the debug information lacks
# stops the generator with a sentence.  The guest here is a few lines of C,
# built as classic is: classic's struct buf, but blockno 2 bytes wide.
. tests/qemu.sh
CC=${CC:-cc}
dir=$BUILD/test-logs/layout
rm -rf "$dir" && mkdir -p "$dir"
plan 6

cat > "$dir/guest.c" <<'C'
struct buf {
    unsigned short blockno;
    int valid, busy;
    struct buf *prev, *next;
    unsigned char data[512];
};
struct buf cache_bufs[4];
unsigned int blk_reads;
void _start(void) {}
C
printf 'struct buf\nvar cache_bufs\nvar blk_reads\n' > "$dir/want"
$CC -m32 -g -ffreestanding -fno-pic -c "$dir/guest.c" -o "$dir/guest.o" &&
    ld -m elf_i386 --build-id=sha1 -e _start -o "$dir/guest.elf" "$dir/guest.o" &&
    sh host/natives/classic/layout.sh "$dir/guest.elf" "$dir/want" > "$dir/classic_layout.h" 2> "$dir/gen.err"
log=$dir/classic_layout.h
id=$(readelf -nW "$dir/guest.elf" | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p')
check layout/records-build-id has "^#define LAYOUT_BUILD_ID \"${id:-no build ID}\"$"
offsets() { has "^#define L_buf_blockno_WIDTH 2$" && has "^#define L_buf_valid_OFF 4$" &&
            has "^#define L_buf_data_OFF 20$" && has "^#define L_buf_SIZE 532$" &&
            has "^#define L_cache_bufs_COUNT 4$" && has "^#define L_blk_reads_WIDTH 4$"; }
check layout/offsets-from-dwarf offsets

# a native reading fields through L_U32, compiled as the kernel compiles it
native() {
    printf '#include "host/natives/classic/layout.h"\nunsigned f(void *b) { return L_U32(b, %s); }\n' "$1" \
        > "$dir/native.c"
    $CC -std=gnu11 -ffreestanding -mgeneral-regs-only -I. -I"$dir" -fsyntax-only "$dir/native.c" 2> "$dir/native.err"
}
narrow_refused() { ! native L_buf_blockno && grep -q "the natives read L_buf_blockno as 4 bytes: not its width in this guest" "$dir/native.err"; }
check layout/narrow-field-does-not-compile narrow_refused
check layout/wide-field-compiles native L_buf_valid

lacks_struct() { printf 'struct nosuch\n' > "$dir/want2"
    ! sh host/natives/classic/layout.sh "$dir/guest.elf" "$dir/want2" > /dev/null 2> "$dir/gen2.err" &&
    grep -q "no struct nosuch in its debug information" "$dir/gen2.err"; }
check layout/missing-struct-stops-the-build lacks_struct
no_build_id() { ld -m elf_i386 --build-id=none -e _start -o "$dir/noid.elf" "$dir/guest.o" &&
    ! sh host/natives/classic/layout.sh "$dir/noid.elf" "$dir/want" > /dev/null 2> "$dir/gen3.err" &&
    grep -q "no GNU build ID note" "$dir/gen3.err"; }
check layout/no-build-id-stops-the-build no_build_id
