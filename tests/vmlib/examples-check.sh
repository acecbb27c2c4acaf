#!/bin/sh
# Runs the examples (and the CLI when present) inside the VM and checks
# their output; prints TAP.  VMTEST_KERNEL tells which kernel this is.
n=0
fails=0
t() { # t "description" command...: ok if the command succeeds
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		fails=$((fails + 1))
	fi
}
has() { grep -q -- "$1" "$2"; }

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
[ $fails -eq 0 ]
