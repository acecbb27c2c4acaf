#!/bin/bash
# libvfiomap: run every test.  Installs what it needs on first use
# (Debian 12, root or sudo), builds the library, the kernels and the VM
# images, and prints one closing line "N passed, N failed" for the run.
#
#   ./run-tests.sh            everything
#   STAGES="unit vm" ./run-tests.sh   a subset (unit abi asan valgrind fuzz consumer packaging series dpdk vm bench)
set -u -o pipefail
cd "$(dirname "$0")"
root=$(pwd)
stages=${STAGES:-unit abi asan valgrind fuzz consumer packaging series dpdk vm bench}
logdir=${VFIOMAP_LOGDIR:-$root/build-logs}
mkdir -p "$logdir"

total_pass=0 total_fail=0
stage() { # stage NAME CMD... : run, echo output, add its closing counts
	local name=$1; shift
	local log="$logdir/$name.log" start=$SECONDS line p f rc
	echo "=== $name: $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -n "$line" ]; then
		p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
	else
		p=0; f=0
	fi
	# A stage that failed without counting it still fails the run.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
	echo "=== $name: $p passed, $f failed, exit $rc, $((SECONDS - start)) s"
}

./scripts/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

build="$root/build"
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C "$build" || { echo "0 passed, 1 failed"; exit 1; }

for s in $stages; do
	case $s in
	unit)
		stage unit ./scripts/meson-test-count.py "$build" ;;
	abi)
		stage abi ./tests/abi/run.sh "$build" ;;
	asan)
		stage asan ./scripts/asan-tests.sh "$root/build-asan" ;;
	valgrind)
		stage valgrind ./scripts/valgrind-tests.sh "$root/build-valgrind" ;;
	fuzz)
		stage fuzz ./tests/fuzz/run.sh ;;
	consumer)
		stage consumer ./tests/consumer/run.sh ;;
	packaging)
		stage packaging ./tests/packaging/run.sh ;;
	series)
		# the 7.3 series (hands its last build to the VM suite), then the
		# 6.12 backport
		stage series-7.3 ./tests/kernel/check-series.sh 7.3
		stage series-6.12 ./tests/kernel/check-series.sh 6.12 ;;
	dpdk)
		# DPDK 22.11 (Debian's) with consumers/dpdk's patch and the probe,
		# cached by content; the VM suites dpdk-* run them
		stage dpdk ./consumers/dpdk/build.sh "$build/dpdk" ;;
	vm)
		stage vm ./tests/vm/vm-suite.sh "$build" ;;
	bench)
		# short mode, so the benchmark cannot rot; host-time ratios are
		# reported, not asserted (TCG timing on a shared host is noise).
		# Rows 7, 8 and 9 (read/write cost with a WC cookie elsewhere,
		# patched vs stock, and 64 vs 1024 WC cookies created and
		# closed) are also run counting guest instructions (--icount),
		# which is deterministic: those three are asserted.
		stage bench bash -c "BENCH_JSON='$logdir/bench.json' ./bench/run-bench.sh --short '$build' &&
			echo '1 passed, 0 failed'"
		stage bench-icount bash -c "BENCH_JSON='$logdir/bench-icount.json' ./bench/run-bench.sh --icount --short '$build' > '$logdir/bench-icount.md' &&
			cat '$logdir/bench-icount.md' &&
			p=0 f=0 && for r in '| 7.' '| 8.' '| 9.'; do
				if grep -F \"\$r\" '$logdir/bench-icount.md' | grep -q '| met |'; then p=\$((p + 1)); else f=\$((f + 1)); fi
			done && echo \"\$p passed, \$f failed\" && [ \$f -eq 0 ]"
		# instructions of a cached region lookup (callgrind): < 50 asserted
		stage lookup-count ./bench/count-lookup.sh "$build" ;;
	*)
		echo "unknown stage $s"; total_fail=$((total_fail + 1)) ;;
	esac
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
