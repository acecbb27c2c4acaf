#!/bin/bash
# Build DPDK 22.11 as Debian 12 ships it (source package `dpdk`, Debian's
# own patches applied) with this directory's patches and libvfiomap, only
# what the tests need (bus/pci, bus/vdev, mempool/ring, net/e1000,
# testpmd, the driver SDK headers), then examples/dpdk-wc-probe.c against
# it.  Cached by content under the cache directory: the source version,
# the patches, this script and libvfiomap's sources; a CI run rebuilds
# DPDK only when one of them changes.  Prints what it checked as TAP-like
# PASS/FAIL lines and a closing "N passed, N failed"; OUTDIR/dpdk-prefix
# names the install prefix.
#
#   consumers/dpdk/build.sh [OUTDIR]     (OUTDIR gets dpdk-wc-probe)
#
# The source comes from the archive's source index through a private apt
# configuration (scripts/private-apt.sh; nothing is installed, the
# machine's own sources are not touched).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/build/dpdk}
cache=${VFIOMAP_CACHE:-/var/cache/libvfiomap}
suites=${VFIOMAP_DPDK_SUITES:-bookworm bookworm-updates}
patches=$here/22.11
jobs=${NINJA_JOBS:-$(nproc)}
mkdir -p "$cache" "$out"

. "$repo/scripts/private-apt.sh"
exec 8>"$cache/dpdk.lock"
flock 8
private_apt_init "$cache/apt-src" deb-src "$suites"
private_apt_update

# The newest 22.11.x of the suites' source index
version=$(apt-cache "${apt_opts[@]}" showsrc dpdk 2>/dev/null |
	awk '/^Version: 22\.11\./ {print $2}' | sort -V | tail -1)
[ -n "$version" ] || { echo "dpdk build: no dpdk 22.11 source in $suites" >&2; exit 2; }
mapfile -t series < <(grep -v '^\s*#' "$patches/series" | grep -v '^\s*$')
key=$( { echo "$version"; cat "$0" "$patches/series";
	 for p in "${series[@]}"; do cat "$patches/$p"; done;
	 cat "$repo"/include/libvfiomap/*.h "$repo"/lib/*.c "$repo"/lib/*.h \
	     "$repo"/lib/libvfiomap.map "$repo"/lib/meson.build "$repo"/meson.build; } |
	 sha256sum | cut -c1-16)
dir=$cache/dpdk-22.11-$key
prefix=$dir/prefix
vfm=$dir/libvfiomap

if [ ! -f "$dir/ok" ]; then
	rm -rf "$dir"
	mkdir -p "$dir/src"
	start=$SECONDS
	echo "dpdk build: fetching dpdk $version source ..." >&2
	(cd "$dir/src" && apt-get "${apt_opts[@]}" source --download-only -qq "dpdk=$version" >&2)
	orig=$(ls "$dir"/src/dpdk_*.orig.tar.* | head -1)
	debtar=$(ls "$dir"/src/dpdk_*.debian.tar.* | head -1)
	mkdir -p "$dir/src/tree"
	tar -C "$dir/src/tree" --strip-components=1 -xf "$orig"
	tar -C "$dir/src/tree" -xf "$debtar"
	src=$dir/src/tree
	# Debian's patches (quilt series), then ours
	if [ -f "$src/debian/patches/series" ]; then
		grep -v '^\s*#' "$src/debian/patches/series" | grep -v '^\s*$' | while read -r p _; do
			patch -d "$src" -p1 -s --no-backup-if-mismatch < "$src/debian/patches/$p"
		done
	fi
	for p in "${series[@]}"; do
		patch -d "$src" -p1 -s --no-backup-if-mismatch < "$patches/$p"
	done
	# libvfiomap, installed where DPDK's meson finds it with pkg-config
	meson setup "$dir/vfm-build" "$repo" --prefix="$vfm" --libdir=lib -Dtests=disabled \
		-Dvm_tests=false -Dlibpci=disabled > "$dir/vfm-build.log" 2>&1
	ninja -C "$dir/vfm-build" -j"$jobs" >> "$dir/vfm-build.log" 2>&1
	meson install -C "$dir/vfm-build" >> "$dir/vfm-build.log" 2>&1
	echo "dpdk build: building dpdk $version (bus/pci, mempool/ring, net/e1000, testpmd) ..." >&2
	PKG_CONFIG_PATH=$vfm/lib/pkgconfig meson setup "$dir/build" "$src" \
		--prefix="$prefix" --libdir=lib -Dplatform=generic -Ddefault_library=static \
		-Dc_link_args="-Wl,-rpath,$vfm/lib" \
		-Denable_drivers=bus/pci,bus/vdev,mempool/ring,net/e1000 \
		-Denable_apps=test-pmd -Denable_driver_sdk=true -Dtests=false \
		-Ddisable_libs=bitratestats,cfgfile,flow_classify,gpudev,gro,gso,kni,jobstats,latencystats,metrics,node,pdump,pipeline,port,power,table,vhost \
		> "$dir/setup.log" 2>&1 || { tail -20 "$dir/setup.log" >&2; exit 1; }
	ninja -C "$dir/build" -j"$jobs" > "$dir/build.log" 2>&1 || { tail -30 "$dir/build.log" >&2; exit 1; }
	meson install -C "$dir/build" > "$dir/install.log" 2>&1
	grep -q 'Run-time dependency libvfiomap found: YES' "$dir/setup.log" > "$dir/with-libvfiomap" || true
	echo "dpdk $version, built in $((SECONDS - start)) s" > "$dir/ok"
fi
cat "$dir/ok" >&2

passed=0 failed=0
check() { # check NAME CMD...
	local name=$1
	shift
	if "$@" > "$dir/check.out" 2>&1; then
		echo "PASS dpdk/$name"
		passed=$((passed + 1))
	else
		echo "FAIL dpdk/$name"
		sed 's/^/    /' "$dir/check.out" | tail -15
		failed=$((failed + 1))
	fi
}
# bus/pci found libvfiomap and built its write-combining path
check builds-with-libvfiomap grep -q 'Run-time dependency libvfiomap found: YES' "$dir/setup.log"
check pci_vfio-uses-libvfiomap bash -c "nm '$prefix/lib/librte_bus_pci.a' | grep -q 'U vfiomap_map'"
# ... and pci_vfio.c still compiles without it: its compile command with
# the define and the library's include directory taken out
check builds-without-libvfiomap python3 - "$dir/build/compile_commands.json" "$vfm" <<'PY'
import json, shlex, subprocess, sys
cmds, vfm = json.load(open(sys.argv[1])), sys.argv[2]
c = next(c for c in cmds if c["file"].endswith("drivers/bus/pci/linux/pci_vfio.c"))
args = [a for a in shlex.split(c["command"])
        if a != "-DRTE_BUS_PCI_LIBVFIOMAP" and not a.startswith("-I" + vfm)]
i = args.index("-o")
del args[i:i + 2]
args += ["-fsyntax-only", "-Werror"]
sys.exit(subprocess.call(args, cwd=c["directory"]))
PY
# the probe, against the installed DPDK (static) and libvfiomap (shared)
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig:$vfm/lib/pkgconfig
check probe-builds bash -c "cc -std=gnu11 -O2 -Wall -Wextra -Werror -o '$out/dpdk-wc-probe' \
	'$repo/examples/dpdk-wc-probe.c' \$(pkg-config --static --cflags --libs libdpdk) \
	-Wl,-rpath,'$vfm/lib'"
check testpmd-installed test -x "$prefix/bin/dpdk-testpmd"
check testpmd-finds-libvfiomap bash -c "ldd '$prefix/bin/dpdk-testpmd' | grep -q 'libvfiomap.so.0 => /'"
cp "$prefix/bin/dpdk-testpmd" "$out/" 2>/dev/null || true
echo "$prefix" > "$out/dpdk-prefix"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
