#!/bin/sh
# Fetch Linux as Debian ships it, unmodified: the i386 metapackage
# linux-image-686 names the current kernel package (linux-image-X.Y.Z-N-686,
# its only Depends), and in that package boot/vmlinuz-X.Y.Z-N-686 is a
# bzImage.  The .deb is kept in DOWNLOAD_DIR, so it is downloaded once;
# `make clean` leaves it.
#
#   sh guest-image/linux/fetch.sh DOWNLOAD_DIR OUT.bzImage
#
# The version is not pinned: Debian's archive drops a kernel once a newer
# one is out, so the package is resolved each time this runs ("current"),
# and its name, version and both SHA-256 are printed and written to
# OUT.version (OUT without .bzImage).  A .deb apt resolved, downloaded or
# cached, must have the SHA-256 of Debian's signed index.  If apt cannot
# resolve or download it, the newest linux-image-*-686 .deb cached in
# DOWNLOAD_DIR is used, and that is said.  Any failure is refused with a
# sentence and a non-zero status, and leaves no OUT or OUT.version behind.
# guest-image/apt-i386.sh says how apt is asked for i386 packages.
set -u
META=linux-image-686
HERE=$(dirname "$0")
. "$HERE/../apt-i386.sh"
[ $# -eq 2 ] || { echo "usage: $0 DOWNLOAD_DIR OUT.bzImage" >&2; exit 2; }
DL=$1 OUT=$2
VERSION_FILE=${OUT%.bzImage}.version

refuse() { echo "linux: $*" >&2; rm -rf "$OUT.tmp" "$OUT.unpack" "$VERSION_FILE.tmp"; exit 1; }

# resolve: "PACKAGE VERSION" of the kernel package META's candidate depends on
resolve() {
    apt_i386 apt-cache show --no-all-versions "$(apt_i386_pkg $META)" 2>>"$APT_I386_LOG" |
        sed -n 's/^Depends: //p' | tr ',' '\n' |
        sed -n 's/^ *\(linux-image-[0-9][^ ]*-686\) (= \([^)]*\)).*/\1 \2/p' | head -1
}

# newest_cached: the cached kernel .deb with the highest version, if any
newest_cached() {
    for f in "$DL"/linux-image-[0-9]*-686_*_i386.deb; do
        [ -s "$f" ] && printf '%s\n' "${f##*/}"
    done | sort -V | tail -1
}

mkdir -p "$DL" || refuse "cannot make the download directory $DL"
apt_i386_init "$DL" "$DL/apt-linux.log" || refuse "cannot make apt's private state directory $APT_I386_STATE"
grep -q '^W: Some index files failed to download' "$DL/apt-linux.log" &&
    echo "linux: apt could not update its lists of i386 packages; it resolves $META from older ones"

set -- $(resolve)
if [ $# -eq 2 ]; then
    pkg=$1 version=$2
    deb_name="${pkg}_$(printf '%s' "$version" | sed 's/:/%3a/')_i386.deb"
    echo "linux: $META (i386) is $pkg $version"
    want=$(apt_i386 apt-cache show --no-all-versions "$(apt_i386_pkg "$pkg")=$version" 2>/dev/null |
        sed -n 's/^SHA256: //p' | head -1)
    if [ ! -s "$DL/$deb_name" ]; then
        echo "linux: downloading $pkg=$version (i386) with apt-get into $DL"
        apt_i386_download "$pkg=$version"
    fi
    [ -s "$DL/$deb_name" ] || { why="apt-get download of $pkg=$version failed"; deb_name=; }
else
    why="apt cannot resolve $META for i386"
    deb_name=
fi
if [ -z "$deb_name" ]; then
    deb_name=$(newest_cached)
    [ -n "$deb_name" ] ||
        refuse "$why and no kernel .deb is cached in $DL (is the network or a Debian mirror reachable?); apt said: $(apt_i386_said)"
    pkg=${deb_name%%_*} version=$(printf '%s' "$deb_name" | cut -d_ -f2 | sed 's/%3a/:/') want=
    echo "linux: $why; using the cached $deb_name, which may not be current"
fi
deb=$DL/$deb_name

deb_sum=$(sha256sum "$deb" | cut -d' ' -f1)
echo "linux: $deb_name sha256 $deb_sum"
[ -z "$want" ] || [ "$deb_sum" = "$want" ] ||
    refuse "$deb has SHA-256 $deb_sum, not the $want of Debian's index (remove it to download again)"

# one pass over the 50 MB package, its vmlinuz into a scratch directory
# (sh has no pipefail: a failing dpkg-deb leaves a mark there; -m: the
# time of extraction, not the package's, or make would fetch it every time)
scratch=$OUT.unpack
rm -rf "$scratch" && mkdir -p "$scratch" || refuse "cannot make the scratch directory $scratch"
{ dpkg-deb --fsys-tarfile "$deb" 2>/dev/null || : > "$scratch/dpkg-deb.failed"; } |
    tar -xmf - -C "$scratch" --wildcards './boot/vmlinuz-*' 2> "$scratch/tar.err"
tar_st=$?
[ ! -e "$scratch/dpkg-deb.failed" ] || refuse "dpkg-deb cannot unpack $deb: a damaged package?"
set -- "$scratch"/boot/vmlinuz-*
[ $# -eq 1 ] && [ -s "$1" ] || refuse "$deb does not hold exactly one boot/vmlinuz-*: not a kernel package?"
[ $tar_st -eq 0 ] || refuse "tar failed on $deb: $(head -1 "$scratch/tar.err")"
mv "$1" "$OUT.tmp" || refuse "cannot move the vmlinuz to $OUT.tmp"
member=boot/${1##*/}
rm -rf "$scratch"
# the boot protocol's marks (Documentation/arch/x86/boot.rst): boot_flag 0xAA55 at 0x1fe, header "HdrS" at 0x202
[ "$(od -An -tx1 -j 0x1fe -N 8 "$OUT.tmp" | tr -d ' \n' | cut -c1-4,9-16)" = 55aa48647253 ] ||
    refuse "$member in $deb is not a bzImage (no 0xAA55 at 0x1fe and HdrS at 0x202)"
img_sum=$(sha256sum "$OUT.tmp" | cut -d' ' -f1)
echo "linux: $member to $OUT, $(wc -c < "$OUT.tmp") bytes, sha256 $img_sum"
{
    echo "package $pkg"
    echo "version $version"
    echo "sha256 $deb_sum  $deb_name"
    echo "sha256 $img_sum  $member"
} > "$VERSION_FILE.tmp" || refuse "cannot write $VERSION_FILE"
mv "$VERSION_FILE.tmp" "$VERSION_FILE" || refuse "cannot write $VERSION_FILE"
mv "$OUT.tmp" "$OUT" || { rm -f "$VERSION_FILE"; refuse "cannot move $OUT.tmp to $OUT"; }
