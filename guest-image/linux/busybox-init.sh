#!/bin/busybox sh
# /init of the linux guest's second initramfs (linux-busybox.initrd):
# Debian's busybox-static, userland nobody here wrote, as a glibc program
# uses a kernel: TLS through GS, fork and exec, pipes, /proc, devtmpfs, the
# page cache.  Every line it prints starts "bb-init: "; the same lines come
# out bare and hosted (tests/suites/linux.sh), then it powers off.
bb=/bin/busybox
$bb mkdir -p /proc /tmp
$bb mount -t proc proc /proc
$bb mount -t devtmpfs dev /dev
echo "bb-init: $($bb uname -srm)"
echo "bb-init: $($bb grep -c '^processor' /proc/cpuinfo) processor(s) in /proc/cpuinfo"
for i in 1 2 3; do $bb sh -c "echo bb-init: subshell $i of 3"; done
echo "bb-init: seq | awk: $($bb seq 1 2000 | $bb awk '{ s += $1 } END { print "sum", s }')"
$bb dd if=/dev/zero of=/tmp/zero bs=1k count=512 2>/dev/null
echo "bb-init: md5sum of 512 KiB of zeros: $($bb md5sum /tmp/zero | $bb cut -d' ' -f1)"
echo "bb-init: done"
$bb poweroff -f
