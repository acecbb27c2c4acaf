#!/bin/sh
# Runs the examples (and the CLI when present) inside the VM and checks
# their output; prints TAP.  VMTEST_KERNEL tells which kernel this is.
. /tests/lib/tap.sh	# t, has, $n, $fails

B=/tests/bin
region-dump > /tmp/rd.out 2>&1; rd=$?
cat /tmp/rd.out
t "region-dump exits 0" [ $rd -eq 0 ]
t "region-dump names the ivshmem device (libpci)" has "Inter-VM shared memory" /tmp/rd.out
t "region-dump shows BAR2 at its stable offset" has "BAR2    0x0000020000000000" /tmp/rd.out
t "region-dump shows the edu device" has "1234:11e8\|edu" /tmp/rd.out

$B/wc-bar-map > /tmp/wc.out 2>&1; wc=$?
cat /tmp/wc.out
if [ "$VMTEST_KERNEL" = stock ]; then
	t "region-dump: stock kernel has no cookies" has "mmap cookies not supported" /tmp/rd.out
	t "wc-bar-map fails on a stock kernel" [ $wc -ne 0 ]
	t "wc-bar-map says why" has "no mmap-cookie uAPI" /tmp/wc.out
else
	t "region-dump: BAR2 takes WC cookies" has "cookies(attrs:WC)" /tmp/rd.out
	t "wc-bar-map exits 0" [ $wc -eq 0 ]
	t "wc-bar-map maps a cookie" has "WC cookie 0x" /tmp/wc.out
	t "wc-bar-map shows a write-combining PAT entry" has "write-combining" /tmp/wc.out
	t "wc-bar-map rang the doorbell" has "doorbell = 47" /tmp/wc.out
	# the host finds the message at BAR2 + 0x10000 in the ivshmem file
	hex=$(printf 'hello from a write-combined libvfiomap cookie!' | od -An -tx1 | tr -d ' \n')
	echo "@@HOSTCHECK wc-bar-map-message 65536 ${hex}00"
fi
# ---- edu-dma: one IOMMU context the example owns, edu DMA + WC doorbell ----
if grep -q "vmtest.machine=iommu" /proc/cmdline; then
	modes="group cdev"
	# a kernel without IOMMUFD (Debian's 6.12) has type1 groups only
	[ "${VMTEST_IOMMUFD:-1}" = 0 ] && modes=group
	for mode in $modes; do
		$B/edu-dma --mode $mode > /tmp/edu-$mode.out 2>&1; rc=$?
		cat /tmp/edu-$mode.out
		t "edu-dma ($mode) exits 0" [ $rc -eq 0 ]
		t "edu-dma ($mode): both devices in the example's context" \
			has "^context: " /tmp/edu-$mode.out
		t "edu-dma ($mode): edu DMA through the context, bytes checked" \
			has "bytes match" /tmp/edu-$mode.out
		if [ "$VMTEST_KERNEL" = stock ]; then
			t "edu-dma ($mode): no WC doorbell on a stock kernel, says why" \
				has "doorbell: skipped: .*no mmap-cookie uAPI" /tmp/edu-$mode.out
		else
			t "edu-dma ($mode): WC doorbell rung" \
				has "doorbell rung: 0x0d00b311 at BAR2+0x7040 (WC cookie 0x" /tmp/edu-$mode.out
		fi
	done
	# the host finds the doorbell value at BAR2 + 0x7040 in the ivshmem file
	[ "$VMTEST_KERNEL" = stock ] || echo "@@HOSTCHECK edu-dma-doorbell 28736 11b3000d"
fi
# ---- the vfiomap CLI ----
V=/tests/bin/vfiomap
IV=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = 0x1af4:0x1110 ] && IV=${d##*/}
done
$V list > /tmp/l.out 2>&1; cat /tmp/l.out
t "vfiomap list shows ivshmem bound to vfio-pci with its name" \
	grep -q "^$IV *vfio-pci .*Inter-VM shared memory" /tmp/l.out
$V list --json > /tmp/lj.out 2>&1; cat /tmp/lj.out
t "vfiomap list --json" sh -c "grep -q '^\[{' /tmp/lj.out && grep -q '{\"address\":\"$IV\",\"driver\":\"vfio-pci\"' /tmp/lj.out"
$V info $IV > /tmp/i.out 2>&1; cat /tmp/i.out
t "vfiomap info lists BAR2 at its offset" has "BAR2    0x0000020000000000 0x4000000" /tmp/i.out
$V info $IV --json > /tmp/ij.out 2>&1; cat /tmp/ij.out
t "vfiomap info --json has BAR2" has '{"index":2,"offset":2199023255552,"size":67108864' /tmp/ij.out
$V map $IV 2 --offset 0 --size 0x1000 > /tmp/m.out 2>&1; cat /tmp/m.out
t "vfiomap map (no --wc) uses the region offset" has "cookie: 0x0 (region offset)" /tmp/m.out
t "vfiomap map (no --wc) is uncached" has "memtype: uncached-minus" /tmp/m.out
$V map $IV 2 --wc --offset 0x100000 --size 0x10000 > /tmp/w.out 2>&1; w=$?; cat /tmp/w.out
$V info 0000:00:00.0 > /tmp/n.out 2>&1; nrc=$?; cat /tmp/n.out
t "vfiomap info on a device not bound to vfio-pci says how to bind it" \
	sh -c "[ $nrc -ne 0 ] && grep -q 'driver_override' /tmp/n.out"
$V bogus > /dev/null 2>&1; t "vfiomap rejects an unknown command" [ $? -eq 2 ]
if [ "$VMTEST_KERNEL" = stock ]; then
	t "vfiomap map --wc fails on a stock kernel" [ $w -ne 0 ]
	t "vfiomap map --wc explains the stock kernel" has "no mmap-cookie uAPI" /tmp/w.out
	t "vfiomap map --wc says what to install" has "install the vfiomap-dkms package" /tmp/w.out
	t "vfiomap info: cookies not supported" has "mmap cookies: not supported" /tmp/i.out
	t "vfiomap info --json: no WC" has '"cookies":false' /tmp/ij.out
else
	t "vfiomap map --wc exits 0" [ $w -eq 0 ]
	t "vfiomap map --wc prints the cookie" has "cookie: 0x1000000000000" /tmp/w.out
	t "vfiomap map --wc memtype is write-combining" has "memtype: write-combining" /tmp/w.out
	t "vfiomap info: cookies supported" has "mmap cookies: supported" /tmp/i.out
	t "vfiomap info --json: BAR2 takes WC" has '"index":2,[^}]*"wc":true' /tmp/ij.out
fi
[ $fails -eq 0 ]
