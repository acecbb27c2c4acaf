#!/bin/bash
# Instruction count of the region lookup (issue 10, section 5), host-side:
# bench/lookup-count under callgrind, the library linked against the unit
# tests' fake VFIO kernel.  Counts do not depend on the clock or on TCG.
#
#   cached lookup   Ir of vfiomap_region_get() on a warm cache, per call
#                   (the calls made by cached_loop(); the loop's own
#                   counter/compare/result test is shown apart)
#   uncached path   Ir of the first vfiomap_region_get() of a region,
#                   per call, library side only: the fake kernel's
#                   vfm__ioctl() is subtracted; the real kernel's work per
#                   ioctl is not counted (callgrind sees no kernel)
#
# Passes when the cached lookup is under 50 instructions per call.
#
#   bench/count-lookup.sh [BUILDDIR] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${1:-$repo/build}
n=${2:-100000}
target=50
command -v valgrind >/dev/null || { echo "count-lookup: valgrind not installed"; echo "0 passed, 1 failed"; exit 1; }
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" -j1 bench/lookup-count >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
	--toggle-collect=cached_loop --toggle-collect=uncached_lookup \
	"$build/bench/lookup-count" "$n" > "$work/stdout" 2> "$work/valgrind.log" || {
	cat "$work/valgrind.log" "$work/stdout"; echo "0 passed, 1 failed"; exit 1; }
python3 - "$work/callgrind.out" "$work/stdout" "$n" "$target" <<'PY'
import re, sys
out, stdout, n, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

# Callgrind out file: per function (fn=) its self cost lines and its call
# edges (cfn= ... calls=COUNT POS, then one line: POS INCLUSIVE-COST).
names = {}
def name(v):
    m = re.match(r"\((\d+)\)(?: (.*))?$", v)
    if not m:
        return v
    if m.group(2) is not None:
        names[m.group(1)] = m.group(2)
    return names[m.group(1)]

incl = {}          # fn -> self + callees (inclusive)
edge = {}          # (fn, cfn) -> [calls, inclusive cost]
into = {}          # cfn -> inclusive cost of all calls into it
fn = cfn = None
pending = None     # call count of the edge whose cost line comes next
for line in open(out):
    line = line.rstrip("\n")
    if line.startswith("fn="):
        fn = name(line[3:])
    elif line.startswith("cfn="):
        cfn = name(line[4:])
    elif line.startswith("calls="):
        pending = int(line[6:].split()[0])
    elif line and (line[0].isdigit() or line[0] in "+-*") and fn is not None:
        cost = int(line.split()[-1])
        incl[fn] = incl.get(fn, 0) + cost
        if pending is not None:
            e = edge.setdefault((fn, cfn), [0, 0])
            e[0] += pending
            e[1] += cost
            if cfn != fn:
                into[cfn] = into.get(cfn, 0) + cost
            pending = None

# The lookup's symbol: vfiomap_region_get is versioned (lib/region.c,
# VFM_SYMVER), so callgrind may name its code by the public versioned
# name or by the implementation's own, vfm__region_get.
LOOKUP = re.compile(r"(vfiomap_region_get|vfm__region_get)(@.*)?$")
def calls_into(caller):
    c = t = 0
    for (f, cf), (k, cost) in edge.items():
        if f == caller and cf is not None and LOOKUP.match(cf):
            c += k
            t += cost
    return c, t

calls, lookup = calls_into("cached_loop")
loop = incl.get("cached_loop", 0)
unc = incl.get("uncached_lookup", 0)
ucalls = calls_into("uncached_lookup")[0]
fake = into.get("vfm__ioctl", 0)   # all of it under uncached_lookup
ioctls = re.search(r"uncached ioctls/call ([\d.]+)", open(stdout).read())
ioctls = ioctls.group(1) if ioctls else "?"
if calls != n or ucalls != n:
    print("count-lookup: expected %d calls, callgrind saw %d cached / %d uncached"
          % (n, calls, ucalls))
    print("0 passed, 1 failed")
    sys.exit(1)
x = lookup / calls
y = (unc - fake) / ucalls
print("cached lookup: %.1f instructions/call (target < %d); "
      "uncached path: %.1f instructions/call" % (x, target, y))
print("  cached: %d calls, 0 ioctls; with the benchmark loop's own "
      "instructions %.1f/call" % (calls, loop / calls))
print("  uncached: first lookup of ivshmem BAR2 (mmap-attrs capability "
      "chain parsed), %s ioctls/call; fake kernel's %.1f instructions/call "
      "subtracted; the kernel's own work is not counted"
      % (ioctls, fake / ucalls))
ok = x < target
print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
sys.exit(0 if ok else 1)
PY
