#!/bin/bash
# ABI of the built library against the last release, 0.2.0 (the v0.2.0
# tag, commit f04de84: the last commit whose version said 0.2.0).
#
#   tests/abi/run.sh BUILDDIR
#
# 1. abidiff of BUILDDIR's library against abi/libvfiomap-0.2.0.abi (an
#    abidw dump of 0.2.0, public headers only, kept in the repository):
#    fails on any removed or changed function or variable (a function
#    whose behaviour or types change gets a new version node, and the old
#    one stays), and on a function added to a node 0.2.0 already had.
#    It does not see the functions that have two versions (see abi_diff
#    below): 2 and 3 check those.
# 2. Every name that lib/libvfiomap.map lists in more than one node is
#    exported in each: its 0.2.0 version (a compatibility entry now, not
#    the default) and the newest as the default.  The old structs that
#    the compatibility entries take (lib/compat.h) have the 0.2.0 layouts
#    (layouts.c, built against both headers).
# 3. old_consumer.c built against 0.2.0 (headers and library built from
#    the tag) runs with the 0.2.0 library and with this one, and on a fake
#    VFIO device (fake_ioctl.c, preloaded) gets the same values in its
#    0.2 structs from both, through the old versions of the functions that
#    have a new one (lib/compat.c).
# 4. Built against these headers, a program that calls a function with a
#    new version, or a 0.3 function, does not even load with 0.2.0 (the
#    dynamic linker names the missing node LIBVFIOMAP_0.3) instead of
#    misbehaving later; one that calls only unchanged functions still
#    loads with 0.2.0.
# Prints "ok - NAME" / "not ok - NAME" and "N passed, N failed".
set -u -o pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: tests/abi/run.sh BUILDDIR}" && pwd)
release=0.2.0
ref=v$release
fallback=f04de84
work=$(mktemp -d "${TMPDIR:-/tmp}/vfiomap-abi.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() { # check NAME CMD...
	local name=$1; shift
	if "$@" > "$work/out" 2>&1; then
		echo "ok - $name"; passed=$((passed + 1))
	else
		echo "not ok - $name"; sed 's/^/#   /' "$work/out" | tail -30
		failed=$((failed + 1))
	fi
}

lib=$(ls "$build"/lib/libvfiomap.so.*.*.* 2>/dev/null | head -1)

# The functions with two versions (vfiomap_device_get_info@LIBVFIOMAP_0.1
# and vfiomap_device_get_info@@LIBVFIOMAP_0.3, ...) pass this check, and
# it is not changed for them, because what abidiff 2.2 says of them is
# compatible but incomplete (tried on this library): it takes the
# compatibility entry, name@LIBVFIOMAP_0.1, for the released
# name@@LIBVFIOMAP_0.1 (without it, it reports the released function
# removed, and this check fails), but it compares no types of it (a member
# added to the struct the entry takes, struct vfiomap_device_info_v01 of
# lib/compat.h, is reported neither with nor without --headers-dir2); and
# it does not list the new default, name@@LIBVFIOMAP_0.3, as added (its
# debug info is that of the library's own name, vfm__device_get_info).  So
# their structs are checked below instead, by layouts.c and by the values
# the 0.2.0 program gets, and their versions by objdump.
abi_diff() {
	local rc
	[ -n "$lib" ] || { echo "no library in $build/lib"; return 1; }
	abidiff --headers-dir2 "$repo/include/libvfiomap" \
		"$repo/abi/libvfiomap-$release.abi" "$lib" > "$work/abidiff.txt"
	rc=$?
	cat "$work/abidiff.txt"
	# bit 0: abidiff error, bit 1: usage error, bit 3: incompatible change
	(( rc & 3 )) && { echo "abidiff failed (exit $rc)"; return 1; }
	(( rc & 8 )) && { echo "incompatible ABI change (exit $rc)"; return 1; }
	grep -Eq '^Functions changes summary: 0 Removed, 0 Changed' "$work/abidiff.txt" &&
	grep -Eq '^Variables changes summary: 0 Removed, 0 Changed' "$work/abidiff.txt" ||
		{ echo "a function or variable of $release was removed or changed"; return 1; }
	# added symbols belong to nodes newer than the release
	if grep -E '@@?LIBVFIOMAP_0\.[12]\}' "$work/abidiff.txt"; then
		echo "a symbol was added to a node that $release already had"
		return 1
	fi
}
check "abidiff-against-$release" abi_diff

# the release, built from its tag (or commit), library only
old=$work/old
build_release() {
	local c
	c=$(git -C "$repo" rev-parse -q --verify "$ref^{commit}" ||
	    git -C "$repo" rev-parse -q --verify "$fallback^{commit}") ||
		{ echo "neither $ref nor $fallback is in this clone"; return 1; }
	mkdir -p "$old/src" && git -C "$repo" archive "$c" | tar -x -C "$old/src" &&
	meson setup "$old/build" "$old/src" > "$old/setup.log" 2>&1 &&
	ninja -C "$old/build" "lib/libvfiomap.so.$release" > "$old/ninja.log" 2>&1 ||
		{ cat "$old/setup.log" "$old/ninja.log" 2>/dev/null | tail -20; return 1; }
}
check "build-$release-from-its-tag" build_release

cc_prog() { # cc_prog OUT SRC INCLUDEDIR LIBDIR
	cc -std=c11 -Wall -Wextra -Werror -Wno-error=deprecated-declarations \
		-o "$1" "$2" -I"$3" -L"$4" -lvfiomap
}
run_with() { # run_with LIBDIR PROG
	LD_LIBRARY_PATH=$1 "$2"
}

# every name of more than one node: NAME@NODE of 0.2.0 (not the default
# any more) and NAME@@NEWEST (objdump -T shows a version that is not the
# default in parentheses)
versions() {
	local names name node old n=0
	[ -n "$lib" ] || { echo "no library in $build/lib"; return 1; }
	objdump -T "$lib" > "$work/dynsyms" || return 1
	# NAME NODE for each name listed, in the order of the nodes
	sed 's|/\*.*\*/||g' "$repo/lib/libvfiomap.map" |
		awk '/^LIBVFIOMAP_[0-9.]+ *\{/ { node = $1 }
		     /^[ \t]+[a-z_0-9]+;/ { sub(/;/, "", $1); print $1, node }' > "$work/listed"
	names=$(awk '{ print $1 }' "$work/listed" | sort | uniq -d)
	[ -n "$names" ] || { echo "no name is listed in two nodes"; return 1; }
	for name in $names; do
		node=$(awk -v n="$name" '$1 == n { last = $2 } END { print last }' "$work/listed")
		old=$(sed -n "s/.*<elf-symbol name='$name' version='\([^']*\)' is-default-version='yes'.*/\1/p" \
			"$repo/abi/libvfiomap-$release.abi")
		[ -n "$old" ] || { echo "$name is not in $release"; return 1; }
		[ "$old" != "$node" ] || { echo "$name: $node is $release's node"; return 1; }
		grep -Eq " $node +$name\$" "$work/dynsyms" ||
			{ echo "$name@@$node is not exported"; return 1; }
		grep -Eq "\($old\) +$name\$" "$work/dynsyms" ||
			{ echo "$name@$old (the $release version) is not exported"; return 1; }
		echo "$name: @@$node, @$old"
		n=$((n + 1))
	done
	echo "$n functions with two versions"
}
check "functions-with-a-new-version-keep-the-$release-one" versions

# the old layouts that lib/compat.h keeps are those of the 0.2.0 headers
layouts() {
	cc -std=c11 -Wall -Wextra -Werror -o "$work/layouts-$release" \
		"$repo/tests/abi/layouts.c" -I"$old/src/include" &&
	cc -std=c11 -Wall -Wextra -Werror -DCURRENT -o "$work/layouts-now" \
		"$repo/tests/abi/layouts.c" -I"$repo/include" -I"$repo/lib" &&
	"$work/layouts-$release" > "$work/layouts-$release.txt" &&
	"$work/layouts-now" > "$work/layouts-now.txt" &&
	diff -u "$work/layouts-$release.txt" "$work/layouts-now.txt" &&
	wc -l < "$work/layouts-now.txt"
}
check "compat-structs-have-the-$release-layouts" layouts

# a program of 0.2.0 on a fake device (fake_ioctl.c, preloaded): the same
# answers from 0.2.0 and from this library's compatibility entries
check "program-built-against-$release" bash -c "
	$(declare -f cc_prog)
	cc_prog '$work/old_consumer-$release' '$repo/tests/abi/old_consumer.c' \
		'$old/src/include' '$old/build/lib' &&
	cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -o '$work/fake_ioctl.so' \
		'$repo/tests/abi/fake_ioctl.c' -I'$repo/lib' -ldl &&
	objdump -T '$work/old_consumer-$release' | grep -E 'LIBVFIOMAP_0\.[0-9]' &&
	! objdump -T '$work/old_consumer-$release' | grep -q 'LIBVFIOMAP_0\.3'"
check "program-built-against-$release-runs-with-$release" bash -c "
	VFIOMAP_ABI_FAKE=1 LD_PRELOAD='$work/fake_ioctl.so' LD_LIBRARY_PATH='$old/build/lib' \
		'$work/old_consumer-$release'"
check "program-built-against-$release-runs-with-this-library" bash -c "
	VFIOMAP_ABI_FAKE=1 LD_PRELOAD='$work/fake_ioctl.so' LD_LIBRARY_PATH='$build/lib' \
		'$work/old_consumer-$release' > '$work/old-now.txt'; rc=\$?
	cat '$work/old-now.txt'
	[ \$rc -eq 0 ] && grep -q 'ok 12 - 0.1 device info' '$work/old-now.txt'"
# NAME.c built against these headers runs with this library
new_prog() { # new_prog NAME
	cc_prog "$work/$1" "$work/$1.c" "$repo/include" "$build/lib" &&
	run_with "$build/lib" "$work/$1"
}
# NAME does not load with the release, for want of LIBVFIOMAP_0.3
needs_0_3() { # needs_0_3 NAME
	! run_with "$old/build/lib" "$work/$1" 2> "$work/ld.err" &&
	cat "$work/ld.err" && grep -q 'LIBVFIOMAP_0.3' "$work/ld.err"
}
# built against these headers, a call of a function that has a new version
# in LIBVFIOMAP_0.3 (vfiomap_region_get: struct vfiomap_region grew in
# 0.2) needs that node: such a program does not load with 0.2.0, whose
# vfiomap_region_get would be the one of the 0.1 node
cat > "$work/changed_consumer.c" <<'CEOF'
#include <errno.h>
#include <libvfiomap/libvfiomap.h>
int main(void)
{
	const struct vfiomap_region *r;

	return vfiomap_region_get(0, 0, &r) == -EINVAL ? 0 : 1;
}
CEOF
check "program-calling-a-changed-function-runs-with-this-library" new_prog changed_consumer
check "program-calling-a-changed-function-does-not-load-with-$release" needs_0_3 changed_consumer
# one that calls only functions whose 0.1 or 0.2 version is still the
# default needs no newer node: it loads with 0.2.0 and with this library
cat > "$work/unchanged_consumer.c" <<'CEOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libvfiomap/libvfiomap.h>
int main(void)
{
	struct vfiomap_device *dev = NULL;
	int bad = 0;

	bad += vfiomap_device_open("not-a-bdf", NULL, &dev) != -EINVAL || dev;
	bad += !strlen(vfiomap_strerror());
	bad += vfiomap_huge_align(2u << 20, 0) != 2u << 20;
	bad += strcmp(vfiomap_mode_name(VFIOMAP_MODE_CDEV), "iommufd cdev") != 0;
	bad += vfiomap_unmap(NULL) != 0;
	vfiomap_device_close(NULL);
	printf("%d failed\n", bad);
	return bad ? 1 : 0;
}
CEOF
check "program-calling-unchanged-functions-runs-with-this-library" new_prog unchanged_consumer
check "program-calling-unchanged-functions-runs-with-$release" \
	run_with "$old/build/lib" "$work/unchanged_consumer"
cat > "$work/new_consumer.c" <<'CEOF'
#include <libvfiomap/libvfiomap.h>
int main(void)
{
	return vfiomap_region_attr_areas(0, 0, 0, 0) == -22 ? 0 : 1;
}
CEOF
check "program-using-0.3-runs-with-this-library" new_prog new_consumer
check "program-using-0.3-does-not-load-with-$release" needs_0_3 new_consumer

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
