#!/bin/bash
# Check a kernel series the way a maintainer would:
#  - scripts/checkpatch.pl --strict on every patch: no error, and no warning
#    but the justified ones listed below;
#  - bisectability: apply patches 1..k on a pristine tree and build, for
#    every k, with no compiler warning or error in drivers/vfio;
#  - 7.3: drivers/vfio/ also builds warning-free for i386 (32-bit offsets)
#    and for arm64 after every patch (Debian's gcc-aarch64-linux-gnu; the
#    memory type comes from the VMA there, not from PAT);
#  - scripts/kernel-doc -Wall reports no warning in the files the series
#    touches that it did not report before the series;
#  - 6.12: the bisect builds are builds of drivers/vfio as modules against
#    the headers of Debian's own 6.12 kernel, the way the DKMS package
#    builds them (tests/vm/debian-kernel.sh installs the headers).
#
#   tests/kernel/check-series.sh [7.3|6.12]     (default 7.3)
# A successful run is remembered in the cache (keyed by the source version,
# the config fragment and the patches), so a second run is instant.
# Prints one "PASS/FAIL name" line per check and "N passed, N failed".
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
kseries=${1:-7.3}
build=1
case $kseries in
7.3) patches="$repo/kernel-patches" ;;
6.12) patches="$repo/kernel-patches/6.12" ;;
*) echo "check-series.sh: unknown series $kseries" >&2; exit 2 ;;
esac
fragment="${VFIOMAP_KCONFIG_FRAGMENT:-$repo/tests/vm/config/base.config}"
cache="${VFIOMAP_CACHE:-/var/cache/libvfiomap}"
jobs=$(nproc)

# Justified checkpatch warnings ("series:patch-file-prefix:warning text"):
# new files under drivers/vfio/ and tools/testing/selftests/vfio/, covered
# by MAINTAINERS "VFIO DRIVER" (F: drivers/vfio/, F: tools/testing/selftests/vfio/).
allowed_warnings=(
	'6.12:0002-:added, moved or deleted file(s), does MAINTAINERS need updating?'
	'6.12:0003-:added, moved or deleted file(s), does MAINTAINERS need updating?'
	# checkpatch looks commit ids up with git; the tree here is Debian's
	# tarball, without history (89e1f7d4c66d is "vfio: Add PCI device driver")
	"6.12:0001-:Unknown commit id '89e1f7d4c66d', maybe rebased or not pulled?"
	'7.3:0002-:added, moved or deleted file(s), does MAINTAINERS need updating?'
	'7.3:0003-:added, moved or deleted file(s), does MAINTAINERS need updating?'
	'7.3:0009-:added, moved or deleted file(s), does MAINTAINERS need updating?'
	# the fix sent on its own (fixes/): 557dbdf6c4e9 is "vfio: selftests:
	# Align BAR mmaps for efficient IOMMU mapping", not in the tarball's
	# (absent) history
	"7.3:fixes:Unknown commit id '557dbdf6c4e9', maybe rebased or not pulled?"
	# FIXTURE_VARIANT_ADD_IOMMU_MODE() is the selftests' own idiom for
	# FIXTURE_VARIANT_ADD_ALL_IOMMU_MODES() (vfio_dma_mapping_test.c and
	# vfio_dma_mapping_mmio_test.c define it the same way): a file-scope
	# declaration that cannot be parenthesized
	'7.3:0009-:Macros with complex values should be enclosed in parentheses'
)

passed=0 failed=0
result() { # result PASS|FAIL name
	echo "$1 $2"
	if [ "$1" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

read -r version tarball < <("$repo/tests/vm/kernel-source.sh" "$kseries") || exit 2
[ -f "$tarball" ] || exit 2
mapfile -t series < <(grep -v '^\s*#' "$patches/series" | grep -v '^\s*$')
[ ${#series[@]} -gt 0 ] || { echo "empty series $patches/series" >&2; exit 2; }
fragments=("$fragment")
[ -f "$repo/tests/vm/config/base-$kseries.config" ] && fragments+=("$repo/tests/vm/config/base-$kseries.config")

kdir=
if [ "$kseries" = 6.12 ]; then
	read -r kabi kdir < <("$repo/tests/vm/debian-kernel.sh" headers) || exit 2
fi
key=$( { echo "$version"; [ "$build" -eq 1 ] || echo "build=0"; cat "${fragments[@]}";
	 cat "$0" "$repo/tests/vm/config/arm64.config" "$repo/tests/vm/config/i386.config";
	 [ -z "$kdir" ] || { echo "$kabi"; cat "$repo/dkms/Makefile.in"; };
	 for p in "${series[@]}"; do cat "$patches/$p"; done; } | sha256sum | cut -c1-16)
work="$cache/series-check-$kseries-$key"
mkdir -p "$cache"
exec 9>"$cache/series-check.lock"
flock 9

if [ -f "$work/ok" ]; then
	echo "series already checked (cache $work):" >&2
	cat "$work/ok"
	passed=$(grep -c '^PASS' "$work/ok")
	echo "$passed passed, 0 failed"
	exit 0
fi

rm -rf "$work"
mkdir -p "$work"
echo "extracting $tarball ..." >&2
tar -C "$work" -xf "$tarball"
src="$work/linux-source-$kseries"
out="$work/build"
log="$work/log"
: > "$log"

for p in "${series[@]}"; do
	# the system python3 (python3-ply for the SPDX check), not a local one
	warn=$(cd "$src" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict --quiet --no-summary \
		"$patches/$p" 2>/dev/null | grep -E '^(ERROR|WARNING|CHECK):' |
		sed 's/^[A-Z]*: //')
	bad=""
	while IFS= read -r w; do
		[ -z "$w" ] && continue
		ok=0
		for a in "${allowed_warnings[@]}"; do
			[ "$a" = "$kseries:${p:0:5}:$w" ] && ok=1
		done
		[ $ok -eq 1 ] || bad="$bad$w; "
	done <<<"$warn"
	if [ -z "$bad" ]; then
		result PASS "series/$kseries/checkpatch/$p"
	else
		echo "  checkpatch: $bad" >&2
		result FAIL "series/$kseries/checkpatch/$p"
	fi
done

if [ -z "$kdir" ]; then
	(cd "$src" && make O="$out" tinyconfig >/dev/null &&
		./scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "${fragments[@]}" >/dev/null &&
		make O="$out" olddefconfig >/dev/null) || { result FAIL "series/$kseries/config"; }
fi

# 6.12: drivers/vfio and the headers the series touches, as modules against
# Debian's headers, with the DKMS package's Makefile
build_modules() { # build_modules LOG
	local m="$work/modules"
	rm -rf "$m"
	mkdir -p "$m/include/linux" "$m/include/uapi/linux"
	cp -a "$src/drivers/vfio" "$m/vfio"
	cp "$src/include/linux/vfio.h" "$src/include/linux/vfio_pci_core.h" "$m/include/linux/"
	cp "$src/include/uapi/linux/vfio.h" "$m/include/uapi/linux/"
	sed -e "s/@KVER@/${kabi%%[+-]*}/g" -e "s/@VERSION@/check/g" \
		"$repo/dkms/Makefile.in" > "$m/Makefile"
	make -C "$m" KVER="$kabi" KDIR="$kdir" -j"$jobs" > "$1" 2>&1
}

# kernel-doc: the warnings of every C file and header the series touches,
# without line numbers (the series moves lines), before and after it
mapfile -t kdoc_files < <(for p in "${series[@]}"; do
	sed -n 's|^+++ b/||p' "$patches/$p"; done |
	grep -E '\.[ch]$' | grep -v '^tools/' | sort -u)
kdoc() { # kdoc OUT: the warnings of the files present now
	local f
	for f in "${kdoc_files[@]}"; do
		[ -f "$src/$f" ] || continue
		(cd "$src" && ./scripts/kernel-doc -Wall -none "$f" 2>&1)
	done | sed -E 's/(\.[ch]):[0-9]+/\1/' | sort > "$1"
}
kdoc "$work/kernel-doc.before"

# A tinyconfig of another architecture plus its fragment, with VFIO_PCI
# built in: cross_config FRAGMENT MAKE-ARGS... (run in $src)
cross_config() {
	local frag=$1 out
	shift
	out=${*: -1}
	out=${out#O=}
	"$@" tinyconfig >/dev/null &&
		./scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$frag" >/dev/null &&
		"$@" olddefconfig >/dev/null &&
		grep -qx CONFIG_VFIO_PCI=y "$out/.config"
}

# arm64: configured on the pristine tree, drivers/vfio/ rebuilt after each
# patch (incrementally) in the bisect loop below
arm64=0
outarm="$work/build-arm64"
arm_make=(make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- O="$outarm")
if [ "$kseries" = 7.3 ] && [ "$build" -eq 1 ]; then
	arm64=1
	if ! command -v aarch64-linux-gnu-gcc >/dev/null ||
	   ! (cd "$src" && cross_config "$repo/tests/vm/config/arm64.config" \
		"${arm_make[@]}") >"$work/build-arm64.log" 2>&1; then
		echo "  arm64: no cross compiler or no config (see $work/build-arm64.log)" >&2
		result FAIL "series/$kseries/arm64-config"
		arm64=0
	fi
fi

# i386 (32-bit: offsets are u64 while vm_pgoff and pointers are 32-bit;
# cookies are 64-bit only): configured on the pristine tree as well, and
# drivers/vfio/ rebuilt after each patch
i386=0
out32="$work/build-i386"
i386_make=(make ARCH=i386 O="$out32")
if [ "$kseries" = 7.3 ] && [ "$build" -eq 1 ]; then
	i386=1
	if ! (cd "$src" && cross_config "$repo/tests/vm/config/i386.config" \
		"${i386_make[@]}") >"$work/build-i386.log" 2>&1; then
		echo "  i386: no config (see $work/build-i386.log)" >&2
		result FAIL "series/$kseries/i386-config"
		i386=0
	fi
fi

# drivers/vfio/ of the tree with patches 1..k, for another architecture:
# vfio_build NAME MAKE...
vfio_build() {
	local name=$1 blog="$work/build-$1-$k.log"
	shift
	if (cd "$src" && "$@" -j"$jobs" drivers/vfio/) >"$blog" 2>&1 &&
	   ! grep -E 'drivers/vfio/.*(warning|error):' "$blog" >&2; then
		result PASS "series/$kseries/$name-build-drivers-vfio/1..$k"
	else
		tail -20 "$blog" >&2
		result FAIL "series/$kseries/$name-build-drivers-vfio/1..$k"
	fi
}

k=0
for p in "${series[@]}"; do
	k=$((k + 1))
	if ! (cd "$src" && patch -p1 -s --no-backup-if-mismatch < "$patches/$p") >>"$log" 2>&1; then
		result FAIL "series/$kseries/apply/$p"
		break
	fi
	if [ "$build" -eq 0 ]; then
		result PASS "series/$kseries/apply/1..$k"
		continue
	fi
	echo "building with patches 1..$k ..." >&2
	blog="$work/build-$k.log"
	if [ -n "$kdir" ]; then
		build_modules "$blog" && ! grep -E '(warning|error):' "$blog" >&2
	else
		(cd "$src" && make O="$out" -j"$jobs" bzImage) >"$blog" 2>&1 &&
			! grep -E 'drivers/vfio/.*(warning|error):' "$blog" >&2
	fi
	if [ $? -eq 0 ]; then
		result PASS "series/$kseries/bisect-build/1..$k"
	else
		tail -20 "$blog" >&2
		result FAIL "series/$kseries/bisect-build/1..$k"
	fi
	[ $arm64 -eq 0 ] || vfio_build arm64 "${arm_make[@]}"
	[ $i386 -eq 0 ] || vfio_build i386 "${i386_make[@]}"
done
rm -rf "$outarm" "$out32"

kdoc "$work/kernel-doc.after"
new_kdoc=$(comm -13 "$work/kernel-doc.before" "$work/kernel-doc.after")
if [ ${#kdoc_files[@]} -gt 0 ] && [ -z "$new_kdoc" ]; then
	result PASS "series/$kseries/kernel-doc"
else
	echo "  kernel-doc -Wall, new warnings: ${new_kdoc:-(no file checked)}" >&2
	result FAIL "series/$kseries/kernel-doc"
fi

echo "$passed passed, $failed failed"
if [ "$failed" -eq 0 ]; then
	# Keep only the verdict: the tree and objects are big.
	{ for p in "${series[@]}"; do echo "PASS series/$kseries/checkpatch/$p"; done
	  for i in $(seq 1 "$k"); do
		if [ "$build" -eq 1 ]; then echo "PASS series/$kseries/bisect-build/1..$i"
		else echo "PASS series/$kseries/apply/1..$i"; fi
		[ $arm64 -eq 0 ] || echo "PASS series/$kseries/arm64-build-drivers-vfio/1..$i"
		[ $i386 -eq 0 ] || echo "PASS series/$kseries/i386-build-drivers-vfio/1..$i"
	  done
	  echo "PASS series/$kseries/kernel-doc"; } > "$work/ok.tmp"
	rm -rf "$src" "$out" "$work/modules"
	mv "$work/ok.tmp" "$work/ok"
	exit 0
fi
exit 1
