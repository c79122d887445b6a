#!/bin/sh
# Debian's busybox-static for i386, unmodified: the program of the linux
# guest's second initramfs (busybox-init.sh is its /init), userland nobody
# here wrote.  Like the kernel it is resolved when this runs (apt's
# candidate), downloaded once into DOWNLOAD_DIR, checked against the
# SHA-256 of Debian's index, and both SHA-256 printed; if apt cannot
# resolve it, the newest busybox-static .deb cached there is used.
#
#   sh guest-image/linux/fetch-busybox.sh DOWNLOAD_DIR OUT
set -u
PKG=busybox-static
HERE=$(dirname "$0")
. "$HERE/../apt-i386.sh"
[ $# -eq 2 ] || { echo "usage: $0 DOWNLOAD_DIR OUT" >&2; exit 2; }
DL=$1 OUT=$2

refuse() { echo "busybox: $*" >&2; rm -rf "$OUT.tmp" "$OUT.unpack"; exit 1; }

mkdir -p "$DL" || refuse "cannot make the download directory $DL"
apt_i386_init "$DL" "$DL/apt-busybox.log" || refuse "cannot make apt's private state directory $APT_I386_STATE"
show=$(apt_i386 apt-cache show --no-all-versions "$(apt_i386_pkg $PKG)" 2>/dev/null)
version=$(printf '%s\n' "$show" | sed -n 's/^Version: //p' | head -1)
want=$(printf '%s\n' "$show" | sed -n 's/^SHA256: //p' | head -1)
if [ -n "$version" ]; then
    deb_name="${PKG}_$(printf '%s' "$version" | sed 's/:/%3a/')_i386.deb"
    [ -s "$DL/$deb_name" ] || { echo "busybox: downloading $PKG=$version (i386) into $DL"; apt_i386_download "$PKG=$version"; }
fi
if [ -z "$version" ] || [ ! -s "$DL/$deb_name" ]; then
    deb_name=$(for f in "$DL"/${PKG}_*_i386.deb; do [ -s "$f" ] && printf '%s\n' "${f##*/}"; done | sort -V | tail -1)
    [ -n "$deb_name" ] || refuse "apt cannot resolve or download $PKG for i386, and none is cached in $DL; apt said: $(apt_i386_said)"
    want=
    echo "busybox: apt cannot resolve or download $PKG; using the cached $deb_name"
fi
deb=$DL/$deb_name
deb_sum=$(sha256sum "$deb" | cut -d' ' -f1)
echo "busybox: $deb_name sha256 $deb_sum"
[ -z "$want" ] || [ "$deb_sum" = "$want" ] ||
    refuse "$deb has SHA-256 $deb_sum, not the $want of Debian's index (remove it to download again)"
scratch=$OUT.unpack
rm -rf "$scratch" && mkdir -p "$scratch" || refuse "cannot make the scratch directory $scratch"
dpkg-deb --fsys-tarfile "$deb" 2>/dev/null | tar -xmf - -C "$scratch" ./bin/busybox 2>/dev/null
[ -s "$scratch/bin/busybox" ] || refuse "$deb holds no bin/busybox"
# ELF32 (class 1), an executable (type 2) for i386 (machine 3)
[ "$(od -An -tx1 -N20 "$scratch/bin/busybox" | tr -d ' \n' | cut -c1-10,33-40)" = 7f454c460102000300 ] ||
    refuse "bin/busybox in $deb is not an i386 ELF executable"
mv "$scratch/bin/busybox" "$OUT.tmp" && rm -rf "$scratch" || refuse "cannot move bin/busybox to $OUT.tmp"
echo "busybox: bin/busybox to $OUT, $(wc -c < "$OUT.tmp") bytes, sha256 $(sha256sum "$OUT.tmp" | cut -d' ' -f1)"
mv "$OUT.tmp" "$OUT" || refuse "cannot move $OUT.tmp to $OUT"
