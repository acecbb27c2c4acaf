#!/bin/bash
# An initramfs part with the modules the VM suite loads on Debian's kernel:
# the closure of vfio-pci and vfio_iommu_type1 in modules.dep, from
# Debian's image, plus (optionally) the DKMS-built modules under
# updates/dkms, which depmod ranks first ("updates built-in", as on an
# installed system), plus the suite's page table dump helper (ptdump/,
# built here against Debian's headers: Debian has no PTDUMP_DEBUGFS) and,
# with the DKMS modules, its test-only variant driver (variant/).  Appended to the suite's initramfs (the kernel
# unpacks concatenated archives in order).
#
#   tests/vm/debian-modules.sh OUT.cpio.gz ABI IMAGE_DIR [DKMS_MODULES_DIR]
set -euo pipefail
out=${1:?usage: debian-modules.sh OUT.cpio.gz ABI IMAGE_DIR [DKMS_MODULES_DIR]}
abi=${2:?} img=${3:?} dkms=${4:-}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
src=$img/lib/modules/$abi
dst=$root/lib/modules/$abi
mkdir -p "$dst"
cp "$src/modules.builtin" "$src/modules.builtin.modinfo" "$src/modules.order" "$dst/"
[ -f "$src/modules.dep" ] || depmod -b "$img" "$abi"
# what modprobe would load for the two modules, from the image's own
# dependency list
need=$(awk -F': *' '$1 ~ /\/(vfio-pci|vfio_iommu_type1)\.ko(\.xz)?$/ { print $1; n = split($2, d, " "); for (i = 1; i <= n; i++) print d[i] }' \
	"$src/modules.dep" | sort -u)
[ -n "$need" ] || { echo "debian-modules: vfio-pci not in $src/modules.dep" >&2; exit 1; }
for m in $need; do
	mkdir -p "$dst/$(dirname "$m")"
	case $m in
	*.xz) xz -dc "$src/$m" > "$dst/${m%.xz}" ;;
	*) cp "$src/$m" "$dst/$m" ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
read -r _ kdir < <("$here/debian-kernel.sh" headers)
cp -a "$here/ptdump" "$root/ptdump-build"
if ! make -s -C "$kdir" M="$root/ptdump-build" modules > "$root/ptdump.log" 2>&1 ||
   grep -E '(warning|error):' "$root/ptdump.log" >&2; then
	cat "$root/ptdump.log" >&2
	echo "debian-modules: the ptdump helper does not build cleanly" >&2
	exit 1
fi
mkdir -p "$dst/extra"
cp "$root/ptdump-build/vfiomap_ptdump.ko" "$dst/extra/"
rm -rf "$root/ptdump-build" "$root/ptdump.log"
if [ -n "$dkms" ]; then
	mkdir -p "$dst/updates/dkms"
	find "$dkms" -name '*.ko' -exec cp {} "$dst/updates/dkms/" \;
	# the suite's test-only variant driver (variant/), against the DKMS
	# modules' headers and symbols, as a variant driver of theirs builds
	mkdir -p "$root/variant-build"
	cp "$here/variant/vfiomap_test_variant.c" "$root/variant-build/"
	echo 'obj-m := vfiomap_test_variant.o' > "$root/variant-build/Kbuild"
	if ! make -s -C "$kdir" M="$root/variant-build" \
		NOSTDINC_FLAGS="-nostdinc -I$dkms/../include" \
		KBUILD_EXTRA_SYMBOLS="$dkms/Module.symvers" modules > "$root/variant.log" 2>&1 ||
	   grep -E '(warning|error):' "$root/variant.log" >&2; then
		cat "$root/variant.log" >&2
		echo "debian-modules: the variant driver does not build cleanly" >&2
		exit 1
	fi
	cp "$root/variant-build/vfiomap_test_variant.ko" "$dst/extra/"
	rm -rf "$root/variant-build" "$root/variant.log"
fi
depmod -b "$root" "$abi"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
echo "$out: $(cd "$dst" && find . -name '*.ko' | sort | tr '\n' ' ')" >&2
