#!/bin/sh
# Emit the kernel's function symbols as a NASM .ksyms section, sorted by
# address, for the backtrace in kernel/panic.c:
#   ksyms: dq count, then count x { dq address, dq name }, then the names.
nm -n "$1" | awk '
$2 ~ /^[Tt]$/ && $3 !~ /^\./ { addr[n] = $1; name[n] = $3; n++ }
END {
    print "section .ksyms"
    print "global ksyms"
    print "ksyms:"
    printf "    dq %d\n", n
    for (i = 0; i < n; i++) printf "    dq 0x%s, ksym_%d\n", addr[i], i
    for (i = 0; i < n; i++) printf "ksym_%d: db \"%s\", 0\n", i, name[i]
}'
