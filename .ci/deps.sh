#!/bin/sh
# Install every Debian package Peel's build, run and tests need, if missing.
# Used by `make run`, `make test` and .ci/run; safe to run again.
set -e
PKGS="gcc make nasm binutils grub-common grub-pc-bin xorriso mtools
      qemu-system-x86 libcmocka-dev libzydis-dev gcc-multilib python3 gnuplot-nox
      dwarves"                 # pahole, pglobal: the natives' guest layouts (host/natives/classic/layout.sh)
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing (run as root, or: apt-get install$missing)" >&2
    exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $missing >/dev/null
