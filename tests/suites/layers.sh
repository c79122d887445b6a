#!/bin/sh
# The layers (docs/kernel.md#layers).  The core — boot/ kernel/ smp/ sched/
# and the core tests — links alone into build/core.elf, with no object and
# no compilation unit from host/ or loader/; it boots and passes its own
# ktests; and its folders include one another only as the allowed graph
# says.  The include check is first run on a broken tree it must catch.
# Needs the toolchain; one short QEMU run.
. tests/qemu.sh
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"

# --- the include graph ------------------------------------------------------
# allowed DIR: the folders DIR's files may #include / %include from.  The
# core stacks kernel (base) -> smp -> sched, with kernel's top (kmain, the
# monitor, the watchdog) above all three; nothing in the core names host/,
# loader/ or tests/ but the tests themselves.
allowed() {
    case $1 in
        boot)         echo "boot kernel" ;;
        kernel)       echo "boot kernel smp sched" ;;
        smp)          echo "boot kernel smp" ;;
        sched)        echo "kernel smp sched" ;;
        tests/ktest)  echo "boot kernel smp sched tests/ktest" ;;
        tests/stress) echo "boot kernel smp sched tests/stress" ;;
        # Above the core, the hypervisor's layers, each on those below it:
        # the pure loader and models, the VMM, the peel framework, and the
        # natives of one image (never another image's).
        loader)       echo "loader kernel/fmt.h kernel/x86-defs.h" ;;
        host/decode)  echo "host/decode" ;;
        host/dev)     echo "host/dev" ;;
        host/vmm)     echo "$CORE_DIRS loader host/decode host/dev host/vmm" ;;
        host/peel)    echo "$CORE_DIRS loader host/decode host/vmm host/peel" ;;
        host/natives/*) echo "$CORE_DIRS loader host/vmm host/peel $1" ;;
    esac
}
CORE_DIRS="boot kernel smp sched"
CORE="boot kernel smp sched tests/ktest tests/stress"
HOST="loader host/decode host/dev host/vmm host/peel $(ls -d host/natives/*/ | sed 's#/$##')"
plan $((1 + $(echo $CORE $HOST | wc -w) + 6))   # the control, a folder each, the core's six

# includes ROOT DIR: "file:line target" for every quoted include of the
# files directly in ROOT/DIR (not its subfolders: tests/ktest/host/ holds
# the ktests of the hypervisor, outside the core).
includes() {
    for f in "$1/$2"/*.c "$1/$2"/*.h "$1/$2"/*.asm; do
        [ -f "$f" ] || continue
        awk -v name="${f#$1/}" '
            match($0, /^[#%] *include *"[^"]*"/) {
                s = substr($0, RSTART, RLENGTH); sub(/^[^"]*"/, "", s); sub(/"$/, "", s)
                print name ":" FNR " " s
            }' "$f"
    done
}

# graph_ok ROOT DIR: DIR's includes stay inside allowed(DIR); each one
# that does not is named with its file, line and the rule it breaks.
graph_ok() {
    ok=0
    ok_dirs=$(allowed "$2")
    includes "$1" "$2" > "$LOGS/layers-includes.tmp"
    while read -r at target; do
        case $target in */*) ;; *) continue ;; esac   # no folder: next to the file
        fine=0
        for d in $ok_dirs; do
            case $target in "$d"|"$d"/*) fine=1 ;; esac
        done
        case $target in tests/ktest/host/*) fine=0 ;; esac
        if [ $fine = 0 ]; then
            echo "# $at includes $target: $2/ may include only from $(echo "$ok_dirs" | sed 's# #/, #g')/" >&2
            ok=1
        fi
    done < "$LOGS/layers-includes.tmp"
    rm -f "$LOGS/layers-includes.tmp"
    return $ok
}

# The check must be able to fail: a copy of smp/ given a scheduler include
# and a copy of kernel/ given a host/ one are both caught, by name.
broken_caught() {
    t=$(mktemp -d) || return 1
    mkdir -p "$t/smp" "$t/kernel" "$t/host/vmm"
    printf '#include "smp/percpu.h"\n#include "sched/runq.h"\n' > "$t/smp/bad.c"
    printf '#include "kernel/trap.h"\n#include "host/vmm/vcpu.h"\n' > "$t/kernel/bad.c"
    printf '#include "host/vmm/guest.h"\n#include "host/peel/peel.h"\n' > "$t/host/vmm/bad.c"
    graph_ok "$t" smp 2> "$t/smp.err" && { rm -rf "$t"; return 1; }
    graph_ok "$t" kernel 2> "$t/kernel.err" && { rm -rf "$t"; return 1; }
    graph_ok "$t" host/vmm 2> "$t/vmm.err" && { rm -rf "$t"; return 1; }
    grep -q '^# smp/bad.c:2 includes sched/runq.h' "$t/smp.err" &&
        grep -q '^# kernel/bad.c:2 includes host/vmm/vcpu.h' "$t/kernel.err" &&
        grep -q '^# host/vmm/bad.c:2 includes host/peel/peel.h' "$t/vmm.err"
    st=$?
    rm -rf "$t"
    return $st
}

log=/dev/null
check layers/include-check-catches-a-bad-include broken_caught
for d in $CORE $HOST; do
    check "layers/includes/$d" graph_ok . "$d"
done

# --- the core alone -----------------------------------------------------------
log=$LOGS/layers-core-link.log
core_links() {
    rm -f "$BUILD/core.elf"
    make -s BUILD="$BUILD" "$BUILD/core.elf" > "$log" 2>&1 && return 0
    grep -o "undefined reference to \`[^']*'" "$log" | sort -u | sed 's/^/# core: /' >&2
    return 1
}
check layers/core-links-alone core_links

# The link drops unreachable code before it resolves symbols (LTO), so
# also: every symbol a core object uses is defined by a core object or by
# boot/linker.ld — even in code nothing calls yet.
core_closed() {
    [ -s "$BUILD/core.objs" ] || { echo "# no $BUILD/core.objs: make $BUILD/core.elf did not run" >&2; return 1; }
    objs=$(cat "$BUILD/core.objs")
    gcc-nm --defined-only $objs 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u > "$LOGS/layers-defined.tmp"
    sed -n 's/^ *\([A-Za-z_][A-Za-z_0-9]*\) *= *.*;.*/\1/p' boot/linker.ld >> "$LOGS/layers-defined.tmp"
    echo ksyms >> "$LOGS/layers-defined.tmp"                  # the Makefile's own object
    sort -u -o "$LOGS/layers-defined.tmp" "$LOGS/layers-defined.tmp"
    missing=$(for o in $objs; do
                  gcc-nm -u "$o" 2>/dev/null | awk -v o="${o#$BUILD/}" '{ print $NF, o }'
              done | sort -k1,1 | join -v 1 - "$LOGS/layers-defined.tmp")
    rm -f "$LOGS/layers-defined.tmp"
    [ -z "$missing" ] && return 0
    printf '%s\n' "$missing" | awk '{ print "# " $2 " uses " $1 ", which no core object defines" }' >&2
    return 1
}
check layers/core-objects-use-only-the-core core_closed

# Every compilation unit in core.elf is the core's own (no host/ or loader/
# source came in some other way: a .c included, a folder added).
core_units_ok() {
    [ -f "$BUILD/core.elf" ] || { echo "# no $BUILD/core.elf to read: it did not link" >&2; return 1; }
    bad=$(objdump --dwarf=info "$BUILD/core.elf" 2>/dev/null |
          sed -n '/DW_TAG_compile_unit/,/DW_AT_name/s/.*DW_AT_name[^:]*: *\(.*\)$/\1/p' |
          sed 's/^(indirect[^)]*): *//' | grep -E '^(\./)?(host|loader)/')
    [ -z "$bad" ] && return 0
    printf '%s\n' "$bad" | sed 's/^/# core.elf compiles in: /' >&2
    return 1
}
check layers/core-has-no-host-or-loader-units core_units_ok

# It boots on two CPUs and passes the core's own ktests (KTAP, then
# isa-debug-exit), knowing nothing of guests.
log=$LOGS/layers-core-boot.log
if make -s BUILD="$BUILD" "$BUILD/core.iso" > "$LOGS/layers-core-iso.log" 2>&1; then
    status=$(ISO=$BUILD/core.iso qemu_boot "$log" 2 120 "ktest=all panic=exit")
else
    echo "# $BUILD/core.iso did not build ($LOGS/layers-core-iso.log)" >&2
    status=; : > "$log"
fi
ncases=$(nm "$BUILD/core.elf" 2>/dev/null | grep -c ' ktest_desc_')
check layers/core-boots-cpus-online has "smp: 2 of 2 CPUs online"
check layers/core-ktests-pass has "# ktest: $ncases passed, 0 failed on 2 CPUs"
check_exit layers/core-run "$status" 1
