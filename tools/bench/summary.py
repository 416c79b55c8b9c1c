#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summaries of the meterwall benchmarks (tools/bench/run.sh, pktgen.sh).

  summary.py live CSV NSRC [WHERE]   the xdp-live table: per condition the
                                     median [min..max] over rounds, and the
                                     per-round ratios' medians
  summary.py live-dat CSV            gnuplot data: condition, Mpps median,
                                     min, max
  summary.py cost CSV CLOCK          the xdp-cost table (xdp-testrun's CSV
                                     from the icount guest): per path and
                                     size the cost over bare XDP_DROP, in
                                     instructions (CLOCK icount) or ns
  summary.py targets OUTDIR          every target of issue 13 with its
                                     measured value and met / missed, from
                                     the CSVs in OUTDIR; written to
                                     OUTDIR/targets.csv and compared with
                                     OUTDIR/targets-prev.csv (the run
                                     before) when that exists

A ratio is taken within each round (both conditions measured minutes, not
hours, apart, in the same state of the machine) and its median over the
rounds is the figure; the range of the per-round values is its spread.
"""
import csv
import os
import statistics as st
import sys

AGREE = 0.10        # two consecutive runs: every figure within +-10 %


HOST = [("alu_ns", "ALU step"), ("l2_ns", "1 MiB chase"),
        ("mem_ns", "64 MiB chase")]


def rounds_of(path):
    """{round: {condition: (pps, prog_ns or None)}} and busy % per round."""
    return rounds_host(path)[:2]


def rounds_host(path):
    """rounds_of's two, and {round: {probe: ns}}: tools/bench/hostprobe
    before the round (none in a CSV of a run before it existed)."""
    by, busy, host = {}, {}, {}
    for r in csv.DictReader(open(path)):
        ns = float(r["prog_ns"]) if r["prog_ns"] else None
        by.setdefault(int(r["round"]), {})[r["condition"]] = (
            float(r["pps"]), ns)
        busy[int(r["round"])] = float(r["busy_pct"] or 0)
        if all(r.get(k) for k, _ in HOST):
            host[int(r["round"])] = {k: float(r[k]) for k, _ in HOST}
    return by, busy, host


def host_medians(path):
    """[(probe, label, median ns)] over the rounds, or [] (no probe)."""
    _, _, host = rounds_host(path)
    if not host:
        return []
    return [(k, lab, st.median(h[k] for h in host.values()))
            for k, lab in HOST]


def per_round(by, f):
    """f(round's dict) for every round where all it needs was measured."""
    out = []
    for rd in by.values():
        try:
            out.append(f(rd))
        except (KeyError, TypeError, ZeroDivisionError):
            pass
    return out


def spread(v, fmt="%.3f"):
    if not v:
        return "-"
    return (fmt + " [" + fmt + ".." + fmt + "]") % (st.median(v), min(v),
                                                  max(v))


LIVE_RATIOS = [
    ("mw-blocked / bare (Mpps)", lambda d: d["mw-blocked"][0] / d["bare"][0]),
    ("mw-allowed-prog / bare (Mpps)",
     lambda d: d["mw-allowed-prog"][0] / d["bare"][0]),
    ("mw-blocked / nft-set (Mpps)",
     lambda d: d["mw-blocked"][0] / d["nft-set"][0]),
    ("mw-blocked / iptables-ipset (Mpps)",
     lambda d: d["mw-blocked"][0] / d["iptables-ipset"][0]),
    ("mw-allowed / no-filter (Mpps)",
     lambda d: d["mw-allowed"][0] / d["no-filter"][0]),
]
def rx_ns(d, c):
    """ns per frame condition c costs the receiving side: the generator
    shares the core, so its own time per frame is taken off."""
    return 1e9 / d[c][0] - 1e9 / d["generator"][0]


LIVE_RX = [
    ("nft-set / mw-blocked (receive-side ns/frame)",
     lambda d: rx_ns(d, "nft-set") / rx_ns(d, "mw-blocked")),
    ("iptables-ipset / mw-blocked (receive-side ns/frame)",
     lambda d: rx_ns(d, "iptables-ipset") / rx_ns(d, "mw-blocked")),
]
LIVE_NS = [
    ("mw-blocked program time over bare (ns)",
     lambda d: d["mw-blocked"][1] - d["bare"][1]),
    ("mw-allowed-prog program time over bare (ns)",
     lambda d: d["mw-allowed-prog"][1] - d["bare"][1]),
    ("mw-blocked program time, 1M / 10k devices",
     lambda d: d["mw-blocked-1m"][1] / d["mw-blocked"][1]),
]


def conditions(by):
    """The conditions of the rounds, in their first round's order."""
    conds = []
    for rd in by.values():
        for c in rd:
            if c not in conds:
                conds.append(c)
    return conds


def live(path, nsrc, where):
    by, busy, host = rounds_host(path)
    conds = conditions(by)
    print("\nxdp-live: 64-byte frames from %s sources, %s; %d interleaved "
          "rounds, median [min..max]" % (nsrc, where or
                                        "generator and receiver on one core",
                                        len(by)))
    print("%-16s %22s %24s" % ("condition", "Mpps", "program ns/frame"))
    for c in conds:
        pps = [rd[c][0] / 1e6 for rd in by.values() if c in rd]
        ns = [rd[c][1] for rd in by.values() if c in rd and rd[c][1]]
        print("%-16s %22s %24s" % (c, spread(pps, "%.2f"),
                                   spread(ns, "%.1f") if ns else "-"))
    print("\nreceive-side cost (1/rate - 1/generator's rate), ns per frame:")
    for c in conds:
        if c != "generator":
            print("  %-16s %s" % (c, spread(per_round(
                by, lambda d: rx_ns(d, c)), "%.1f")))
    print("\nper-round ratios, median [min..max]:")
    for name, f in LIVE_RATIOS + LIVE_RX:
        print("  %-52s %s" % (name, spread(per_round(by, f))))
    for name, f in LIVE_NS:
        print("  %-52s %s" % (name, spread(per_round(by, f),
                                           "%.3f" if "/" in name else "%.1f")))
    print("the rest of the machine before each round: %s %% busy" %
          " ".join("%.0f" % busy[r] for r in sorted(busy)))
    if host:
        print("the machine's speed before each round (hostprobe), ns, "
              "median [min..max]:\n  %s" % "; ".join(
                  "%s %s" % (lab, spread([h[k] for h in host.values()],
                                         "%.2f")) for k, lab in HOST))
    print("""(Mpps ratios carry the generator's cost on the shared core, so
 none can exceed bare's own; the receive-side costs take it off.
 mw-allowed passes into the stack, whose own rate is no-filter;
 mw-allowed-prog is the same judgement and accounting with the frame
 dropped after it.  Program time: the kernel's BPF run-time statistics of
 the filter program alone.)""")


def live_dat(path):
    by, _ = rounds_of(path)
    for c in conditions(by):
        pps = [rd[c][0] / 1e6 for rd in by.values() if c in rd]
        print("%s %.3f %.3f %.3f" % (c, st.median(pps), min(pps), max(pps)))


def rows(path):
    return list(csv.DictReader(open(path))) if os.path.exists(path) else []


def cost_over_bare(path):
    """{(devices, path): (median, min, max) over bare's median at that
    size} of an xdp-cost CSV (tools/bench/xdp-cost.sh); sizes in order."""
    res, sizes, all_rows = {}, [], rows(path)
    bare = {r["devices"]: float(r["median_ns"]) for r in all_rows
            if r["path"] == "bare"}
    for r in all_rows:
        d, p = r["devices"], r["path"]
        if p == "bare" or d not in bare:
            continue
        if d not in sizes:
            sizes.append(d)
        b = bare[d]
        res[d, p] = tuple(float(r[k]) - b for k in
                          ("median_ns", "min_ns", "max_ns"))
    return res, sizes, bare


def cost(path, clock):
    unit = "instructions" if clock == "icount" else "ns (guest wall clock)"
    res, sizes, bare = cost_over_bare(path)
    paths = []
    for _, p in res:
        if p not in paths:
            paths.append(p)
    print("\nxdp-cost: the XDP program's own cost per packet, %s, over "
          "bare XDP_DROP\n(xdp-testrun in the qemu guest, one vCPU%s; "
          "median of the runs [min..max])" %
          (unit, " under icount" if clock == "icount" else ""))
    print("%-9s" % "path" + "".join("%26s" % ("%s devices" % d)
                                    for d in sizes) +
          ("%16s" % ("%s / %s" % (sizes[-1], sizes[0]))
           if len(sizes) > 1 else ""))
    print("%-9s" % "bare" + "".join("%26s" % ("(%.0f in all)" % bare[d])
                                    for d in sizes))
    for p in paths:
        line = "%-9s" % p
        for d in sizes:
            m = res.get((d, p))
            line += "%26s" % ("%.0f [%.0f..%.0f]" % m if m else "-")
        a, b = res.get((sizes[0], p)), res.get((sizes[-1], p))
        if len(sizes) > 1 and a and b and a[0]:
            line += "%16.3f" % (b[0] / a[0])
        print(line)


def cost_report(out):
    """The xdp-cost figures of this run beside the run before's
    (OUTDIR/xdp-cost-prev.csv): the same build gives the same counts."""
    now, sizes, _ = cost_over_bare(os.path.join(out, "xdp-cost.csv"))
    if not now:
        return
    prev, _, _ = cost_over_bare(os.path.join(out, "xdp-cost-prev.csv"))
    print("\nthe XDP program's own cost per packet over bare XDP_DROP "
          "(tools/bench/xdp-cost.sh:\ninstructions in the icount guest; "
          "reported, no target):")
    for (d, p), v in now.items():
        cmp = ""
        if (d, p) in prev and prev[d, p][0]:
            pv = prev[d, p][0]
            cmp = "  previous run %.0f (%+.1f %%)" % (pv, (v[0] / pv - 1)
                                                     * 100)
        print("  %-8s %8s devices %8.0f%s" % (p, d, v[0], cmp))


def targets(out):
    """[(name, value, limit, kind)]: kind '<=' or '>='; value None when
    the benchmark did not run."""
    t = []
    lv = os.path.join(out, "xdp-live.csv")
    if os.path.exists(lv):
        by, _ = rounds_of(lv)
        def med(f):
            v = per_round(by, f)
            return st.median(v) if v else None
        t += [
            ("xdp blocked: program ns over bare XDP_DROP", med(LIVE_NS[0][1]),
             20, "<="),
            ("xdp allowed+flow accounting: program ns over bare",
             med(LIVE_NS[1][1]), 60, "<="),
            ("xdp blocked, 1M / 10k devices (live program time)",
             med(LIVE_NS[2][1]), 1.1, "<="),
            ("xdp blocked vs nftables set (receive-side cost)",
             med(LIVE_RX[0][1]), 3, ">="),
            ("xdp blocked vs iptables+ipset (receive-side cost)",
             med(LIVE_RX[1][1]), 4, ">="),
        ]
    tr = rows(os.path.join(out, "xdp-testrun.csv"))
    if tr:
        paths = []
        for r in tr:
            if r["path"] not in paths and not r["path"].startswith("bare"):
                paths.append(r["path"])
        for p in paths:
            # flat: no size costs more than 1.1 x the smallest one (each
            # size's median of the runs' own ratios to the smallest)
            v = [float(r["scaling_vs_smallest"]) for r in tr
                 if r["path"] == p]
            sizes = [r["devices"] for r in tr if r["path"] == p]
            t.append(("xdp %s: costliest size / %s devices (testrun)" %
                      (p, sizes[0]), max(v), 1.1, "<="))
    pa = rows(os.path.join(out, "policy-apply.csv"))
    for n, lim in (("1000000", 2.0), ("100000", 0.3)):
        v = [float(r["median"]) for r in pa
             if r["devices"] == n and r["phase"] == "total"]
        if v:
            t.append(("policy apply %s devices: s" % n, v[0], lim, "<="))
    v = [float(r["peak_rss_mb_max"]) for r in pa
         if r["devices"] == "1000000" and r["phase"] == "total"]
    if v:
        t.append(("policy apply 1000000 devices: peak RSS MiB", v[0], 400,
                  "<="))
    for r in rows(os.path.join(out, "pktgen-targets.csv")):
        t.append((r["name"], float(r["value"]) if r["value"] else None,
                  float(r["limit"]), r["kind"]))
    return t


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, %d CPUs, Linux %s%s" % (model, os.cpu_count() or 0,
                                        os.uname().release, returns())


def returns():
    """How the kernel mitigates return-address speculation, if it does:
    with a return thunk every return the BPF JIT emits costs more (7 ns a
    call on the AMD host of runs 23-29, SRSO safe RET), so program ns from
    hosts that differ here do not compare.  MW_SYS_VULN: another
    directory (tests)."""
    d = os.environ.get("MW_SYS_VULN",
                       "/sys/devices/system/cpu/vulnerabilities")
    said = []
    for name, label in (("spec_rstack_overflow", "SRSO"),
                        ("retbleed", "Retbleed")):
        try:
            with open(os.path.join(d, name)) as f:
                v = f.read().strip()
        except OSError:
            continue
        if v and v != "Not affected":
            said.append("%s %s" % (label, v))
    return "; returns: " + ", ".join(said) if said else ""


def report(out):
    prev = {r["name"]: r for r in rows(os.path.join(out, "targets-prev.csv"))}
    res = targets(out)
    print("\ntargets (issue 13), this run%s, on %s:" %
          (" and the run before it" if prev else "", machine()))
    print("  %-56s %10s %10s  %-6s %s" % ("target", "measured", "limit",
                                          "", "previous run"))
    missed = disagree = 0
    with open(os.path.join(out, "targets.csv"), "w") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "value", "limit", "kind", "met"])
        for name, v, lim, kind in res:
            met = v is not None and (v <= lim if kind == "<=" else v >= lim)
            missed += not met
            w.writerow([name, "" if v is None else "%.4g" % v, lim, kind,
                        "met" if met else "missed"])
            p = prev.get(name)
            cmp = ""
            if p and p["value"] and v is not None:
                pv = float(p["value"])
                ok = pv != 0 and abs(v / pv - 1) <= AGREE
                disagree += not ok
                cmp = "%.4g (%+.1f %%%s)" % (pv, (v / pv - 1) * 100 if pv
                                             else 0, "" if ok else
                                             ", beyond +-10 %")
            print("  %-56s %10s %7s %s  %-6s %s" % (
                name, "-" if v is None else "%.4g" % v, kind, "%g" % lim,
                "met" if met else "MISSED", cmp))
    print("  %d of %d met%s" % (len(res) - missed, len(res),
                                "; %d differ from the run before by more "
                                "than 10 %%" % disagree if prev else ""))
    cost_report(out)
    host_report(out)


def host_report(out):
    """The machine's speed in this run and the one before (hostprobe
    medians, kept in OUTDIR/host.csv): a run whose figures moved with
    the host's speed says so here, where its own load shows nothing."""
    path = os.path.join(out, "xdp-live.csv")
    now = host_medians(path) if os.path.exists(path) else []
    if not now:
        return
    prev = {r["probe"]: float(r["ns"])
            for r in rows(os.path.join(out, "host-prev.csv"))}
    print("\nthe machine during xdp-live (tools/bench/hostprobe, median of "
          "the rounds), ns:")
    with open(os.path.join(out, "host.csv"), "w") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["probe", "ns"])
        for k, lab, v in now:
            w.writerow([k, "%.4g" % v])
            cmp = ""
            if prev.get(k):
                cmp = "  previous run %.4g (%+.1f %%)" % (
                    prev[k], (v / prev[k] - 1) * 100)
            print("  %-14s %8.3f%s" % (lab, v, cmp))


def main(a):
    if len(a) >= 3 and a[1] == "live":
        live(a[2], a[3] if len(a) > 3 else "?", a[4] if len(a) > 4 else "")
    elif len(a) == 3 and a[1] == "live-dat":
        live_dat(a[2])
    elif len(a) == 4 and a[1] == "cost":
        cost(a[2], a[3])
    elif len(a) == 3 and a[1] == "targets":
        report(a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
