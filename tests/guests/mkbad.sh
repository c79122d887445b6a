#!/bin/sh
# Corrupt copies of a good image, one defect each, for the loader's
# refusals: mkbad.sh GOOD.elf OUTDIR
set -e
good=$1 out=$2
mkdir -p "$out"
patch_byte() {   # file offset value
    printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
head -c 700 "$good" > "$out/bad-truncated.elf"
cp "$good" "$out/bad-class.elf";   patch_byte "$out/bad-class.elf" 4 2      # ELFCLASS64
cp "$good" "$out/bad-machine.elf"; patch_byte "$out/bad-machine.elf" 18 62  # EM_X86_64
cp "$good" "$out/bad-entry.elf";   patch_byte "$out/bad-entry.elf" 27 0x7f  # entry 0x7f......
cp "$good" "$out/bad-phnum.elf";   patch_byte "$out/bad-phnum.elf" 44 0xff; patch_byte "$out/bad-phnum.elf" 45 0xff
# no Multiboot header: zero the magic wherever it is
cp "$good" "$out/bad-nomb.elf"
off=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().find(bytes.fromhex("02b0ad1b")))' "$good")
for i in 0 1 2 3; do patch_byte "$out/bad-nomb.elf" $((off + i)) 0; done
