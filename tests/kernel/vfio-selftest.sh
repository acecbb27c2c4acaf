#!/bin/bash
# Build the kernel's own VFIO selftest for mmap cookies
# (tools/testing/selftests/vfio/vfio_pci_mmap_cookie_test, added by the 7.3
# series) against the series' uAPI headers, with the selftests' own
# library.  Cached by content under the kernel cache; prints the binary's
# path as the last stdout line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${VFIOMAP_CACHE:-/var/cache/libvfiomap}
pdir=$repo/kernel-patches
read -r version tarball < <("$repo/tests/vm/kernel-source.sh" 7.3) || exit 2
mapfile -t patches < <(grep -v '^\s*#' "$pdir/series" | grep -v '^\s*$')
key=$( { echo "$version"; for p in "${patches[@]}"; do echo "== $p"; cat "$pdir/$p"; done; } |
	sha256sum | cut -c1-16)
dir=$cache/selftest-7.3-$key
bin=$dir/vfio_pci_mmap_cookie_test
mkdir -p "$cache"
exec 9>"$dir.lock"
flock 9
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
src=$cache/src-$version
if [ ! -d "$src/linux-source-7.3" ]; then
	exec 8>"$cache/src.lock"
	flock 8
	if [ ! -d "$src/linux-source-7.3" ]; then
		rm -rf "$src.tmp"
		mkdir -p "$src.tmp"
		tar -C "$src.tmp" -xf "$tarball"
		mv "$src.tmp" "$src"
	fi
	flock -u 8
fi
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
cp -al "$src/linux-source-7.3" "$dir.tmp/src"
mkdir -p "$dir.tmp/out"
for p in "${patches[@]}"; do
	(cd "$dir.tmp/src" && patch -p1 -s --no-backup-if-mismatch -r - < "$pdir/$p") >&2
done
echo "building the VFIO mmap-cookie selftest ..." >&2
if ! (cd "$dir.tmp/src" && make -s O="$dir.tmp/hdr" headers &&
      make -s -C tools/testing/selftests/vfio KHDR_INCLUDES="-isystem $dir.tmp/hdr/usr/include" \
	   OUTPUT="$dir.tmp/out" "$dir.tmp/out/vfio_pci_mmap_cookie_test") > "$dir.tmp/build.log" 2>&1; then
	tail -20 "$dir.tmp/build.log" >&2
	exit 1
fi
mkdir -p "$dir"
cp "$dir.tmp/out/vfio_pci_mmap_cookie_test" "$bin.tmp"
mv "$bin.tmp" "$bin"
rm -rf "$dir.tmp"
echo "$bin"
