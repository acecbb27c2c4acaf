#!/bin/sh
# DPDK in the VM (suites dpdk-*): examples/dpdk-wc-probe, built against
# consumers/dpdk's DPDK, is probed by EAL through vfio-pci on ivshmem, as a
# primary process and then a secondary one attached to it; each writes a
# pattern through its BAR2 mapping, which the host finds in the ivshmem
# file after power-off.  VMTEST_KERNEL says what to expect: cookies
# (patched: write-combining) or none (stock: uncached, the reason logged
# once, nothing fails).  Prints TAP.
B=/tests/bin
. /tests/lib/tap.sh	# t, has, $n, $fails
count() { grep -c -- "$1" "$2"; }
field() { # field NAME FILE: the word after NAME on the probe line
	sed -n "s/^probe .* $1 \([^ ]*\).*/\1/p" "$2" | head -1
}

bdf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1af4:0x1110" ] && bdf=${d##*/}
done
mkdir -p /dev/hugepages /var/run
grep -q hugetlbfs /proc/mounts || mount -t hugetlbfs nodev /dev/hugepages
[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 32 ] || echo 48 > /proc/sys/vm/nr_hugepages
echo "ivshmem $bdf, $(cat /proc/sys/vm/nr_hugepages) huge pages"
eal="-l 0 -a $bdf --file-prefix wcprobe --log-level=lib.eal:info"
[ "$VMTEST_KERNEL" = stock ] && want=uc || want=wc

# 1. a driver without RTE_PCI_DRV_WC_ACTIVATE: nothing changes (uncached)
# every DPDK run is bounded: a secondary waits for ever for a primary
# that did not come up, for instance
timeout 120 $B/dpdk-wc-probe $eal -- --no-wc > /tmp/dpdk-nowc.out 2>&1; rc=$?
cat /tmp/dpdk-nowc.out
t "dpdk-wc-probe --no-wc exits 0" [ $rc -eq 0 ]
t "a driver without RTE_PCI_DRV_WC_ACTIVATE gets BAR2 uncached" \
	[ "$(field type /tmp/dpdk-nowc.out)" = uc ]
t "... and libvfiomap is not asked" [ "$(count 'write-combin' /tmp/dpdk-nowc.out)" -eq 0 ]

# 2. the primary maps BAR2, writes, and waits for a secondary process
rm -f /tmp/dpdk-secondary-done
timeout 240 $B/dpdk-wc-probe $eal -- --write 0x20000 0xa5 --hold /tmp/dpdk-secondary-done \
	> /tmp/dpdk-primary.out 2>&1 &
primary=$!
i=0
while ! grep -q '^probe ' /tmp/dpdk-primary.out 2>/dev/null && [ $i -lt 600 ] &&
      kill -0 $primary 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
timeout 120 $B/dpdk-wc-probe -l 0 --proc-type secondary --file-prefix wcprobe -a "$bdf" \
	--log-level=lib.eal:info -- --write 0x21000 0x5a > /tmp/dpdk-secondary.out 2>&1
src=$?
touch /tmp/dpdk-secondary-done
wait $primary
prc=$?
cat /tmp/dpdk-primary.out /tmp/dpdk-secondary.out
t "primary exits 0" [ $prc -eq 0 ]
t "secondary exits 0" [ $src -eq 0 ]
t "primary: BAR2 is $want (PTE $(field pte /tmp/dpdk-primary.out), PAT $(field pat /tmp/dpdk-primary.out))" \
	[ "$(field type /tmp/dpdk-primary.out)" = $want ]
t "secondary: BAR2 is $want (PTE $(field pte /tmp/dpdk-secondary.out))" \
	[ "$(field type /tmp/dpdk-secondary.out)" = $want ]
pva=$(field va /tmp/dpdk-primary.out)
t "secondary maps BAR2 at the primary's address ($pva)" \
	[ -n "$pva" -a "$pva" = "$(field va /tmp/dpdk-secondary.out)" ]
if [ $want = wc ]; then
	t "primary: the PAT list has BAR2 write-combining" \
		[ "$(field pat /tmp/dpdk-primary.out)" = write-combining ]
	t "no refusal logged" [ "$(count 'refuses write-combining' /tmp/dpdk-primary.out)" -eq 0 ]
else
	t "primary: why BAR2 is uncached, logged once" \
		[ "$(count 'mapped uncached: the kernel refuses write-combining' /tmp/dpdk-primary.out)" -eq 1 ]
fi
# both writes are in the ivshmem file after power-off
p=$(printf 'a5%.0s' $(seq 64))
s=$(printf '5a%.0s' $(seq 64))
echo "@@HOSTCHECK dpdk-primary-write 131072 $p"
echo "@@HOSTCHECK dpdk-secondary-write 135168 $s"
# 3. cost, reported (README, Performance): EAL init time (probe included)
# and the page faults of reading every page of BAR2 once, with and
# without write-combining
for mode in wc uc; do
	a=
	[ $mode = uc ] && a=--no-wc
	timeout 120 $B/dpdk-wc-probe $eal -- $a --touch > /tmp/dpdk-touch-$mode.out 2>&1
	faults=$(sed -n 's/^touch .*: \([0-9]*\) faults.*/\1/p' /tmp/dpdk-touch-$mode.out)
	ms=$(sed -n 's/^touch .* faults, \([0-9.]*\) ms/\1/p' /tmp/dpdk-touch-$mode.out)
	init=$(sed -n 's/^eal-init \([0-9.]*\) ms/\1/p' /tmp/dpdk-touch-$mode.out)
	echo "dpdk-bench $mode: eal-init $init ms, BAR2 64 MiB read once per page: $faults faults, $ms ms"
	t "BAR2 read page by page through the $mode mapping" [ -n "$faults" ]
done

# 4. testpmd forwarding between two e1000 (8086:100e) through vfio-pci: a
# driver without RTE_PCI_DRV_WC_ACTIVATE, DMA and all, is unchanged
nics=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x8086:0x100e" ] || continue
	nics="$nics ${d##*/}"
	[ -e "$d/driver" ] || { echo vfio-pci > "$d/driver_override"; echo "${d##*/}" > /sys/bus/pci/drivers_probe; }
done
set -- $nics
echo "e1000:$nics"
t "two e1000 bound to vfio-pci" [ $# -eq 2 -a -e "/sys/bus/pci/devices/$1/driver" ]
if [ $# -eq 2 ]; then
	# testpmd exits when its stdin closes: after 8 s of forwarding
	sleep 8 | timeout 120 $B/dpdk-testpmd --lcores 0,1@0 -a "$1" -a "$2" --file-prefix tpmd \
		-- --forward-mode=io --auto-start --tx-first --no-lsc-interrupt \
		--total-num-mbufs=2048 \
		--stats-period 0 > /tmp/testpmd.out 2>&1
	tprc=$?
	tail -40 /tmp/testpmd.out
	rx0=$(awk '/Forward statistics for port 0/ {f=1} f && /RX-packets:/ {print $2; exit}' /tmp/testpmd.out)
	rx1=$(awk '/Forward statistics for port 1/ {f=1} f && /RX-packets:/ {print $2; exit}' /tmp/testpmd.out)
	t "testpmd exits 0" [ $tprc -eq 0 ]
	t "testpmd: port 0 received packets (${rx0:-none})" [ "${rx0:-0}" -gt 0 ]
	t "testpmd: port 1 received packets (${rx1:-none})" [ "${rx1:-0}" -gt 0 ]
fi
echo "1..$n"
[ $fails -eq 0 ]
