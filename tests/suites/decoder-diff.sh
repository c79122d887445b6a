#!/bin/sh
# Differential test of the decoder (host/decode/*.c) against Zydis (docs/decoder.md).
#
# Corpora: the guest images in $BUILD/guest/*.elf, a C/asm corpus compiled
# here with gcc -m32 at several -march levels, the i386 libraries that
# gcc-multilib installs, every opcode x ModRM cell of the legacy maps and of
# VEX, and 1,000,000 seeded random strings, each in 16- and 32-bit mode.
# Every mismatch must match tests/decoder/allowlist.txt.  Prints TAP.
BUILD=${BUILD:-build}
. tests/qemu.sh             # plan
OUT=$BUILD/decoder
LOG=$BUILD/test-logs/decoder-diff.out
mkdir -p "$OUT/corpus" "$BUILD/test-logs"
tool=$OUT/diffdec

newer() {	# target, sources...: is any source newer than target?
	t=$1; shift
	[ -e "$t" ] || return 0
	for s in "$@"; do [ "$s" -nt "$t" ] && return 0; done
	return 1
}

# Is the file an i386 ELF32, the files diffdec sweeps (one TAP line each)?
# /usr/lib32 also holds linker scripts, and the guests include deliberately
# broken images.  The same test as diffdec's sweep_elf.
elf32_i386() {
	[ "$(wc -c < "$1")" -ge 52 ] &&
		od -An -tx1 -N20 "$1" | tr -d ' \n' | grep -q '^7f454c4601.\{26\}0300$'
}

# The decoder is every host/decode/*.c, sharing host/decode/priv.h.
if newer "$tool" tests/decoder/diffdec.c host/decode/*.c host/decode/*.h; then
	if ! gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. -o "$tool" \
		tests/decoder/diffdec.c host/decode/*.c -lZydis -lZycore; then
		echo "not ok - build diffdec"
		exit 1
	fi
fi
echo "ok - build diffdec"

# The corpus: one object per (source, flags); .o files are ELF32 already.
files=""
corpus_ok=1
for src in tests/decoder/corpus/*.c; do
	base=$(basename "$src" .c)
	i=0
	for flags in "-O0" "-O2 -march=i686" "-O3 -msse4.2" "-O3 -mavx2 -mfma" \
		     "-O3 -march=skylake-avx512" "-Os -march=pentium-mmx -mno-sse"; do
		i=$((i + 1))
		obj=$OUT/corpus/$base-$i.o
		if newer "$obj" "$src"; then
			# shellcheck disable=SC2086
			gcc -m32 $flags -c "$src" -o "$obj" || corpus_ok=0
		fi
		files="$files $obj"
	done
done
for src in tests/decoder/corpus/*.S; do
	obj=$OUT/corpus/$(basename "$src" .S).o
	newer "$obj" "$src" && { gcc -m32 -c "$src" -o "$obj" || corpus_ok=0; }
	case "$src" in *16.S) files="$files 16:$obj" ;; *) files="$files $obj" ;; esac
done
[ $corpus_ok = 1 ] && echo "ok - build corpus" || echo "not ok - build corpus"

# (the corpus is not filtered: an object gcc did not make is a missing check)
for f in "$BUILD"/guest/*.elf /usr/lib32/*.so* /lib/i386-linux-gnu/*.so*; do
	[ -f "$f" ] && [ ! -L "$f" ] && elf32_i386 "$f" && files="$files $f"
done

# shellcheck disable=SC2086
"$tool" -a tests/decoder/allowlist.txt -r 1000000 $files > "$LOG" 2>&1
rc=$?
grep -E '^(ok|not ok) ' "$LOG"
grep -E '^#   ' "$LOG" | head -40	# unexplained mismatch classes, if any
grep -E '^# [0-9]+ instructions' "$LOG"
[ $rc -eq 0 ] && echo "ok - decoder matches zydis (allowlist: tests/decoder/allowlist.txt)" ||
	echo "not ok - decoder matches zydis (see $LOG)"
# the plan: the two builds, a line per file, the opcode, VEX and random
# sweeps in 32- and 16-bit mode, and the verdict
plan $((2 + $(echo $files | wc -w) + 6 + 1))
exit $rc
