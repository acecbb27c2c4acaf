#!/usr/bin/env python3
"""Judge the console log of one VM run (see run-vm.sh)."""
import argparse
import re
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--name", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--shm", required=True)
ap.add_argument("--qemu-rc", type=int, default=0)
ap.add_argument("--seconds", type=int, default=0)
ap.add_argument("--results")
a = ap.parse_args()

SPLAT = re.compile(r"WARNING:|BUG:|Oops|general protection|KASAN|UBSAN|"
                   r"possible circular locking|INFO: task .* blocked|"
                   r"kmemleak: .*new suspected|Kernel panic|"
                   r"suspicious RCU usage|inconsistent lock state")
TAP = re.compile(r"^(not ok|ok) \d+ - (.*)$")

results = []  # (ok, name)
def res(ok, what):
    results.append((ok, f"{a.name}/{what}"))

try:
    lines = open(a.log, errors="replace").read().splitlines()
except OSError:
    lines = []

current = None
seen = {}
done = False
hostchecks = []
splats = []
in_dmesg = False
for raw in lines:
    line = raw.rstrip("\r")
    if line.startswith("@@DMESG-BEGIN"):
        in_dmesg = True
        continue
    if line.startswith("@@DMESG-END"):
        in_dmesg = False
        continue
    if SPLAT.search(line):
        splats.append(line)
    if in_dmesg:
        continue
    m = re.match(r"^@@BEGIN (\S+)", line)
    if m:
        current = m.group(1)
        continue
    m = re.match(r"^@@END (\S+) rc=(\d+)", line)
    if m:
        if int(m.group(2)) != 0:
            res(False, f"{m.group(1)}/exit-status-{m.group(2)}")
        current = None
        continue
    if line.startswith("@@DONE"):
        done = True
        continue
    m = re.match(r"^@@HOSTCHECK (\S+) (\d+) ([0-9a-f]*)$", line)
    if m:
        hostchecks.append((m.group(1), int(m.group(2)), bytes.fromhex(m.group(3))))
        continue
    m = TAP.match(line)
    if m and current:
        desc = m.group(2)
        # Check's TAP description: "path/file.c:tcase:test: message"; loop
        # tests repeat it once per iteration (one per open mode here).
        parts = desc.split(":")
        tname = ":".join(parts[1:3]) if len(parts) >= 4 else desc
        key = f"{current}/{tname}"
        seen[key] = seen.get(key, 0) + 1
        res(m.group(1) == "ok", f"{key}[{seen[key] - 1}]")
        if m.group(1) != "ok":
            print(f"  {desc}")

if current:
    res(False, f"{current}/did-not-finish")
if not done:
    res(False, f"vm-completed (qemu exit {a.qemu_rc}, {a.seconds} s; no @@DONE: "
               "boot failure, crash or timeout)")
if splats:
    for s in splats[:20]:
        print(f"  kernel: {s}")
    res(False, "kernel-log-clean")
elif done:
    res(True, "kernel-log-clean")

if hostchecks:
    try:
        data = open(a.shm, "rb").read()
    except OSError as e:
        data = b""
        print(f"  cannot read {a.shm}: {e}")
    for name, off, want in hostchecks:
        got = data[off:off + len(want)]
        ok = got == want and len(want) > 0
        if not ok:
            print(f"  hostcheck {name} @0x{off:x}: want {want.hex()} got {got.hex()}")
        res(ok, f"hostcheck/{name}")

if not any(True for _ in results):
    res(False, "no-results")

p = sum(1 for ok, _ in results if ok)
f = len(results) - p
for ok, n in results:
    print(f"{'PASS' if ok else 'FAIL'} {n}")
print(f"suite {a.name}: {p} passed, {f} failed ({a.seconds} s, log {a.log})")
if a.results:
    with open(a.results, "w") as fh:
        fh.write(f"passed {p}\nfailed {f}\n")
sys.exit(0 if f == 0 else 1)
