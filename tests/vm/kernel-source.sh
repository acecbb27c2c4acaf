#!/bin/bash
# Find (and on first use fetch) the pristine Linux source of a kernel series
# and print "VERSION TARBALL" on stdout.
#
#   tests/vm/kernel-source.sh 7.3     newest linux-source-7.3 of the newer
#                                     Debian suites (private apt, see below)
#   tests/vm/kernel-source.sh 6.12    the system's linux-source-6.12
#
# 7.3 comes from suites this machine does not use (trixie-backports, sid).
# They are read through a private apt configuration under the cache
# directory (own sources file, lists, package cache, no system state
# touched), whose URIs are the ones of the machine's own Debian sources, so
# no archive host name is written here.  The newest 7.3.x any of those suites
# carries is downloaded with `apt-get download` and unpacked with
# `dpkg-deb -x`.  When none is left, it says it is time to rebase.
set -euo pipefail
series=${1:?usage: kernel-source.sh 7.3|6.12}
cache=${VFIOMAP_CACHE:-/var/cache/libvfiomap}

case $series in
6.12)
	tarball=/usr/src/linux-source-6.12.tar.xz
	[ -f "$tarball" ] || { echo "missing $tarball: apt-get install linux-source-6.12" >&2; exit 2; }
	echo "$(dpkg-query -W -f='${Version}' linux-source-6.12) $tarball"
	exit 0 ;;
7.3) ;;
*) echo "kernel-source.sh: unknown series $series" >&2; exit 2 ;;
esac

suites=${VFIOMAP_APT_SUITES:-trixie-backports sid}
apt_dir=$cache/apt
mkdir -p "$apt_dir"
exec 7>"$apt_dir/lock"
flock 7

. "$(dirname "$0")/../../scripts/private-apt.sh"
private_apt_init "$apt_dir" deb "$suites" || exit 2
echo "reading package lists of: $suites (at most once a day)" >&2
private_apt_update || { echo "kernel-source.sh: apt-get update (private) failed" >&2; exit 2; }

# Newest 7.3.x of any suite (linux-source-7.3 carries upstream 7.3.x).
version=$(apt-cache "${apt_opts[@]}" madison linux-source-7.3 2>/dev/null |
	awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -V | tail -1)
if [ -z "$version" ]; then
	echo "kernel-source.sh: no linux-source-7.3 in $suites any more: time to rebase the series on the newest kernel" >&2
	exit 3
fi
src=$cache/linux-source-$version
tarball=$src/usr/src/linux-source-7.3.tar.xz
if [ ! -f "$tarball" ]; then
	echo "downloading linux-source-7.3 $version ..." >&2
	(cd "$apt_dir/archives" && apt-get "${apt_opts[@]}" download -qq "linux-source-7.3=$version" >&2)
	deb=$(ls "$apt_dir/archives"/linux-source-7.3_*.deb | grep -F "_${version//:/%3a}_" | head -1)
	[ -n "$deb" ] || { echo "kernel-source.sh: download of linux-source-7.3 $version failed" >&2; exit 2; }
	rm -rf "$src.tmp"
	dpkg-deb -x "$deb" "$src.tmp"
	mv "$src.tmp" "$src"
	rm -f "$deb"
fi
[ -f "$tarball" ] || { echo "kernel-source.sh: $tarball missing after unpacking" >&2; exit 2; }
echo "$version $tarball"
