#!/bin/sh
# The symbols of the kernel fetch.sh fetched, for `prof` and the host's
# sentences: Debian strips them from vmlinuz and ships System.map in the
# kernel's -dbg package (linux-image-X.Y.Z-N-686-dbg, 765 MB for 6.1; it is
# downloaded once into DOWNLOAD_DIR, and only when asked for: `make
# linux-map`).  Its System.map is nm's output, the format the host reads
# as NAME.map (loader/symmap.h).  The package is the one linux.version
# names, at that version, checked against the SHA-256 of Debian's index.
#
#   sh guest-image/linux/fetch-map.sh DOWNLOAD_DIR LINUX.version OUT.map
set -u
HERE=$(dirname "$0")
. "$HERE/../apt-i386.sh"
[ $# -eq 3 ] || { echo "usage: $0 DOWNLOAD_DIR LINUX.version OUT.map" >&2; exit 2; }
DL=$1 VERSION_FILE=$2 OUT=$3

refuse() { echo "linux-map: $*" >&2; rm -rf "$OUT.tmp" "$OUT.unpack"; exit 1; }

pkg=$(sed -n 's/^package //p' "$VERSION_FILE" 2>/dev/null)
version=$(sed -n 's/^version //p' "$VERSION_FILE" 2>/dev/null)
[ -n "$pkg" ] && [ -n "$version" ] || refuse "$VERSION_FILE does not name a kernel package and version (make it first)"
dbg=$pkg-dbg
deb_name="${dbg}_$(printf '%s' "$version" | sed 's/:/%3a/')_i386.deb"
deb=$DL/$deb_name
mkdir -p "$DL" || refuse "cannot make the download directory $DL"
apt_i386_init "$DL" "$DL/apt-linux-map.log" || refuse "cannot make apt's private state directory $APT_I386_STATE"
want=$(apt_i386 apt-cache show --no-all-versions "$(apt_i386_pkg "$dbg")=$version" 2>/dev/null |
    sed -n 's/^SHA256: //p' | head -1)
if [ ! -s "$deb" ]; then
    echo "linux-map: downloading $dbg=$version (i386, $(apt_i386 apt-cache show --no-all-versions \
        "$(apt_i386_pkg "$dbg")=$version" 2>/dev/null | sed -n 's/^Size: //p' | head -1) bytes) into $DL"
    apt_i386_download "$dbg=$version"
fi
[ -s "$deb" ] || refuse "apt-get download of $dbg=$version failed; apt said: $(apt_i386_said)"
deb_sum=$(sha256sum "$deb" | cut -d' ' -f1)
echo "linux-map: $deb_name sha256 $deb_sum"
[ -z "$want" ] || [ "$deb_sum" = "$want" ] ||
    refuse "$deb has SHA-256 $deb_sum, not the $want of Debian's index (remove it to download again)"

# System.map comes first in the package's data: tar stops at it (--occurrence)
scratch=$OUT.unpack
rm -rf "$scratch" && mkdir -p "$scratch" || refuse "cannot make the scratch directory $scratch"
dpkg-deb --fsys-tarfile "$deb" 2>/dev/null |
    tar -xmf - -C "$scratch" --occurrence=1 --wildcards './usr/lib/debug/boot/System.map-*' 2>/dev/null
set -- "$scratch"/usr/lib/debug/boot/System.map-*
[ $# -eq 1 ] && [ -s "$1" ] || refuse "$deb holds no usr/lib/debug/boot/System.map-*"
mv "$1" "$OUT.tmp" && rm -rf "$scratch" || refuse "cannot move System.map to $OUT.tmp"
echo "linux-map: ${1##*/} to $OUT, $(wc -l < "$OUT.tmp") symbols, sha256 $(sha256sum "$OUT.tmp" | cut -d' ' -f1)"
mv "$OUT.tmp" "$OUT" || refuse "cannot move $OUT.tmp to $OUT"
