#!/bin/sh
# Guest init of the VM suite: mount, bind the test devices to vfio-pci, run
# the tests, report on the console, power off.
PATH=/bin:/sbin:/tests/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug

arg() { # value of a vmtest.X= kernel parameter
	for w in $(cat /proc/cmdline); do
		case $w in "vmtest.$1="*) echo "${w#*=}"; return;; esac
	done
}
VMTEST_MACHINE=$(arg machine)
VMTEST_KERNEL=$(arg kernel)
# 0 on a kernel without IOMMUFD (Debian's 6.12): type1 groups only
VMTEST_IOMMUFD=$(arg iommufd)
# 1 on a kernel with CONFIG_IO_STRICT_DEVMEM (Debian's)
VMTEST_STRICT_DEVMEM=$(arg strict_devmem)
export VMTEST_MACHINE VMTEST_KERNEL VMTEST_IOMMUFD VMTEST_STRICT_DEVMEM

# A distribution kernel (Debian's) has vfio as modules: load them the way
# a system does, through modules.dep (DKMS modules under updates/ first).
if [ -d "/lib/modules/$(uname -r)" ]; then
	for m in vfio-pci vfio_iommu_type1 vfiomap_ptdump; do
		modprobe "$m" || echo "@@INFO modprobe $m failed"
	done
	# the test-only variant driver, built with the DKMS modules only
	if [ -e "/lib/modules/$(uname -r)/extra/vfiomap_test_variant.ko" ]; then
		modprobe vfiomap_test_variant || echo "@@INFO modprobe vfiomap_test_variant failed"
	fi
	echo "@@INFO modules: $(for m in vfio vfio_iommu_type1 vfio_pci_core vfio_pci; do
		[ -d /sys/module/$m ] && printf '%s(%s) ' $m "$(cat /sys/module/$m/taint 2>/dev/null)"; done)"
	[ -e /sys/module/vfio/parameters/max_mmap_cookies ] &&
		echo "@@INFO vfio has mmap cookies (max_mmap_cookies=$(cat /sys/module/vfio/parameters/max_mmap_cookies))"
fi
# Check's per-test timeouts assume native speed; TCG is slower, and the
# debug kernel (KASAN, lockdep) several times slower again.
CK_DEFAULT_TIMEOUT=120
CK_TIMEOUT_MULTIPLIER=1
[ "$VMTEST_KERNEL" = debug ] && CK_TIMEOUT_MULTIPLIER=10
export CK_DEFAULT_TIMEOUT CK_TIMEOUT_MULTIPLIER

for d in /sys/bus/pci/devices/*; do
	id="$(cat "$d/vendor"):$(cat "$d/device")"
	case $id in
	0x1af4:0x1110|0x1234:0x11e8)
		echo vfio-pci > "$d/driver_override"
		echo "${d##*/}" > /sys/bus/pci/drivers_probe ;;
	esac
done
echo "@@INFO machine=$VMTEST_MACHINE kernel=$VMTEST_KERNEL vfio: $(ls /dev/vfio /dev/vfio/devices 2>/dev/null | tr '\n' ' ')"

# Debug kernel: forget what boot itself left behind, so only leaks made
# while the tests run are reported at the end.
KML=/sys/kernel/debug/kmemleak
if [ -w $KML ]; then
	echo scan > $KML
	echo clear > $KML
fi

run=$(arg run | tr ',' ' ')
[ -n "$run" ] || run=$(ls /tests/bin)
for t in $run; do
	echo "@@BEGIN $t"
	CK_TAP_LOG_FILE_NAME=/tmp/$t.tap CK_FORK=yes "/tests/bin/$t" > /tmp/$t.out 2>&1
	rc=$?
	cat /tmp/$t.out
	[ -f /tmp/$t.tap ] && cat /tmp/$t.tap
	echo "@@END $t rc=$rc"
done
if [ -w $KML ]; then
	# two scans: objects freed late are not reported
	echo scan > $KML
	sleep 1
	echo scan > $KML
	leaks=$(cat $KML)
	if [ -n "$leaks" ]; then
		echo "kmemleak: new suspected memory leaks after the tests:"
		echo "$leaks" | head -60
	else
		echo "@@INFO kmemleak: no leaks"
	fi
fi
echo "@@DMESG-BEGIN"
dmesg
echo "@@DMESG-END"
echo "@@DONE"
sync
reboot -f
