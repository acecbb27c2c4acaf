#!/bin/bash
# Build (or reuse) a guest kernel for the VM suite and print its bzImage path.
#
#   tests/vm/kernel.sh [--series 7.3|6.12] stock|patched|debug|arm64
#   tests/vm/kernel.sh --print-dir [--series S] VARIANT   (where it is or would be cached)
#
# debug = patched + config/debug.config (KASAN, lockdep, kmemleak, ...).
# arm64 = patched 7.3 built for ARCH=arm64 (Debian's gcc-aarch64-linux-gnu)
# from config/arm64.config + arm64-vm.config, with the suite's ptdump
# helper built in; its image is arch/arm64/boot/Image (QEMU "virt").
# Source: Debian's linux-source-<series> tarball (tests/vm/kernel-source.sh;
# 7.3 through a private apt configuration), extracted once into the cache.
# patched = stock + the series applied with patch -p1: kernel-patches/series
# for 7.3 (the default), kernel-patches/6.12/series for the 6.12 backport.
# Cache: ${VFIOMAP_CACHE:-/var/cache/libvfiomap}/kernel-<series>-<variant>-<key>,
# key = sha256(package version, config fragments, variant, the code of the
# patches in order: their diffs, not their mail headers).
# Progress goes to stderr; the last stdout line is the bzImage path.
set -euo pipefail

print_dir=0
if [ "${1:-}" = --print-dir ]; then
	print_dir=1
	shift
fi
kseries=7.3
if [ "${1:-}" = --series ]; then
	kseries=$2
	shift 2
fi
variant=${1:?usage: kernel.sh [--print-dir] [--series 7.3|6.12] stock|patched|debug|arm64}
case $variant in stock|patched|debug|arm64) ;; *) echo "unknown variant $variant" >&2; exit 2;; esac
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
fragment=${VFIOMAP_KCONFIG_FRAGMENT:-$here/config/base.config}
fragments=("$fragment")
[ "$variant" = debug ] && fragments+=("$here/config/debug.config")
arch=x86
image=bzImage
make_arch=()
if [ "$variant" = arm64 ]; then
	arch=arm64
	image=Image
	make_arch=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
	fragments=("$here/config/arm64.config" "$here/config/arm64-vm.config")
fi
cache=${VFIOMAP_CACHE:-/var/cache/libvfiomap}
case $kseries in
7.3) pdir=$repo/kernel-patches ;;
6.12) pdir=$repo/kernel-patches/6.12 ;;
*) echo "unknown series $kseries" >&2; exit 2 ;;
esac
[ "$arch" = x86 ] && [ -f "$here/config/base-$kseries.config" ] &&
	fragments+=("$here/config/base-$kseries.config")
read -r version tarball < <("$here/kernel-source.sh" "$kseries") || exit 2
[ -f "$tarball" ] || exit 2

patches=()
if [ "$variant" != stock ]; then
	mapfile -t all < <(grep -v '^\s*#' "$pdir/series" | grep -v '^\s*$')
	# A patch that touches only tools/ (the selftest) does not change the
	# kernel: leave it out of the build and of the cache key.
	for p in "${all[@]}"; do
		grep -E '^diff --git a/' "$pdir/$p" | grep -qv '^diff --git a/tools/' &&
			patches+=("$p")
	done
fi
# The suite's test-only variant driver (variant/) is built into the patched
# 7.3 kernels: it uses the series' vfio-pci-core cookie helpers.
extra=()
[ "$variant" != stock ] && [ "$kseries" = 7.3 ] &&
	extra=("$here/variant/vfiomap_test_variant.c")
# arm64 has no PTDUMP_DEBUGFS of user page tables: the ptdump helper
[ "$variant" = arm64 ] && extra=("$here/ptdump/vfiomap_ptdump.c")
key=$( { echo "$version"; echo "$variant"; cat "${fragments[@]}" "${extra[@]}";
	 for p in "${patches[@]}"; do echo "=="; sed -n '/^diff --git /,$p' "$pdir/$p"; done; } |
	 sha256sum | cut -c1-16)
dir="$cache/kernel-$kseries-$variant-$key"
if [ $print_dir -eq 1 ]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$cache"

exec 9>"$cache/kernel-$kseries-$variant-$key.lock"
flock 9
if [ -f "$dir/$image" ]; then
	echo "$dir/$image"
	exit 0
fi

# Pristine source, extracted once per package version.
src="$cache/src-$version"
if [ ! -d "$src/linux-source-$kseries" ]; then
	exec 8>"$cache/src.lock"
	flock 8
	if [ ! -d "$src/linux-source-$kseries" ]; then
		echo "extracting $tarball ..." >&2
		rm -rf "$src.tmp"
		mkdir -p "$src.tmp"
		tar -C "$src.tmp" -xf "$tarball"
		mv "$src.tmp" "$src"
	fi
	flock -u 8
fi

rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
start=$SECONDS
# Hard-linked copy: patch(1) writes new files, so the pristine tree stays.
cp -al "$src/linux-source-$kseries" "$dir.tmp/src"
for p in "${patches[@]}"; do
	echo "applying $p" >&2
	(cd "$dir.tmp/src" && patch -p1 -s --no-backup-if-mismatch -r - < "$pdir/$p") >&2
done
for f in "${extra[@]}"; do
	# new files, not writes through the hard links into the pristine tree
	cp "$f" "$dir.tmp/src/drivers/vfio/pci/"
	mk="$dir.tmp/src/drivers/vfio/pci/Makefile"
	{ cat "$mk"; echo "obj-\$(CONFIG_VFIO_PCI_CORE) += $(basename "$f" .c).o"; } > "$mk.new"
	mv "$mk.new" "$mk"
done
out="$dir.tmp/out"
(cd "$dir.tmp/src" && make "${make_arch[@]}" O="$out" tinyconfig >/dev/null &&
	ARCH=$arch ./scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "${fragments[@]}" >/dev/null &&
	make "${make_arch[@]}" O="$out" olddefconfig >/dev/null)
missing=0
while read -r opt; do
	grep -qx "$opt" "$out/.config" || { echo "config option not set: $opt" >&2; missing=1; }
done < <(cat "${fragments[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=y')
[ $missing -eq 0 ] || { echo "kernel config fragment did not apply" >&2; exit 1; }

echo "building $kseries $variant kernel (key $key) ..." >&2
if ! (cd "$dir.tmp/src" && make "${make_arch[@]}" O="$out" -j"$(nproc)" "$image") > "$dir.tmp/build.log" 2>&1; then
	tail -30 "$dir.tmp/build.log" >&2
	echo "kernel build failed, log: $dir.tmp/build.log" >&2
	exit 1
fi
mkdir -p "$dir"
cp "$out/arch/$arch/boot/$image" "$dir/$image.tmp"
cp "$out/.config" "$dir/config"
echo "$((SECONDS - start))" > "$dir/build-seconds"
mv "$dir/$image.tmp" "$dir/$image"
rm -rf "$dir.tmp"
echo "built $kseries $variant kernel in $((SECONDS - start)) s" >&2
echo "$dir/$image"
