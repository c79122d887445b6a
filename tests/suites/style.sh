#!/bin/sh
# The tree keeps one style (.editorconfig): C, headers, NASM and linker
# scripts indent with four spaces, never a tab; no file ends a line in
# blank space or lacks its final newline.  One check per rule, each naming
# the first offending lines it finds.  Needs only the git checkout.
. tests/qemu.sh
plan 3

src() { git ls-files -- '*.c' '*.h' '*.asm' '*.inc' '*.ld'; }
text() { git ls-files | grep -vE '\.(png|gz|bin|elf|iso)$' | grep -v '^tests/decoder/corpus/.*\.bin'; }

offenders() {   # label, then the offending file:line list on stdin
    out=$(head -5)
    [ -z "$out" ] && return 0
    printf '%s\n' "$out" | sed "s/^/# $1: /" >&2
    return 1
}
tab_indent() { src | xargs grep -n "$(printf '^ *\t')" | offenders "tab indentation"; }
trailing() { text | xargs grep -nIE '[[:space:]]+$' | offenders "trailing blank"; }
final_nl() {
    text | while read -r f; do
        [ -s "$f" ] && [ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" != '\n' ] && echo "$f"
    done | offenders "no final newline"
}

log=/dev/null
check style/indent-four-spaces tab_indent
check style/no-trailing-blanks trailing
check style/final-newline final_nl
