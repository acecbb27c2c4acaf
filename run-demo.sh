#!/bin/bash
# libvfiomap demo: boot the patched kernel in QEMU (TCG) with an ivshmem
# device whose BAR2 is a file on this host, run the write-combining example
# in the guest, and read back on the host what the guest wrote.
# First use installs packages, fetches Linux 7.3 and builds the kernel
# (~10 min on 2 cores).
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

./scripts/install-deps.sh
build="$root/build"
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null

echo "== kernel: Linux 7.3 + kernel-patches/ (cached in ${VFIOMAP_CACHE:-/var/cache/libvfiomap})"
kernel=$(./tests/vm/kernel.sh patched | tail -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./tests/vm/mkinitramfs.sh "$work/initrd.gz" "$build/examples/region-dump" \
	"$build/examples/wc-bar-map"
shm="$work/ivshmem"
echo "== booting QEMU: ivshmem-plain BAR2 backed by $shm, edu, vfio-pci no-IOMMU"
set +e
./tests/vm/run-vm.sh --kernel "$kernel" --initrd "$work/initrd.gz" --machine noiommu \
	--name demo --run region-dump,wc-bar-map --ivshmem-file "$shm" --keep \
	--log "$work/console.log" --timeout 300 > "$work/verdict" 2>&1
rc=$?
set -e
echo "== guest output"
sed -n '/^@@BEGIN/,/^@@END/p' "$work/console.log" | grep -v '^@@\|vfio-noiommu device opened\|^ACPI:'
echo "== host: bytes at BAR2+0x10000 in the ivshmem file, after the VM stopped"
od -A x -t x1z -j $((0x10000)) -N 48 "$shm" | sed 's/^/  /'
msg=$(dd if="$shm" bs=1 skip=$((0x10000)) count=47 status=none | tr -d '\0')
echo "  as text: \"$msg\""
if [ $rc -ne 0 ] || [ "$msg" != "hello from a write-combined libvfiomap cookie!" ]; then
	echo "demo FAILED"; cat "$work/verdict"; exit 1
fi
echo "demo OK: the guest's write-combined stores reached the device memory"
