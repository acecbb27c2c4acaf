#!/bin/bash
# Run the benchmark in the VM on the patched kernel, with a 2 GiB ivshmem
# BAR (host file on /dev/shm), and print its Markdown table; the JSON goes
# to bench/results/latest.json (or $BENCH_JSON).
#
#   bench/run-bench.sh [--short] [BUILDDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
mode=full
[ "${1:-}" = --short ] && { mode=short; shift; }
build=${1:-$repo/build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
kernel=$("$repo/tests/vm/kernel.sh" patched | tail -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$repo/tests/vm/mkinitramfs.sh" "$work/initrd.gz" "$build/bench/vfiomap-bench"
size=2G
[ $mode = short ] && size=1G
set +e
"$repo/tests/vm/run-vm.sh" --kernel "$kernel" --initrd "$work/initrd.gz" --machine noiommu \
	--name bench --run vfiomap-bench --ivshmem-size $size --mem 1G --timeout 1500 \
	--append "vmtest.bench=$mode" --log "$work/console.log" > "$work/verdict" 2>&1
rc=$?
set -e
echo "benchmark ($mode, patched kernel, QEMU TCG, ivshmem BAR2 $size): $(date -u +%F)"
grep '^|' "$work/console.log" || true
json=${BENCH_JSON:-$here/results/latest.json}
mkdir -p "$(dirname "$json")"
sed -n '/@@BENCH-JSON-BEGIN/,/@@BENCH-JSON-END/p' "$work/console.log" | sed '1d;$d' > "$json.tmp"
if [ $rc -ne 0 ] || [ ! -s "$json.tmp" ]; then
	cat "$work/verdict"
	rm -f "$json.tmp"
	echo "benchmark did not complete"
	exit 1
fi
mv "$json.tmp" "$json"
echo "JSON: $json"
