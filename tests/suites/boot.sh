#!/bin/sh
# Whole-system boots: odd firmware, odd command lines, the monitor, and
# the failure paths (panic, host exceptions).  One TAP line per case.
. tests/qemu.sh
LOGS=$BUILD/test-logs
plan 39

# No ACPI at all: one CPU, a clear message, and the scheduler still works.
log=$LOGS/boot-noacpi.log
st=$(qemu_boot "$log" 4 120 "ktest=thread_create_join,mutex_exact_count panic=exit" -machine acpi=off)
check noacpi/message has "the boot loader found no ACPI RSDP; booting on one CPU"
check noacpi/one-cpu has "smp: 1 of 1 CPUs online"
check_exit noacpi/tests-pass "$st" 1

# Unknown and malformed options are reported, not fatal.
log=$LOGS/boot-badopts.log
st=$(qemu_boot "$log" 2 120 "bogus frob=1 smp=zero capacity=0 capacity=9 ktest=thread_create_join panic=exit")
check badopts/unknown-word has "cmdline: ignoring 'bogus': unknown option"
check badopts/capacity-zero has "cmdline: ignoring 'capacity=0': wants all or a CPU count > 0"
check badopts/capacity-too-many has "capacity: 2 of 2 CPUs (capacity=9, more than are online)"
check badopts/unknown-key has "cmdline: ignoring 'frob=1': unknown option"
check badopts/bad-value has "cmdline: ignoring 'smp=zero'"
check_exit badopts/still-boots "$st" 1

# nosmp and smp=N limit the CPUs brought up, and say so.
log=$LOGS/boot-nosmp.log
st=$(qemu_boot "$log" 4 120 "nosmp ktest=cpus_all_online panic=exit")
check nosmp/one-of-four has "smp: 1 of 4 CPUs online"
check_exit nosmp/tests-pass "$st" 1
log=$LOGS/boot-smp3.log
st=$(qemu_boot "$log" 4 120 "smp=3 ktest=cpus_all_online,threads_run_everywhere_and_migrate panic=exit")
check smp3/three-of-four has "smp: 3 of 4 CPUs online"
# the capacity probe measured the three (sched/capacity.c): what it finds
# depends on the machine, that it says so does not
check smp3/capacity-measured has "capacity: [1-3] of 3 CPUs run at once (a loop of [0-9.]* ms took [0-9.]* ms on 3 CPUs at once)"
check_exit smp3/tests-pass "$st" 1

# An AP that never answers is reported and skipped; the rest come up and work.
log=$LOGS/boot-apsilent.log
st=$(qemu_boot "$log" 4 120 "apsilent=2 ktest=threads_run_everywhere_and_migrate,percpu_and_ipi_call panic=exit")
check apsilent/reported has "smp: cpu with APIC id 2 did not come up within 1000 ms; skipped"
check apsilent/three-of-four has "smp: 3 of 4 CPUs online"
check_exit apsilent/others-work "$st" 1

# RAM above the PCI hole: the memory map has a hole below 4 GiB.
log=$LOGS/boot-highmem.log
st=$(qemu_boot "$log" 2 120 "ktest=page_alloc_contiguous,heap_large,vm_map_unmap,many_threads panic=exit" -m 4608M)
check highmem/map-with-hole has "mem: 4[0-9][0-9][0-9] MiB usable"
check_exit highmem/tests-pass "$st" 1

# The monitor runs its commands and powers the machine off.
log=$LOGS/boot-monitor.log
st=$(qemu_boot "$log" 4 120 "capacity=3 monitor=help;cpus;threads;mem;uptime;poweroff")
check monitor/cpus has "  3    3    yes"
check monitor/capacity-set has "capacity: 3 of 4 CPUs (capacity=3)"
check monitor/cpus-capacity has "  capacity: 3 of 4 CPUs, mask 7 (where guest threads go)"
check monitor/threads has "idle/3"
check monitor/mem has "pages: [0-9]* total"
check monitor/uptime has "up [0-9]*\.[0-9]* s, 4 CPUs"
check monitor/poweroff has "peel: powering off"
check_exit monitor/clean-exit "$st" 0

# The monitor answers typed input on the serial line.
log=$LOGS/boot-monitor-typed.log
st=$(qemu_converse "$log" 2 120 "panic=exit" "until Peel monitor ready" "type uptime" "until up [0-9]" \
    "type nosuch" "until unknown command" "type poweroff")
check monitor-typed/prompt has "peel> "
check monitor-typed/uptime has "up [0-9]*\.[0-9]* s, 2 CPUs"
check monitor-typed/unknown has "unknown command 'nosuch'"
check monitor-typed/poweroff has "peel: powering off"
check_exit monitor-typed/clean-exit "$st" 0

# panic(): message, symbolized backtrace, every CPU stopped, distinct exit.
log=$LOGS/boot-panic.log
st=$(qemu_boot "$log" 4 120 "panic=exit monitor=panic")
check panic/message has "PANIC on cpu [0-9]*: requested from the monitor"
check panic/backtrace has "#[0-9] 0x[0-9a-f]* cmd_panic+0x"
check_exit panic/exit-status "$st" 5

# A CPU exception in the host: vector, registers, faulting address, backtrace.
log=$LOGS/boot-fault.log
st=$(qemu_boot "$log" 2 120 "panic=exit monitor=fault")
check fault/page-fault has "PANIC on cpu [0-9]*: page fault (vector 14"
check fault/address has "faulting address 0x0000000000000008"
check fault/backtrace has "cmd_fault+0x"
check_exit fault/exit-status "$st" 5
