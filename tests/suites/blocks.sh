#!/bin/sh
# Patch blocks (issue 14): tests/guests/blocks.asm, a stripped image whose
# cli, sti, pushf, popf and iret (and the instructions beside them, and the
# branches the scanner checks: a ret after a stack switch, call or jmp
# through a register) the host rewrites into jumps to code of its own in an
# arena at the top of guest RAM (host/vmm/blocks.h).  Its cases: the flags
# (IF and the arithmetic ones) across blocks, an interrupt held while IF is
# 0 arriving right after the popf, sti or iret that sets it, the RTC's
# IRQ 8 (on the slave PIC, both EOIs logged by blocks) likewise, iret to the
# same CS, jcc/jmp/call/ret inside blocks, a context switch and call eax
# through 6 targets, 6000 functions written at run time (more blocks than
# the arena holds), bytes a block displaced rewritten, and branches into the
# middle of those bytes; then paging on and the cases again (the arena seen
# through a window of linear space the guest leaves empty), and the guest
# mapping the whole upper half, window and all: the host must give the
# window up (`window-given-up`) and the guest find its own pages.  Hosted (-smp 1 and -smp 2) its console lines must
# equal the same image's on a bare 32-bit PC (tests/guests/bare-oracle.sh),
# and the monitor's `guest 0 stats` must show blocks made, the arena filled
# and a block withdrawn; with blocks=off the lines must be the same and the
# stats say (off).  One more run with guestarg=attack writes to the arena's
# code (dropped), to the flags word (only its IF bit counts) and jumps into
# the flags page: the host stops the guest with a sentence and powers off.
. tests/qemu.sh
LOGS=$BUILD/test-logs
G=$BUILD/guest
mkdir -p "$LOGS"
plan $((1 + 2 * 12 + 6 + 8))

bare=$LOGS/blocks-bare.log
st=$(sh tests/guests/bare-oracle.sh "$G/blocks.elf" "$bare" "" 120)
if [ "$st" = 127 ]; then
    echo "ok - blocks/bare-passes # SKIP no qemu-system-i386 for the oracle"
else
    log=$bare
    check blocks/bare-passes has "^blocks: PASS"
fi

lines() { tr -d '\r' < "$1" | sed -n 's/^\[blocks\] //p' | grep '^blocks: '; }
same_as_bare() {
    [ "$st" = 127 ] && return 0
    [ -n "$(lines "$log")" ] && [ "$(lines "$log")" = "$(tr -d '\r' < "$bare" | grep '^blocks: ')" ]
}
# the monitor's line: patch blocks N (K KiB of 504: the most in use at once), withdrawn W, faults in them F, given back R[ (off[: why])]; interrupts they delivered D; branch targets learnt T, forgotten F; return trampolines R
# and with paging on: patch blocks with paging on: window 0xW, L windows the guest mapped, A pages run at another address
blockstat() { tr -d '\r' < "$log" | grep -a '^ *patch blocks [0-9]' | tail -1; }
made() { blockstat | sed -n 's/^ *patch blocks \([0-9]*\) .*/\1/p'; }
kib() { blockstat | sed -n 's/^ *patch blocks [0-9]* (\([0-9]*\) KiB of.*/\1/p'; }
withdrawn() { blockstat | sed -n 's/.*, withdrawn \([0-9]*\),.*/\1/p'; }
made_some() { n=$(made); echo "# blocks made: ${n:-none}" >&2; [ -n "$n" ] && [ "$n" -gt 0 ]; }
arena_filled() { k=$(kib); [ -n "$k" ] && [ "$k" -ge 500 ]; }   # the 6000 functions ran it out
some_withdrawn() { w=$(withdrawn); [ -n "$w" ] && [ "$w" -gt 0 ]; }
# the switch case's retpoline thunk: its call carries the block
trampolines() { blockstat | sed -n 's/.*; return trampolines \([0-9]*\)$/\1/p'; }
trampolines_made() { n=$(trampolines); echo "# return trampolines: ${n:-none}" >&2; [ -n "$n" ] && [ "$n" -ge 1 ]; }
# the timer case's popf and iret each took an armed interrupt in their block
delivered() { blockstat | sed -n 's/.*; interrupts they delivered \([0-9]*\);.*/\1/p'; }
blocks_delivered() { n=$(delivered); echo "# interrupts blocks delivered: ${n:-none}" >&2; [ -n "$n" ] && [ "$n" -ge 2 ]; }
off() { blockstat | grep -q '(off);' && [ "$(made)" = 0 ]; }
# the window case mapped the upper half, where the arena's window was
window_lost() {
    w=$(tr -d '\r' < "$log" | grep -a '^ *patch blocks with paging on:' | tail -1 | sed -n 's/.*, \([0-9]*\) windows the guest mapped,.*/\1/p')
    echo "# windows the guest mapped: ${w:-none}" >&2
    [ -n "$w" ] && [ "$w" -ge 1 ]
}

for smp in 1 2; do
    log=$LOGS/blocks-smp$smp.log
    status=$(qemu_boot "$log" $smp 240 "guest=blocks monitor=wait,120;guest,0,stats;poweroff")
    run=smp$smp
    check "blocks/$run/pass" has "^\[blocks\] blocks: PASS"
    check "blocks/$run/same-as-bare" same_as_bare
    check "blocks/$run/no-symbols" has "guest blocks: no symbols"
    check "blocks/$run/exited" has "guest blocks: exited (wrote 0 "
    check "blocks/$run/module-unchanged" has "guest blocks: image module unchanged"
    check "blocks/$run/blocks-made" made_some
    check "blocks/$run/arena-filled" arena_filled
    check "blocks/$run/withdrawn" some_withdrawn
    check "blocks/$run/delivered-in-blocks" blocks_delivered
    check "blocks/$run/trampolines" trampolines_made
    check "blocks/$run/window-given-up" window_lost
    check_exit "blocks/$run/qemu-exit" "$status" 0
done

# every one of the five traps, as before blocks: the same lines
log=$LOGS/blocks-off.log
status=$(qemu_boot "$log" 2 240 "guest=blocks blocks=off monitor=wait,120;guest,0,stats;poweroff")
check "blocks/off/pass" has "^\[blocks\] blocks: PASS"
check "blocks/off/same-as-bare" same_as_bare
check "blocks/off/exited" has "guest blocks: exited (wrote 0 "
check "blocks/off/module-unchanged" has "guest blocks: image module unchanged"
check "blocks/off/stats-off" off
check_exit "blocks/off/qemu-exit" "$status" 0

# the guest against the arena: its writes change nothing but the IF it
# asked for, its jump into the flags page ends it, and the host goes on
log=$LOGS/blocks-attack.log
status=$(qemu_boot "$log" 2 240 "guest=blocks guestarg=attack monitor=wait,120;guest,0,stats;poweroff")
check "blocks/attack/flags-case" has "^\[blocks\] blocks: flags ok"
check "blocks/attack/arena-write-dropped" has "^\[blocks\] blocks: arena write dropped"
check "blocks/attack/flags-word-if" has "^\[blocks\] blocks: flags word bit 9 reads as IF"
check "blocks/attack/flags-word-other-bits" has "^\[blocks\] blocks: flags word other bits ignored"
check "blocks/attack/stopped-flags-page" has "guest blocks: stopped (.*flags page"
check "blocks/attack/host-powered-off" has "^peel: powering off"
check "blocks/attack/no-panic" lacks "PANIC"
check_exit "blocks/attack/qemu-exit" "$status" 0
