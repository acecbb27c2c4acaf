#!/usr/bin/env python3
"""Run `meson test` in a build dir and report individual Check results.

Each unit test program runs many Check tests; meson only sees one exit
code per program.  This reads the Check summaries ("Checks: N, Failures:
F, Errors: E") from meson's test log, adds one failure for every program
that failed without a Check summary saying why (crash, sanitizer report,
timeout), prints each program's verdict and a closing line
"N passed, N failed".  Exit status: 0 only if nothing failed.
"""
import json
import re
import subprocess
import sys

build = sys.argv[1]
extra = sys.argv[2:]
proc = subprocess.run(["meson", "test", "-C", build, "--print-errorlogs", *extra])
passed = failed = 0
summary = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")
import glob
import os
logs = sorted(glob.glob(f"{build}/meson-logs/testlog*.json"), key=os.path.getmtime)
with open(logs[-1]) as f:
    for line in f:
        t = json.loads(line)
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        checks = fails = 0
        for m in summary.finditer(out):
            n, fl, er = map(int, m.groups())
            checks += n
            fails += fl + er
        ok = t["result"] in ("OK", "EXPECTEDFAIL")
        if checks:
            passed += checks - fails
            failed += fails
            if not ok and fails == 0:
                failed += 1
        elif ok:
            passed += 1
        else:
            failed += 1
        print(f"{'PASS' if ok else 'FAIL'} {t['name']} ({checks} checks, {fails} failed)")
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 and proc.returncode == 0 else 1)
