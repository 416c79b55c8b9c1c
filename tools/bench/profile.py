#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where a BPF program's time goes: a CPU profile's samples put on the
program's functions and source lines (tools/bench/xdp-profile.sh).

  profile.py LINES IPS TITLE [CSV]

LINES: bpf-lines' CSV (prog_id,func,func_start,func_len,addr,file,line,
text: the JIT address where each source line's code starts).  IPS: one
sampled instruction pointer per line, hex (perf script -F ip), of every
CPU and everything that ran; the samples outside the program count only
in its share of the whole.  A timer sample's IP is the instruction after
the one the CPU was retiring, so a sample is put on the byte before its
IP: a load that keeps the CPU waiting has its samples on its own line,
not on the line after it.  Prints the share of each function and of each
source line (a line inlined in several places summed over them), the
costliest first; CSV, when given: the lines' table.  Exits 1 when no
sample fell in the program.
"""
import bisect
import csv
import sys

TOP = 25


def load_lines(path):
    """Per function (start, end, name) and the sorted line starts."""
    funcs, starts, where = {}, [], {}
    with open(path) as f:
        for r in csv.DictReader(f):
            s = int(r["func_start"], 16)
            funcs[s] = (s + int(r["func_len"]), r["func"])
            a = int(r["addr"], 16)
            if a not in where:
                starts.append(a)
            where[a] = (r["file"], int(r["line"]), r["text"], r["func"])
    starts.sort()
    fstarts = sorted(funcs)
    return funcs, fstarts, starts, where


def place(ip, funcs, fstarts, starts, where):
    """(function name, (file, line, text)) of the byte before ip, or None
    outside the program."""
    a = ip - 1
    i = bisect.bisect_right(fstarts, a) - 1
    if i < 0 or a >= funcs[fstarts[i]][0]:
        return None
    fs = fstarts[i]
    k = bisect.bisect_right(starts, a) - 1
    if k < 0 or starts[k] < fs:
        return funcs[fs][1], ("?", 0, "(before the first line record)")
    file, line, text, _ = where[starts[k]]
    return funcs[fs][1], (file, line, text)


def profile(lines, ips, title, out_csv=None):
    funcs, fstarts, starts, where = load_lines(lines)
    total = 0
    by_func, by_line, line_funcs = {}, {}, {}
    with open(ips) as f:
        for s in f:
            s = s.strip()
            if not s:
                continue
            total += 1
            try:
                p = place(int(s, 16), funcs, fstarts, starts, where)
            except ValueError:
                continue
            if p is None:
                continue
            fn, ln = p
            by_func[fn] = by_func.get(fn, 0) + 1
            by_line[ln] = by_line.get(ln, 0) + 1
            line_funcs.setdefault(ln, set()).add(fn)
    n = sum(by_func.values())
    if not n:
        sys.exit("profile: no sample fell in the program (%d samples in "
                 "all): was it running?" % total)
    print("\n%s: %d samples in the program, %.1f %% of all %d" %
          (title, n, 100.0 * n / total, total))
    print("  by function:")
    for fn, c in sorted(by_func.items(), key=lambda x: -x[1]):
        print("    %5.1f %%  %s" % (100.0 * c / n, fn))
    print("  by source line, the costliest %d (a sample on the byte before "
          "its IP):" % TOP)
    ranked = sorted(by_line.items(), key=lambda x: (-x[1], x[0]))
    for (file, line, text), c in ranked[:TOP]:
        print("    %5.1f %%  %-22s %-46.46s [%s]" % (
            100.0 * c / n, "%s:%d" % (file, line), text,
            ",".join(sorted(line_funcs[file, line, text]))))
    if out_csv:
        with open(out_csv, "w") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["file", "line", "samples", "share", "funcs", "text"])
            for (file, line, text), c in ranked:
                w.writerow([file, line, c, "%.4f" % (c / n),
                            " ".join(sorted(line_funcs[file, line, text])),
                            text])


def main(a):
    if len(a) not in (4, 5):
        sys.exit(__doc__)
    profile(a[1], a[2], a[3], a[4] if len(a) == 5 else None)


if __name__ == "__main__":
    main(sys.argv)
