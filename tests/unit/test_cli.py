#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The vfiomap CLI on a fake sysfs tree (--sysfs-root): `list --json` must
be valid JSON whatever the names contain (pci.ids has names with '"';
sysfs link names may hold '\\'), and `list`/`info` must behave.  Names
come from a pci.ids the test writes (--pci-ids: that file alone, no hwdb)
when the CLI is built with libpci, else they are the IDs: the build says
which (meson passes libpci or no-libpci), so each name has one right value.

usage: test_cli.py PATH-TO-vfiomap libpci|no-libpci
"""
import json
import os
import subprocess
import sys
import tempfile

cli = sys.argv[1]
if len(sys.argv) != 3 or sys.argv[2] not in ("libpci", "no-libpci"):
    sys.exit(__doc__)
libpci = sys.argv[2] == "libpci"
failed = 0


def check(name, cond, detail=""):
    global failed
    print(f"{'ok' if cond else 'not ok'} - {name}{'' if cond else ': ' + detail}")
    failed += not cond


def device(root, bdf, vendor, device, driver, group, cdev=None):
    d = os.path.join(root, "bus/pci/devices", bdf)
    os.makedirs(d)
    for f, v in (("vendor", vendor), ("device", device)):
        with open(os.path.join(d, f), "w") as fh:
            fh.write(f"0x{v:04x}\n")
    os.makedirs(os.path.join(root, "bus/pci/drivers", driver), exist_ok=True)
    os.symlink(f"../../../../bus/pci/drivers/{driver}", os.path.join(d, "driver"))
    os.symlink(os.path.join(d), os.path.join(root, "bus/pci/drivers", driver, bdf))
    os.makedirs(os.path.join(root, "kernel/iommu_groups", group), exist_ok=True)
    os.symlink(f"../../../../kernel/iommu_groups/{group}", os.path.join(d, "iommu_group"))
    if cdev:
        os.makedirs(os.path.join(d, "vfio-dev", cdev))


with tempfile.TemporaryDirectory() as root:
    # 1092:9999 is 'DMD-I0928-1 "Monster sound" sound chip' in pci.ids;
    # ours names its vendor differently, and has no 1af4 (the system's has)
    ids = os.path.join(root, "pci.ids")
    with open(ids, "w") as fh:
        fh.write('1092  Test Vendor\n\t9999  DMD-I0928-1 "Monster sound" sound chip\n')
    device(root, "0000:00:05.0", 0x1092, 0x9999, "vfio-pci", 'g"\\7', "vfio1")
    device(root, "10000:e1:00.0", 0x1af4, 0x1110, "vfio-pci", "8")
    device(root, "0000:00:06.0", 0x8086, 0x100e, "e1000", "9")

    out = subprocess.run([cli, "--sysfs-root", root, "--pci-ids", ids, "list", "--json"],
                         capture_output=True, text=True)
    check("list --json exits 0", out.returncode == 0, out.stderr)
    try:
        devs = json.loads(out.stdout)
    except ValueError as e:
        devs = None
        check("list --json is valid JSON", False, f"{e}: {out.stdout!r}")
    if devs is not None:
        check("list --json is valid JSON", True)
        check("only vfio-pci devices, sorted",
              [d["address"] for d in devs] == ["0000:00:05.0", "10000:e1:00.0"],
              repr(devs))
        d = devs[0]
        check("quotes and backslashes survive", d["iommu_group"] == 'g"\\7', repr(d))
        check("cdev path", d["cdev"] == "/dev/vfio/devices/vfio1", repr(d))
        check("driver", d["driver"] == "vfio-pci", repr(d))
        if libpci:
            check("name from the test's pci.ids (libpci)",
                  d["name"] == 'Test Vendor DMD-I0928-1 "Monster sound" sound chip', repr(d))
            check("an ID not in the test's pci.ids has no name (no system pci.ids, no hwdb)",
                  devs[1]["name"] == "Device 1af4:1110", repr(devs[1]))
        else:
            check("name is the IDs (no libpci)", d["name"] == "1092:9999", repr(d))
            check("name is the IDs (no libpci), second device",
                  devs[1]["name"] == "1af4:1110", repr(devs[1]))

    out = subprocess.run([cli, "--sysfs-root", root, "list"], capture_output=True, text=True)
    check("list exits 0", out.returncode == 0, out.stderr)
    check("list shows the domain-10000 device",
          any(l.startswith("10000:e1:00.0 ") for l in out.stdout.splitlines()), out.stdout)

    out = subprocess.run([cli, "--sysfs-root", root, "info", "0000:00:06.0"],
                         capture_output=True, text=True)
    check("info on an e1000 device fails and says how to bind it",
          out.returncode == 1 and "driver_override" in out.stderr, out.stderr)

    out = subprocess.run([cli, "bogus"], capture_output=True, text=True)
    check("unknown command: usage, exit 2", out.returncode == 2, str(out.returncode))

print(f"{'FAIL' if failed else 'PASS'}: {failed} failed")
sys.exit(1 if failed else 0)
