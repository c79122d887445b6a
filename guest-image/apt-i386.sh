# apt for i386 packages, sourced by guest-image/*/fetch.sh: Debian's
# 32-bit kernels are i386 packages, and this machine's apt may not know
# i386 (dpkg --add-architecture i386 was never run, and needs root).  Then
# apt runs with a private state directory, DOWNLOAD_DIR/apt-i386, the
# system's own sources and i386 as its only architecture, so the system's
# configuration is never changed.
#
#   apt_i386_init DOWNLOAD_DIR LOG     choose the state (and update the private one); LOG gets apt's words
#   apt_i386 apt-get|apt-cache ARGS    run it with that state
#   apt_i386_pkg PKG                   PKG as that state names the i386 package
#   apt_i386_download PKG=VERSION      apt-get download into DOWNLOAD_DIR; LOG gets apt's words
#   apt_i386_said                      apt's first errors and warnings from LOG, on one line
#
# None of them refuses: the caller says what failed, in its own words.
# Their scratch variables are named apt_*.

# the private state directory, or empty when dpkg knows i386
APT_I386_STATE=
APT_I386_DL=
APT_I386_LOG=

apt_i386_init() {
    APT_I386_DL=$1 APT_I386_LOG=$2
    : > "$APT_I386_LOG" || return 1
    if dpkg --print-foreign-architectures 2>/dev/null | grep -qx i386; then
        APT_I386_STATE=
        return 0
    fi
    APT_I386_STATE=$(cd "$APT_I386_DL" && pwd)/apt-i386
    mkdir -p "$APT_I386_STATE/lists/partial" "$APT_I386_STATE/cache/archives/partial" &&
        : > "$APT_I386_STATE/status" || return 1
    # a failing source elsewhere in the system's list only warns; what follows decides
    apt_i386 apt-get update >> "$APT_I386_LOG" 2>&1
    return 0
}

apt_i386() {
    apt_prog=$1
    shift
    if [ -z "$APT_I386_STATE" ]; then
        LC_ALL=C "$apt_prog" "$@"
        return
    fi
    apt_st=$APT_I386_STATE
    LC_ALL=C "$apt_prog" -o "Dir::State=$apt_st" -o "Dir::State::Lists=$apt_st/lists" \
        -o "Dir::State::status=$apt_st/status" -o "Dir::Cache=$apt_st/cache" \
        -o APT::Architecture=i386 -o APT::Architectures::=i386 -o Acquire::Languages=none "$@"
}

# i386 is the private state's native architecture, the system's foreign one
apt_i386_pkg() {
    if [ -z "$APT_I386_STATE" ]; then printf '%s:i386' "$1"; else printf '%s' "$1"; fi
}

apt_i386_download() {
    apt_pkg=$(apt_i386_pkg "${1%%=*}")
    case $1 in *=*) apt_pkg="$apt_pkg=${1#*=}" ;; esac
    (cd "$APT_I386_DL" && apt_i386 apt-get download "$apt_pkg") >> "$APT_I386_LOG" 2>&1
}

apt_i386_said() {
    grep -E '^(E|W):' "$APT_I386_LOG" | grep -v unsandboxed | awk '!seen[$0]++' | head -3 | tr '\n' ' '
}
