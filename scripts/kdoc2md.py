#!/usr/bin/env python3
"""Render the kernel-doc comments of the public headers as Markdown.

usage: kdoc2md.py OUT.md HEADER...
Each `/** name() - summary ... Return: ... */` block before a declaration
becomes a section; fails if an exported function lacks a comment or a
"Return:" line, so the reference cannot silently fall behind the code.
"""
import re
import sys

out, headers = sys.argv[1], sys.argv[2:]
doc = ["# libvfiomap reference", "",
       "Generated from the kernel-doc comments of the public headers.", ""]
missing = []
for h in headers:
    text = open(h).read()
    name = h.split("/")[-1]
    doc += [f"## {name}", ""]
    for m in re.finditer(r"/\*\*(.*?)\*/\s*([^;{]*[;{])", text, re.S):
        body = [re.sub(r"^\s*\* ?", "", l) for l in m.group(1).strip().splitlines()]
        decl = " ".join(m.group(2).split()).rstrip("{").strip()
        title = body[0].strip() if body else ""
        doc += [f"### {title}", "", "```c", decl, "```", ""]
        doc += [l for l in body[1:]] + [""]
        fm = re.match(r"(\w+)\(\)", title)
        if fm and "(" in decl and not any(l.strip().startswith("Return:") for l in body):
            missing.append(f"{name}: {fm.group(1)} has no Return: line")
    for fn in re.findall(r"^\w[\w\s\*]*?\b(vfiomap_\w+)\s*\(", text, re.M):
        if not re.search(r"/\*\*\s*\n?\s*\*?\s*" + fn + r"\(\)", text):
            missing.append(f"{name}: {fn} has no kernel-doc comment")
if missing:
    sys.stderr.write("\n".join(missing) + "\n")
    sys.exit(1)
open(out, "w").write("\n".join(doc) + "\n")
