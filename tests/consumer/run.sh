#!/bin/bash
# Consumers of libvfiomap: (1) install into a temporary prefix with
# `meson install --destdir`, build a separate program with
# `pkg-config --cflags --libs libvfiomap` against it and run it; check the
# exported symbols; (2) use libvfiomap as a meson subproject, check that
# it installs nothing of its own and that the installed program runs (the
# library is linked in); (3) configure with tests=auto where Check cannot
# be found: the build works without the unit tests.  Prints TAP-like
# lines and a closing "N passed, N failed".
set -u -o pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
# NINJA_JOBS=1 keeps the builds to one job (shared machines)
jobs=${NINJA_JOBS:+-j$NINJA_JOBS}
t() { # t NAME CMD...
	local name=$1; shift
	if "$@" > "$work/out" 2>&1; then
		echo "PASS consumer/$name"; passed=$((passed + 1))
	else
		echo "FAIL consumer/$name"; sed 's/^/    /' "$work/out" | tail -20; failed=$((failed + 1))
	fi
}

# ---- 1. installed library + pkg-config
dest="$work/dest"
t meson-install bash -c "meson setup '$work/b' '$repo' -Dvm_tests=false -Dtests=disabled --prefix=/usr/local >/dev/null &&
	ninja $jobs -C '$work/b' >/dev/null && meson install -C '$work/b' --destdir '$dest' >/dev/null"
pcdir=$(dirname "$(find "$dest" -name libvfiomap.pc | head -1)")
export PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$pcdir"
t pkg-config-finds-it pkg-config --exists libvfiomap
t pkg-config-build bash -c "cc -std=c11 -Wall -Wextra -Werror '$repo/tests/consumer/consumer.c' \
	-o '$work/consumer' \$(pkg-config --cflags --libs libvfiomap)"
libdir=$(dirname "$(find "$dest" -name 'libvfiomap.so.0' | head -1)")
t pkg-config-run env LD_LIBRARY_PATH="$libdir" "$work/consumer"
t installed-headers test -f "$(find "$dest" -path '*include/libvfiomap/libvfiomap.h' | head -1)"
t each-header-compiles-alone bash -c "
	for h in \$(find '$dest' -path '*include/libvfiomap/*.h'); do
		echo \"#include <libvfiomap/\$(basename \$h)>\" |
			cc -std=c11 -Wall -Wextra -Werror \$(pkg-config --cflags libvfiomap) -fsyntax-only -x c - || exit 1
	done; [ \$(find '$dest' -path '*include/libvfiomap/*.h' | wc -l) -eq 9 ]"
# the README's "API in ten lines", as a function of what it leaves to the
# reader (ring, ring_size, desc), against the installed headers: with the
# deprecated calls hidden, and with them declared (no warning either way)
python3 - "$repo/README.md" "$work/readme.c" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
block = re.search(r"## The API in ten lines\n\n```c\n(.*?)```", text, re.S).group(1)
lines = block.splitlines()
incs = [l for l in lines if l.startswith("#include")]
body = [l for l in lines if not l.startswith("#include")]
open(sys.argv[2], "w").write(
    "#include <err.h>\n#include <string.h>\n#include <immintrin.h>\n" + "\n".join(incs) +
    "\nvoid readme_example(void *ring, unsigned long ring_size, const void *desc);\n"
    "void readme_example(void *ring, unsigned long ring_size, const void *desc)\n{\n" +
    "\n".join(body) + "\n}\n")
PY
t readme-example-compiles bash -c "
	for d in -DVFIOMAP_NO_DEPRECATED -UVFIOMAP_NO_DEPRECATED; do
		cc -std=c11 -Wall -Wextra -Werror \$d \$(pkg-config --cflags libvfiomap) \
			-c '$work/readme.c' -o '$work/readme.o' || exit 1
	done; [ \$(grep -c vfiomap_ '$work/readme.c') -ge 8 ]"
t static-library test -f "$libdir/libvfiomap.a"
t soname bash -c "objdump -p '$libdir/libvfiomap.so.0' | grep -q 'SONAME *libvfiomap.so.0'"
t only-vfiomap-symbols-exported bash -c "
	n=\$(nm -D --defined-only '$libdir/libvfiomap.so.0' | awk '\$2 ~ /[TDBR]/ {print \$3}' | grep -v '^vfiomap_' | grep -v '^LIBVFIOMAP' | wc -l)
	[ \"\$n\" -eq 0 ] && nm -D --defined-only '$libdir/libvfiomap.so.0' | grep -q ' T vfiomap_map_range'"
# libpci (and with it libudev, libz) belongs to the CLI, not the library
t library-does-not-link-libpci bash -c "
	readelf -d '$libdir/libvfiomap.so.0' > '$work/dyn' &&
	! grep -Eq 'NEEDED.*(libpci|libudev|libz)' '$work/dyn' &&
	! pkg-config --print-requires-private libvfiomap | grep -q libpci"
t symbols-versioned bash -c "
	objdump -T '$libdir/libvfiomap.so.0' | grep -q 'LIBVFIOMAP_0.1 *vfiomap_map_range' &&
	objdump -T '$libdir/libvfiomap.so.0' | grep -q 'LIBVFIOMAP_0.2 *vfiomap_mode_name'"
# a function with a new version keeps its old one (objdump shows a version
# that is not the default in parentheses): lib/compat.c
t compat-symbols-versioned bash -c "
	objdump -T '$libdir/libvfiomap.so.0' > '$work/dynsyms' &&
	grep -q ' LIBVFIOMAP_0.3 *vfiomap_device_get_info\$' '$work/dynsyms' &&
	grep -q '(LIBVFIOMAP_0.1) *vfiomap_device_get_info\$' '$work/dynsyms' &&
	grep -q ' LIBVFIOMAP_0.3 *vfiomap_cookie_query\$' '$work/dynsyms' &&
	grep -q '(LIBVFIOMAP_0.2) *vfiomap_cookie_query\$' '$work/dynsyms'"
# every function of the public headers is exported, nothing else but
# vfiomap_device_ioctl_count(): the 0.1 and 0.2 headers declared it, so it
# stays exported for their programs; since 0.3 lib/testing.h declares it
t exports-match-headers bash -c "
	{ sed -n 's/^[a-z].*[ *]\\(vfiomap_[a-z0-9_]*\\)(.*/\\1/p' '$repo'/include/libvfiomap/*.h
	  echo vfiomap_device_ioctl_count; } | sort -u > '$work/declared' &&
	nm -D --defined-only '$libdir/libvfiomap.so.0' | awk '\$2 == \"T\" {sub(/@.*/, \"\", \$3); print \$3}' | sort -u > '$work/exported' &&
	diff '$work/declared' '$work/exported'"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH

# ---- 2. meson subproject
sp="$work/sp"
mkdir -p "$sp/subprojects"
ln -s "$repo" "$sp/subprojects/libvfiomap"
cp "$repo/tests/consumer/consumer.c" "$sp/"
cat > "$sp/meson.build" <<'M'
project('consumer', 'c', default_options : ['c_std=c11'])
sub = subproject('libvfiomap', default_options : ['tests=disabled', 'vm_tests=false'])
dep = dependency('libvfiomap')   # provided by meson.override_dependency()
exe = executable('consumer', 'consumer.c', dependencies : dep, install : true)
test('consumer', exe)
M
t subproject-build bash -c "meson setup '$sp/b' '$sp' >/dev/null && ninja $jobs -C '$sp/b' >/dev/null"
t subproject-run meson test -C "$sp/b"
t subproject-installs-nothing-of-its-own bash -c "
	meson install -C '$sp/b' --destdir '$sp/dest' >/dev/null &&
	[ -z \"\$(find '$sp/dest' -name '*vfiomap*' -o -name '*.pc' -o -name '*.h')\" ] &&
	[ -n \"\$(find '$sp/dest' -name consumer)\" ]"
installed=$(find "$sp/dest" -name consumer -type f | head -1)
t subproject-installed-program-runs "${installed:-/nonexistent}"
t subproject-program-needs-no-libvfiomap-so bash -c "
	readelf -d '${installed:-/nonexistent}' > '$work/dyn' &&
	! grep -q 'NEEDED.*libvfiomap' '$work/dyn'"

# ---- 3. tests=auto on a machine without Check (no pkg-config files at all)
mkdir -p "$work/no-pc"
t tests-auto-without-check-builds bash -c "
	PKG_CONFIG_LIBDIR='$work/no-pc' meson setup '$work/nc' '$repo' -Dtests=auto \
		-Dcmake_prefix_path='$work/no-pc' > '$work/nc.log' 2>&1 &&
	grep -q 'Run-time dependency check found: NO' '$work/nc.log' &&
	ninja $jobs -C '$work/nc' >/dev/null && [ ! -e '$work/nc/tests/unit' ] || { cat '$work/nc.log'; false; }"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
