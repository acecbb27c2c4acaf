#!/bin/sh
# Guest side: run the kernel's VFIO mmap-cookie selftest
# (vfio_pci_mmap_cookie_test, from the series) on the ivshmem device, in
# every IOMMU mode of the selftests' library (its fixture variants), and
# turn its kselftest TAP into the suite's "ok N - name" lines.
#  - patched/debug kernel: every test must pass; a skip is a failure;
#  - stock kernel: every test must report the kselftest skip ("# SKIP")
#    and the program must not fail (the harness exits 0, or 4 = KSFT_SKIP).
# The selftests' library needs an IOMMU: on the no-IOMMU machine it is not
# run and reports nothing.
bin=/tests/bin/vfio_pci_mmap_cookie_test
if [ "$VMTEST_MACHINE" != iommu ]; then
	echo "vfio-selftests: the selftest library needs an IOMMU; not run on the $VMTEST_MACHINE machine"
	exit 0
fi
bdf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1110 ] && bdf=${d##*/}
done
[ -n "$bdf" ] || { echo "not ok 1 - vfio-selftests: no ivshmem device"; exit 0; }
# BAR2 is the host file: the test may write to its last 64K and nowhere else
VFIO_SELFTESTS_BDF=$bdf VFIO_SELFTESTS_MMAP_COOKIE_BAR=2 \
VFIO_SELFTESTS_MMAP_COOKIE_SCRATCH=0x3ff0000,0x10000 \
	$bin > /tmp/selftest.out 2>&1
rc=$?
cat /tmp/selftest.out | sed 's/^/selftest: /'
n=0
if [ "$VMTEST_KERNEL" = stock ]; then
	skips=$(grep -cE '^ok [0-9]+ .*# SKIP' /tmp/selftest.out)
	others=$(grep -E '^(not )?ok [0-9]+ ' /tmp/selftest.out | grep -vc '# SKIP')
	if { [ "$rc" -eq 0 ] || [ "$rc" -eq 4 ]; } && [ "$skips" -gt 0 ] && [ "$others" -eq 0 ]; then
		echo "ok 1 - vfio-selftests/skips-without-cookies ($skips skipped, exit $rc)"
	else
		echo "not ok 1 - vfio-selftests/skips-without-cookies (exit $rc, $skips skipped, $others other)"
	fi
	exit 0
fi
grep -E '^(not )?ok [0-9]+ ' /tmp/selftest.out | while read -r line; do
	n=$((n + 1))
	name=$(echo "$line" | sed -E 's/^(not )?ok [0-9]+ //; s/ *#.*//')
	case $line in
	"not ok"*) echo "not ok $n - vfio-selftests/$name" ;;
	*"# SKIP"*) echo "not ok $n - vfio-selftests/$name (skipped: the kernel should take cookies)" ;;
	*) echo "ok $n - vfio-selftests/$name" ;;
	esac
done
[ "$rc" -eq 0 ] || echo "not ok 999 - vfio-selftests/exit-status-$rc"
grep -qE '^ok [0-9]+ ' /tmp/selftest.out || echo "not ok 998 - vfio-selftests/no-results"
exit 0
