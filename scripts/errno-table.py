#!/usr/bin/env python3
"""Turn the bad-input table of docs/uapi.md into a C header.

usage: errno-table.py docs/uapi.md OUT.h
Each row "| n | [edu: ]op key=value... [private] | ERRNO |" becomes
{ n, edu, "op", "key=value ...", ERRNO }; the test interprets the request.
"""
import re
import sys

src, out = sys.argv[1], sys.argv[2]
text = open(src).read()
m = re.search(r"<!-- bad-input-table-begin -->(.*?)<!-- bad-input-table-end -->", text, re.S)
if not m:
    sys.exit("no bad-input table in " + src)
rows = []
for line in m.group(1).splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) != 3 or not cells[0].isdigit():
        continue
    n, req, err = cells
    edu = req.startswith("edu:")
    req = req[4:].strip() if edu else req
    op, _, args = req.partition(" ")
    if op not in ("create", "destroy", "mmap", "pread") or not re.fullmatch(r"E[A-Z0-9]+", err):
        sys.exit(f"bad row {n}: {line}")
    rows.append(f'\t{{ {n}, {int(edu)}, "{op}", "{args}", {err}, "{err}" }},')
if len(rows) < 25:
    sys.exit(f"only {len(rows)} rows")
with open(out, "w") as f:
    f.write("/* Generated from docs/uapi.md by scripts/errno-table.py. */\n")
    f.write("#include <errno.h>\n")
    f.write("static const struct bad_row { int n; int edu; const char *op; "
            "const char *args; int err; const char *errname; } bad_rows[] = {\n")
    f.write("\n".join(rows) + "\n};\n")
