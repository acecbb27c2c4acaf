#!/bin/bash
# Debian's own 6.12 kernel, the one Debian 12/13 users run, matched to the
# linux-source-6.12 the 6.12 series and the DKMS package are made from.
#
#   tests/vm/debian-kernel.sh headers   download linux-headers-<abi> (and
#                                       its -common and linux-kbuild) into
#                                       the cache (never installed) and
#                                       extract them; print "ABI KDIR"
#   tests/vm/debian-kernel.sh image     download linux-image-<abi>-unsigned
#                                       into the cache (never installed) and
#                                       extract it; print "ABI DIR" with
#                                       DIR/vmlinuz and DIR/lib/modules/ABI
#
# ABI is Debian's kernel release, e.g. 6.12.117+deb12-amd64.
set -euo pipefail
what=${1:?usage: debian-kernel.sh headers|image}
cache=${VFIOMAP_CACHE:-/var/cache/libvfiomap}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
	{ echo "debian-kernel: linux-source-6.12 is not installed" >&2; exit 1; }
upstream=${srcver%%-*}
# the image package of that release: linux-image-<upstream>+debNN-amd64-unsigned
find_pkg() {
	apt-cache pkgnames "linux-image-$upstream+deb" |
		grep -E "^linux-image-$upstream\+deb[0-9]+-amd64-unsigned$" | sort | tail -1
}
pkg=$(find_pkg)
if [ -z "$pkg" ]; then	# package lists missing or stale
	$SUDO apt-get update -qq >&2 || true
	pkg=$(find_pkg)
fi
[ -n "$pkg" ] || { echo "debian-kernel: no linux-image package for Linux $upstream (apt-get update?)" >&2; exit 1; }
abi=${pkg#linux-image-}
abi=${abi%-unsigned}

case $what in
headers)
	# Downloaded and unpacked into the cache, never installed: the
	# linux-headers-<abi> package depends on linux-image-<abi>, whose
	# installation writes /boot and rebuilds every initramfs.  The three
	# packages a module build needs: the flavour's headers, the common
	# headers and kbuild (their symlinks are relative; the flavour's
	# Makefile includes the common one by absolute path, rewritten here).
	dir=$cache/debian-headers-$abi
	kdir=$dir/usr/src/linux-headers-$abi
	if [ ! -f "$dir/ok" ]; then
		mkdir -p "$cache"
		exec 9>"$cache/debian-headers.lock"
		flock 9
		if [ ! -f "$dir/ok" ]; then
			kver=${abi%-amd64}
			hpkgs=("linux-headers-$abi" "linux-headers-$kver-common"
			       "linux-kbuild-$kver")
			rm -rf "$dir.tmp"
			mkdir -p "$dir.tmp/deb"
			echo "debian-kernel: downloading ${hpkgs[*]}" >&2
			(cd "$dir.tmp/deb" && apt-get download -q "${hpkgs[@]}" >&2) ||
				{ echo "debian-kernel: cannot download ${hpkgs[*]}" >&2; exit 1; }
			for d in "$dir.tmp/deb/"*.deb; do
				dpkg-deb -x "$d" "$dir.tmp"
			done
			rm -rf "$dir.tmp/deb"
			sed -i "s|^include /usr/src/|include $dir/usr/src/|" \
				"$dir.tmp/usr/src/linux-headers-$abi/Makefile"
			echo "${hpkgs[*]} $(date -u +%F)" > "$dir.tmp/ok"
			rm -rf "$dir"
			mv "$dir.tmp" "$dir"
		fi
	fi
	[ -f "$kdir/Makefile" ] || { echo "debian-kernel: no headers in $kdir" >&2; exit 1; }
	echo "$abi $kdir"
	;;
image)
	dir=$cache/debian-kernel-$abi
	if [ ! -f "$dir/ok" ]; then
		mkdir -p "$cache"
		exec 9>"$cache/debian-kernel.lock"
		flock 9
		if [ ! -f "$dir/ok" ]; then
			rm -rf "$dir.tmp"
			mkdir -p "$dir.tmp/deb"
			(cd "$dir.tmp/deb" && apt-get download -q "$pkg" >&2) ||
				{ echo "debian-kernel: cannot download $pkg" >&2; exit 1; }
			dpkg-deb -x "$dir.tmp/deb/"*.deb "$dir.tmp/root"
			mv "$dir.tmp/root/boot/vmlinuz-$abi" "$dir.tmp/vmlinuz"
			mkdir -p "$dir.tmp/lib/modules"
			mv "$dir.tmp/root/lib/modules/$abi" "$dir.tmp/lib/modules/$abi"
			rm -rf "$dir.tmp/root" "$dir.tmp/deb"
			echo "$pkg $(date -u +%F)" > "$dir.tmp/ok"
			rm -rf "$dir"
			mv "$dir.tmp" "$dir"
		fi
	fi
	echo "$abi $dir"
	;;
*) echo "debian-kernel: unknown request $what" >&2; exit 2 ;;
esac
