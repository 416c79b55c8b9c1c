#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Size limits of the product code (issue 10): no file over MAX_FILE lines,
no function over MAX_FUNC lines (from its opening brace in column 0 to the
closing one), each mwctl command file under MAX_CMD lines.  Prints one
line per violation; exit 1 if any."""
import glob
import re
import sys

MAX_FILE, MAX_FUNC, MAX_CMD = 850, 80, 400
GLOBS = ["userspace/lib/*.[ch]", "userspace/mwctl/*.[ch]",
         "userspace/meterwalld/*.[ch]", "kmod/*.[ch]",
         "bpf/*.[ch]", "common/*.c", "include/meterwall/*.h",
         "include/uapi/linux/*.h"]


def functions(lines):
    """(name, first line, length) of every function body."""
    start = None
    for i, line in enumerate(lines):
        if start is None and line == "{" and i > 0:
            j = i - 1
            while j >= 0 and "(" not in lines[j]:
                j -= 1
            m = re.search(r"(\w+)\s*\(", lines[j]) if j >= 0 else None
            name, start = (m.group(1) if m else "?"), i
        elif start is not None and line == "}":
            yield name, start + 1, i - start + 1
            start = None


def main():
    bad = 0
    files = sorted(f for g in GLOBS for f in glob.glob(g)
                   if not f.endswith(".mod.c"))
    for f in files:
        with open(f, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        n = len(lines) - 1
        limit = MAX_CMD if re.search(r"mwctl/cmd_\w+\.c$", f) else MAX_FILE
        if n > limit:
            print(f"{f}: {n} lines (at most {limit})")
            bad += 1
        for name, at, length in functions(lines):
            if length > MAX_FUNC:
                print(f"{f}:{at}: {name}() is {length} lines (at most {MAX_FUNC})")
                bad += 1
    print(f"{len(files)} files checked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
