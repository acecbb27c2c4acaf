#!/bin/bash
# Check the kernel series the way a maintainer would:
#  - scripts/checkpatch.pl --strict on every patch: no error, and no warning
#    but the justified ones listed below;
#  - bisectability: apply patches 1..k on a pristine tree and build, for
#    every k, with no compiler warning or error in drivers/vfio.
# A successful run is remembered in the cache (keyed by the source version,
# the config fragment and the patches), so a second run is instant.
# Prints one "PASS/FAIL name" line per check and "N passed, N failed".
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
patches="$repo/kernel-patches"
fragment="${VFIOMAP_KCONFIG_FRAGMENT:-$repo/tests/vm/config/base.config}"
cache="${VFIOMAP_CACHE:-/var/cache/libvfiomap}"
tarball=/usr/src/linux-source-6.12.tar.xz
jobs=$(nproc)

# Justified checkpatch warnings ("patch-file-prefix:warning text").
allowed_warning='0002-:added, moved or deleted file(s), does MAINTAINERS need updating?'

passed=0 failed=0
result() { # result PASS|FAIL name
	echo "$1 $2"
	if [ "$1" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

[ -f "$tarball" ] || { echo "missing $tarball (apt-get install linux-source-6.12)" >&2; exit 2; }
mapfile -t series < <(grep -v '^\s*#' "$patches/series" | grep -v '^\s*$')

key=$( { dpkg-query -W -f='${Version}' linux-source-6.12; cat "$fragment";
	 for p in "${series[@]}"; do cat "$patches/$p"; done; } | sha256sum | cut -c1-16)
work="$cache/series-check-$key"
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
src="$work/linux-source-6.12"
out="$work/build"
log="$work/log"
: > "$log"

for p in "${series[@]}"; do
	warn=$(cd "$src" && ./scripts/checkpatch.pl --strict --quiet --no-summary \
		"$patches/$p" 2>/dev/null | grep -E '^(ERROR|WARNING|CHECK):' |
		sed 's/^[A-Z]*: //')
	bad=""
	while IFS= read -r w; do
		[ -z "$w" ] && continue
		case "$allowed_warning" in
		"${p:0:5}:$w") ;;
		*) bad="$bad$w; " ;;
		esac
	done <<<"$warn"
	if [ -z "$bad" ]; then
		result PASS "series/checkpatch/$p"
	else
		echo "  checkpatch: $bad" >&2
		result FAIL "series/checkpatch/$p"
	fi
done

(cd "$src" && make O="$out" tinyconfig >/dev/null &&
	./scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$fragment" >/dev/null &&
	make O="$out" olddefconfig >/dev/null) || { result FAIL series/config; }

k=0
for p in "${series[@]}"; do
	k=$((k + 1))
	if ! (cd "$src" && patch -p1 -s --no-backup-if-mismatch < "$patches/$p") >>"$log" 2>&1; then
		result FAIL "series/apply/$p"
		break
	fi
	echo "building with patches 1..$k ..." >&2
	blog="$work/build-$k.log"
	if (cd "$src" && make O="$out" -j"$jobs" bzImage) >"$blog" 2>&1 &&
	   ! grep -E 'drivers/vfio/.*(warning|error):' "$blog" >&2; then
		result PASS "series/bisect-build/1..$k"
	else
		tail -20 "$blog" >&2
		result FAIL "series/bisect-build/1..$k"
	fi
done

echo "$passed passed, $failed failed"
if [ "$failed" -eq 0 ]; then
	# Keep only the verdict: the tree and objects are big.
	{ for p in "${series[@]}"; do echo "PASS series/checkpatch/$p"; done
	  for i in $(seq 1 "$k"); do echo "PASS series/bisect-build/1..$i"; done; } > "$work/ok.tmp"
	# The last build is exactly the VM suite's patched kernel (same tree,
	# same fragment): hand it over so the suite does not build it again.
	kdir=$("$repo/tests/vm/kernel.sh" --print-dir patched)
	if [ -z "${VFIOMAP_KCONFIG_FRAGMENT:-}" ] && [ ! -f "$kdir/bzImage" ]; then
		mkdir -p "$kdir"
		cp "$out/.config" "$kdir/config"
		cp "$out/arch/x86/boot/bzImage" "$kdir/bzImage.tmp"
		mv "$kdir/bzImage.tmp" "$kdir/bzImage"
		echo "patched kernel handed to the VM suite: $kdir" >&2
	fi
	rm -rf "$src" "$out"
	mv "$work/ok.tmp" "$work/ok"
	exit 0
fi
exit 1
