#!/bin/sh
# Fetch GNU Mach as Debian ships it, unmodified: the package
# gnumach-image-1.8-486 for i386 (the amd64 package of the same name holds a
# 64-bit kernel), and in it boot/gnumach-1.8-486.gz, gunzipped: a stripped
# ELF32 Multiboot image.  The .deb is kept in DOWNLOAD_DIR, so the network
# is touched once; `make clean` leaves it.
#
#   sh guest-image/gnumach/fetch.sh DOWNLOAD_DIR OUT.elf
#
# The version is pinned and both files' SHA-256 are checked against
# guest-image/gnumach/sha256sums: tests/gnumach/bare.txt is this image's
# transcript, and another build would print other lines.  apt has already
# checked the .deb against Debian's signed index; the sums say it is the
# one the transcript was taken from.  Any failure is refused with a
# sentence and a non-zero status, and leaves no OUT.elf behind.
#
# This machine's apt may not know i386: guest-image/apt-i386.sh then gives
# apt a private state directory under DOWNLOAD_DIR, and the system's
# configuration is never changed.
set -u
PKG=gnumach-image-1.8-486
VERSION=2:1.8+git20221224-2
MEMBER=./boot/gnumach-1.8-486.gz
HERE=$(dirname "$0")
. "$HERE/../apt-i386.sh"
[ $# -eq 2 ] || { echo "usage: $0 DOWNLOAD_DIR OUT.elf" >&2; exit 2; }
DL=$1 OUT=$2

refuse() { echo "gnumach: $*" >&2; rm -f "$OUT.tmp"; exit 1; }
want() { sed -n "s/^\([0-9a-f]\{64\}\)  $1\$/\1/p" "$HERE/sha256sums"; }

deb_name="${PKG}_$(printf '%s' "$VERSION" | sed 's/:/%3a/')_i386.deb"
deb=$DL/$deb_name
mkdir -p "$DL" || refuse "cannot make the download directory $DL"

if [ ! -s "$deb" ]; then
    echo "gnumach: downloading $PKG=$VERSION (i386) with apt-get into $DL"
    apt_i386_init "$DL" "$DL/apt.log" || refuse "cannot make apt's private state directory $APT_I386_STATE"
    apt_i386_download "$PKG=$VERSION"
    [ -s "$deb" ] || refuse "apt-get download of $PKG=$VERSION for i386 failed (is the network or a Debian mirror reachable?); apt said: $(apt_i386_said)"
fi

deb_sum=$(sha256sum "$deb" | cut -d' ' -f1)
echo "gnumach: $deb_name sha256 $deb_sum"
[ "$deb_sum" = "$(want "$deb_name")" ] ||
    refuse "$deb has SHA-256 $deb_sum, not the $(want "$deb_name") in $HERE/sha256sums (remove it to download again)"

dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "$MEMBER" | gunzip > "$OUT.tmp" && [ -s "$OUT.tmp" ] ||
    refuse "cannot unpack $MEMBER from $deb (dpkg-deb, tar or gunzip failed)"
# ELF, 32-bit (class 1), little-endian, version 1, an executable (2) for i386 (3): what the host loads
[ "$(od -An -tx1 -N20 "$OUT.tmp" | tr -d ' \n' | cut -c1-14,33-40)" = 7f454c4601010102000300 ] ||
    refuse "$MEMBER in $deb is not an ELF32 i386 executable"
img_sum=$(sha256sum "$OUT.tmp" | cut -d' ' -f1)
echo "gnumach: ${MEMBER#./} gunzipped to $OUT, $(wc -c < "$OUT.tmp") bytes, sha256 $img_sum"
[ "$img_sum" = "$(want gnumach-1.8-486)" ] ||
    refuse "the image has SHA-256 $img_sum, not the $(want gnumach-1.8-486) in $HERE/sha256sums"
mv "$OUT.tmp" "$OUT"
