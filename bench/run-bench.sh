#!/bin/bash
# Run the benchmark in the VM on the patched kernel, with a 2 GiB ivshmem
# BAR (host file on /dev/shm), and print its Markdown table; the JSON goes
# to bench/results/latest.json (or $BENCH_JSON).
#
#   bench/run-bench.sh [--icount] [--short] [BUILDDIR]
set -euo pipefail
# --icount: guest time is counted in instructions (-icount shift=0: 1
# virtual ns per guest instruction, no sleeping), so figures do not depend
# on the host's load or on TCG's translation caches, and a ratio between
# two kernels compares the code they run (rows 7 and 8, held there to the
# series' targets: 1.1x and 1.02x).  Without it, host time under TCG (rows
# 7 and 8 within 1.5x and 1.1x: noise).
icount=0
if [ "${1:-}" = --icount ]; then
	export VMTEST_QEMU_EXTRA="-icount shift=0,sleep=off"
	icount=1
	shift
fi
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
	--append "vmtest.bench=$mode vmtest.icount=$icount" --log "$work/console.log" > "$work/verdict" 2>&1
rc=$?
set -e
# The stock kernel's read()/write() figures, for row 8 (same size, same
# machine, the same program in its vmtest.benchrw=1 mode).
stock=$("$repo/tests/vm/kernel.sh" stock | tail -1)
set +e
"$repo/tests/vm/run-vm.sh" --kernel "$stock" --initrd "$work/initrd.gz" --machine noiommu \
	--name bench-stock --kernel-variant stock --run vfiomap-bench --ivshmem-size $size \
	--mem 1G --timeout 600 --append "vmtest.bench=$mode vmtest.benchrw=1" \
	--log "$work/stock.log" > "$work/verdict-stock" 2>&1
rc_stock=$?
set -e
echo "benchmark ($mode, patched kernel, QEMU TCG ${VMTEST_QEMU_EXTRA:-host time}, ivshmem BAR2 $size): $(date -u +%F)"
grep '^|' "$work/console.log" || true
sed -n '/@@BENCH-JSON-BEGIN/,/@@BENCH-JSON-END/p' "$work/stock.log" | sed '1d;$d' > "$work/stock.json"
row8=$(python3 - "$work/console.log" "$work/stock.json" "$icount" <<'PY'
import json, re, sys
log = open(sys.argv[1]).read()
# counted in instructions: the series' target; host time under TCG: 1.1x
limit = 1.02 if sys.argv[3] == "1" else 1.1
m = re.search(r"@@BENCH-JSON-BEGIN\n(.*?)\n@@BENCH-JSON-END", log, re.S)
try:
    rw = json.loads(m.group(1))["rw"]
    # patched without a cookie was measured twice (before and after a WC
    # cookie's life): the better of the two, as for every other best-of
    patched = [min(a, b) for a, b in zip(rw["none_ns"], rw["after_ns"])]
    stock = json.loads(open(sys.argv[2]).read())["rw_ns"]
except Exception as e:
    print("| 8. read/write at the BAR, patched (no cookie) vs stock | no result (%s) | <= %gx | |" % (e, limit))
    sys.exit(0)
ratios = [p / s for p, s in zip(patched, stock)]
worst = max(ratios)
print("| 8. read/write at the BAR, patched (no cookie) vs stock | pread/pwrite 4 B %.0f/%.0f vs %.0f/%.0f ns, "
      "64 B %.0f/%.0f vs %.0f/%.0f ns (worst %.3fx) | <= %gx | %s |"
      % (patched[0], patched[1], stock[0], stock[1], patched[2], patched[3], stock[2], stock[3],
         worst, limit, "met" if worst <= limit else "**missed**"))
PY
)
echo "$row8"
[ $rc_stock -eq 0 ] || { cat "$work/verdict-stock"; echo "stock benchmark VM failed"; exit 1; }
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
