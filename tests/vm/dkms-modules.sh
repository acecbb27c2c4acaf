#!/bin/bash
# Build the vfiomap DKMS modules (dkms/ + kernel-patches/6.12) against the
# headers of Debian's 6.12 kernel, with the command dkms.conf gives DKMS,
# and print the directory that holds the .ko files.  Cached by the hash of
# the patches, the dkms/ files and the kernel release.
#
#   tests/vm/dkms-modules.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${VFIOMAP_CACHE:-/var/cache/libvfiomap}
read -r abi kdir < <("$here/debian-kernel.sh" headers)
key=$( { echo "$abi"; cat "$repo"/dkms/* "$repo"/kernel-patches/6.12/series;
	 for p in $(cat "$repo/kernel-patches/6.12/series"); do cat "$repo/kernel-patches/6.12/$p"; done; } |
	sha256sum | cut -c1-16)
dir=$cache/dkms-$abi-$key
if [ ! -f "$dir/ok" ]; then
	mkdir -p "$cache"
	exec 9>"$cache/dkms-modules.lock"
	flock 9
	if [ ! -f "$dir/ok" ]; then
		rm -rf "$dir"
		"$repo/dkms/gen-source.sh" /usr/src/linux-source-6.12.tar.xz "$dir" >&2
		# what DKMS runs (MAKE[0] in dkms.conf)
		if ! make -C "$dir" KVER="$abi" KDIR="$kdir" -j"$(nproc)" > "$dir/build.log" 2>&1; then
			tail -30 "$dir/build.log" >&2
			exit 1
		fi
		if grep -E '(warning|error):' "$dir/build.log" >&2; then
			echo "dkms-modules: the build is not warning-free" >&2
			exit 1
		fi
		touch "$dir/ok"
	fi
fi
echo "$dir/vfio"
