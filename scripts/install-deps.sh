#!/bin/bash
# Install what libvfiomap's build, tests and demo need, from Debian's
# archive.  Idempotent: does nothing when everything is present.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

pkgs=(
	# library, tools, unit tests
	build-essential meson ninja-build pkg-config check libsubunit-dev
	libpci-dev pciutils pci.ids valgrind clang libclang-rt-14-dev file
	# ABI check against the last release (tests/abi)
	abigail-tools git
	# kernel build (tests/vm/kernel.sh, tests/kernel/check-series.sh)
	linux-source-6.12 bc bison flex libelf-dev libssl-dev cpio xz-utils
	gcc-aarch64-linux-gnu
	python3 python3-ply python3-git
	# pahole: Debian's 6.12 headers (unpacked, tests/vm/debian-kernel.sh)
	# build modules with BTF; installing the headers would pull it in
	dwarves
	# VM (kmod: depmod for the module tree of Debian's kernel in the
	# initramfs, tests/vm/debian-modules.sh; nothing is loaded on the host)
	qemu-system-x86 busybox-static kmod
	# arm64 VM suite: QEMU "virt", a static cross-built /init
	qemu-system-arm libc6-dev-arm64-cross
	# DPDK 22.11 with libvfiomap (consumers/dpdk/build.sh; devtools need gawk)
	python3-pyelftools libnuma-dev gawk
)
if [ -f "$here/tests/vm/PACKAGES" ]; then
	mapfile -t extra < <(grep -v '^\s*#' "$here/tests/vm/PACKAGES" | grep -v '^\s*$')
	pkgs+=("${extra[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
