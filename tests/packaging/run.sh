#!/bin/bash
# The Debian packaging (debian/): installs what it needs, builds the four
# binary packages from a clean copy of the committed tree
# (`git archive HEAD`) with `dpkg-buildpackage -us -uc -b`, runs lintian
# (errors fail, warnings are listed), unpacks libvfiomap0, libvfiomap-dev
# and vfiomap-tools into an empty root with dpkg-deb -x, builds programs
# against that root through pkg-config and runs them, and checks that
# vfiomap-dkms carries a DKMS tree.  Prints "ok - NAME" / "not ok - NAME"
# per check and a closing "N passed, N failed"; exits non-zero on any
# failure.  Nothing is skipped: a check that cannot run fails.
#
#   tests/packaging/run.sh            (root, or sudo for apt-get)
#   KEEP=1 tests/packaging/run.sh     keep the work directory
#
# Builds with one job unless DEB_BUILD_OPTIONS says parallel=N.
set -u -o pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vfiomap-packaging.XXXXXX")
if [ -n "${KEEP:-}" ]; then
	echo "# work directory: $work"
else
	trap 'rm -rf "$work"' EXIT
fi
passed=0 failed=0
t0=$SECONDS

check() { # check NAME CMD...: run CMD, output into $work/out
	local name=$1; shift
	if "$@" > "$work/out" 2>&1; then
		echo "ok - $name"; passed=$((passed + 1))
	else
		echo "not ok - $name"; sed 's/^/#   /' "$work/out" | tail -25
		failed=$((failed + 1))
	fi
}
phase() { echo "# elapsed after $1: $((SECONDS - t0)) s"; }

# ---- (a) build dependencies
pkgs=(build-essential dpkg-dev devscripts debhelper dh-dkms dkms lintian fakeroot
	meson ninja-build pkg-config libpci-dev python3 check libsubunit-dev
	linux-source-6.12 xz-utils patch git man-db
	# pahole, for the BTF of modules built against Debian's 6.12 headers,
	# which are unpacked, not installed (their package would pull it in)
	dwarves)
install_deps() {
	local missing=() p sudo=""
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq &&
		$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
check install-build-tools install_deps
phase "dependencies"

# ---- (b) build from a clean copy of the committed tree
src=$work/src
export_tree() {
	mkdir -p "$src"
	if git -C "$repo" rev-parse --verify -q HEAD >/dev/null; then
		git -C "$repo" archive HEAD | tar -x -C "$src"
	else	# not a git checkout: the tree without build output
		tar -C "$repo" --exclude='./build' --exclude='./build-*' --exclude='./obj-*' \
			--exclude='./.git' -cf - . | tar -x -C "$src"
	fi
	[ -f "$src/debian/control" ]
}
check export-clean-tree export_tree
check build-dependencies-satisfied bash -c "cd '$src' && dpkg-checkbuilddeps"
# the committed symbols file is what debian/gen-symbols.sh makes of the
# version script now (the build regenerates it; a stale copy hides an
# ABI change from review)
check symbols-file-up-to-date bash -c "cd '$src' &&
	debian/gen-symbols.sh lib/libvfiomap.map \$(dpkg-parsechangelog -S Version | sed 's/-[^-]*\$//') |
	diff -u debian/libvfiomap0.symbols -"
# one job (dpkg-buildpackage's default is one per processor) unless
# DEB_BUILD_OPTIONS asks for parallel=N
jobs=1
[[ " ${DEB_BUILD_OPTIONS:-} " =~ \ parallel=([0-9]+)\  ]] && jobs=${BASH_REMATCH[1]}
build() {
	(cd "$src" && dpkg-buildpackage -j"$jobs" -us -uc -b) > "$work/build.log" 2>&1 ||
		{ tail -40 "$work/build.log"; return 1; }
}
check dpkg-buildpackage build
phase "build"
deb() { # deb PACKAGE: the path of its .deb (empty if none)
	ls "$work/$1"_*.deb 2>/dev/null | head -1
}
check four-binary-packages bash -c "for p in libvfiomap0 libvfiomap-dev vfiomap-tools vfiomap-dkms; do
	ls '$work'/\${p}_*.deb || exit 1; done"
check dkms-package-is-arch-all bash -c "dpkg-deb -f '$(deb vfiomap-dkms)' Architecture | grep -qx all"
# the symbols file rides in libvfiomap0, and the CLI's dependency comes
# from it: the newest node whose functions vfiomap calls (read from the
# binary's version needs) is the version it depends on
check libvfiomap0-has-symbols-file bash -c "
	dpkg-deb --ctrl-tarfile '$(deb libvfiomap0)' | tar -t | grep -qx './symbols'"
tools_dep() {
	local t=$work/tools-deb need
	mkdir -p "$t" && dpkg-deb -x "$(deb vfiomap-tools)" "$t" || return 1
	need=$(objdump -T "$t/usr/bin/vfiomap" | grep -o 'LIBVFIOMAP_[0-9.]*' |
	       sed 's/LIBVFIOMAP_//' | sort -V | tail -1)
	[ -n "$need" ] || { echo "vfiomap calls no versioned libvfiomap function"; return 1; }
	echo "vfiomap needs LIBVFIOMAP_$need"
	dpkg-deb -f "$(deb vfiomap-tools)" Depends | tee /dev/stderr |
		grep -q "libvfiomap0 (>= ${need//./\\.})"
}
check tools-depend-on-the-libvfiomap0-they-need tools_dep

# ---- (c) lintian: errors fail, warnings are listed
lint() {
	local changes rc
	changes=$(ls "$work"/*.changes 2>/dev/null | head -1)
	[ -n "$changes" ] || { echo "no .changes file"; return 1; }
	lintian --fail-on error --tag-display-limit 0 "$changes" > "$work/lintian.txt" 2>&1
	rc=$?
	grep -E '^[EW]: ' "$work/lintian.txt" || true
	echo "errors: $(grep -c '^E: ' "$work/lintian.txt"), warnings: $(grep -c '^W: ' "$work/lintian.txt")"
	[ "$rc" -eq 0 ] && ! grep -q '^E: ' "$work/lintian.txt"
}
check lintian-no-errors lint
[ -f "$work/lintian.txt" ] && echo "# lintian: $(grep -c '^E: ' "$work/lintian.txt") errors, $(grep -c '^W: ' "$work/lintian.txt") warnings" &&
	sed -n 's/^W: /# lintian W: /p' "$work/lintian.txt"
phase "lintian"

# ---- (d) unpack into an empty root; build and run against it
root=$work/root
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=$root/usr/lib/$ma
unpack() {
	local p d
	mkdir -p "$root"
	for p in libvfiomap0 libvfiomap-dev vfiomap-tools; do
		d=$(deb $p)
		[ -n "$d" ] || { echo "no $p .deb"; return 1; }
		dpkg-deb -x "$d" "$root" || return 1
	done
	test -f "$libdir/libvfiomap.so.0" && test -L "$libdir/libvfiomap.so"
}
check unpack-into-empty-root unpack
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$libdir/pkgconfig
check pkg-config-finds-libvfiomap bash -c "pkg-config --modversion libvfiomap &&
	pkg-config --cflags libvfiomap | grep -q -- '-I$root/usr/include'"
cat > "$work/consumer.c" <<'EOF'
/* A program of a user of the packages: the library's error for a device
 * that does not exist. */
#include <stdio.h>
#include <libvfiomap/libvfiomap.h>

int main(void)
{
	struct vfiomap_device *dev;
	int ret = vfiomap_device_open("0000:ff:1f.7", NULL, &dev);

	printf("vfiomap_device_open: %d: %s\n", ret, vfiomap_last_error());
	return ret < 0 ? 0 : 1;
}
EOF
check consumer-builds-with-pkg-config bash -c "cc -std=c11 -Wall -Wextra -Werror \
	\$(pkg-config --cflags libvfiomap) '$work/consumer.c' -o '$work/consumer' \$(pkg-config --libs libvfiomap)"
# the library comes from the unpacked root, and its error names the device
check consumer-runs-against-packaged-library bash -c "
	LD_LIBRARY_PATH='$libdir' ldd '$work/consumer' | grep -F 'libvfiomap.so.0 => $libdir/libvfiomap.so.0' &&
	LD_LIBRARY_PATH='$libdir' '$work/consumer' | tee /dev/stderr | grep -q '0000:ff:1f.7'"
# an example shipped in libvfiomap-dev builds against the packaged headers
ex=$root/usr/share/doc/libvfiomap-dev/examples
check shipped-example-builds-and-runs bash -c "
	cc -std=c11 -Wall -Wextra \$(pkg-config --cflags libvfiomap) -I'$ex' '$ex/region-dump.c' \
		-o '$work/region-dump' \$(pkg-config --libs libvfiomap) &&
	{ LD_LIBRARY_PATH='$libdir' '$work/region-dump' 0000:ff:1f.7; [ \$? -eq 1 ]; } 2>&1 | tee /dev/stderr |
		grep -q '^0000:ff:1f.7: '"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
check vfiomap-help bash -c "
	LD_LIBRARY_PATH='$libdir' '$root/usr/bin/vfiomap' --help | tee /dev/stderr | grep -q '^usage: vfiomap'"
mkdir -p "$work/empty-sysfs"
check vfiomap-info-on-missing-device-fails bash -c "
	LD_LIBRARY_PATH='$libdir' '$root/usr/bin/vfiomap' --sysfs-root '$work/empty-sysfs' info 0000:ff:1f.7;
	[ \$? -eq 1 ]"
check vfiomap-man-page bash -c "
	test -f '$root/usr/share/man/man1/vfiomap.1.gz' &&
	LC_ALL=C.UTF-8 MANWIDTH=80 man -l '$root/usr/share/man/man1/vfiomap.1.gz' 2>&1 | grep -q 'sysfs-root'"
phase "install and use"

# ---- (e) the DKMS package
check dkms-package-has-dkms-conf bash -c "
	dpkg-deb -c '$(deb vfiomap-dkms)' | awk '{print \$6}' | grep -E '^\./usr/src/vfiomap-[^/]+/dkms\.conf\$'"
check dkms-registered-by-dh_dkms bash -c "
	dpkg-deb --ctrl-tarfile '$(deb vfiomap-dkms)' | tar -xO ./postinst | grep -q '^DKMS_NAME=vfiomap' &&
	dpkg-deb -f '$(deb vfiomap-dkms)' Depends | grep -q dkms"
# `dkms build` of the packaged tree for Debian's 6.12 kernel, as a user's
# DKMS would run it, but on trees of the work directory: the headers come
# unpacked from the cache (tests/vm/debian-kernel.sh; installing them would
# install the kernel image, write /boot and rebuild the initramfs), and
# DKMS's tree, its source tree and its signing key live under $work, so the
# machine keeps no DKMS state.  And a kernel of another release is refused.
dkroot=$work/dkms-root
dkms_build() {
	local abi kdir ver m
	local -a dk
	read -r abi kdir < <("$repo/tests/vm/debian-kernel.sh" headers) || return 1
	mkdir -p "$dkroot" "$work/dkms-tree" && dpkg-deb -x "$(deb vfiomap-dkms)" "$dkroot" || return 1
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$dkroot"/usr/src/vfiomap-*/dkms.conf)
	dk=(env mok_signing_key="$work/mok.key" mok_certificate="$work/mok.pub"
	    dkms --dkmstree "$work/dkms-tree" --sourcetree "$dkroot/usr/src")
	"${dk[@]}" add "vfiomap/$ver" &&
	"${dk[@]}" build "vfiomap/$ver" -k "$abi" --kernelsourcedir "$kdir" || return 1
	for m in vfio vfio_iommu_type1 vfio-pci-core vfio-pci mdev; do
		ls "$work/dkms-tree/vfiomap/$ver/$abi/"*/module/"$m".ko* || return 1
	done
	modinfo -F vermagic "$work/dkms-tree/vfiomap/$ver/$abi/"*/module/vfio.ko* |
		grep -q "^$abi "
}
check dkms-build-for-debian-6.12-headers dkms_build
check dkms-refuses-another-kernel-release bash -c "
	! make -C '$dkroot'/usr/src/vfiomap-* check KVER=6.12.999+deb12-amd64 > '$work/refuse' 2>&1 &&
	grep 'another release' '$work/refuse'"
phase "dkms checks"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
