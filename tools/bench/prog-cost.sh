#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# prog-cost: the XDP program's own cost per packet under live frames, for
# one or more builds, conditions interleaved.  xdp-live
# (tools/bench/xdp-live.c) sends 64-byte frames through a veth pair and,
# with -S, runs again with the kernel's BPF run-time statistics on for its
# own life and reads its program's run_time_ns and run_cnt before and
# after: their deltas' ratio is the program's time per frame, not the
# generator's nor the stack's.  Every round runs every build in every
# condition once (ABAB...), so drift hits all alike; the summary gives
# each median with its range and, for the builds after the first, the
# median of the per-round ratios to the first.
#
#   tools/bench/prog-cost.sh [-r ROUNDS] [-t SECONDS] [-s SOURCES] \
#       [-c CONDITIONS] LABEL=BUILD_DIR [LABEL=BUILD_DIR ...]
#
# BUILD_DIR holds bench/xdp-live (make bench-build O=BUILD_DIR, in the tree
# of that version).  Conditions (-c, comma-separated; default all three):
# bare (XDP_DROP alone), mw-blocked (every source a blocked device),
# mw-allowed-prog (every source allowed, flow records on, the sink
# variant drops after accounting).  Root; needs python3.  Results in
# bench-results/prog-cost-*.csv.
set -u
. "$(dirname "$0")/lib.sh"
ROUNDS=10 SECS=3 NSRC=64 CONDS=bare,mw-blocked,mw-allowed-prog
while getopts r:t:s:c: o; do
	case $o in
	r) ROUNDS=$OPTARG ;;
	t) SECS=$OPTARG ;;
	s) NSRC=$OPTARG ;;
	c) CONDS=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { sed -n 4,23p "$0"; exit 2; }
for b in "$@"; do
	[ -x "${b#*=}/bench/xdp-live" ] || { echo "prog-cost: ${b#*=}/bench/xdp-live missing (make bench-build)" >&2; exit 1; }
done
NS=mwpc$$
PIN=/sys/fs/bpf/mwpc-$$
OUTDIR=${OUTDIR:-bench-results}
mkdir -p "$OUTDIR"
CSV=$OUTDIR/prog-cost-$(date +%Y%m%d-%H%M%S).csv
cleanup() {
	ip netns del "$NS" 2>/dev/null
	rm -rf "$PIN"
}
trap cleanup EXIT
veth_ns "$NS" mwpA mwpB || exit 1

# xdp-live -S prints mode,median_pps,min,max,runs,median_ns,min_ns,max_ns
echo "round,build,condition,pps,ns_per_packet" >"$CSV"
for r in $(seq 1 "$ROUNDS"); do
	for b in "$@"; do
		for mode in ${CONDS//,/ }; do
			res=$(nsenter --net=/run/netns/"$NS" "${b#*=}/bench/xdp-live" \
				-m "$mode" -a mwpA -b mwpB -r 1 -t "$SECS" \
				-s "$NSRC" -d 10000 -p "$PIN" -S | tail -n 1)
			IFS=, read -r m pps _ _ _ ns _ <<<"$res"
			if [ "$m" != "$mode" ] || [ -z "$ns" ]; then
				echo "prog-cost: xdp-live gave no figure for $mode (${b%%=*}, round $r): '$res'" >&2
				exit 1
			fi
			echo "$r,${b%%=*},$mode,$pps,$ns" >>"$CSV"
		done
	done
	echo "prog-cost: round $r of $ROUNDS" >&2
done

python3 - "$CSV" <<'EOF'
import csv, statistics as st, sys
rows = list(csv.DictReader(open(sys.argv[1])))
builds = list(dict.fromkeys(r["build"] for r in rows))
conds = list(dict.fromkeys(r["condition"] for r in rows))
by = {}
for r in rows:
    by.setdefault((r["build"], r["condition"]), []).append(r)
print(f"\nprogram time per 64-byte frame (BPF run-time statistics), "
      f"median [min..max] of {len(by[(builds[0], conds[0])])} rounds; "
      f"Mpps of the whole path beside it")
for c in conds:
    for b in builds:
        ns = [float(x["ns_per_packet"]) for x in by[(b, c)]]
        pps = [float(x["pps"]) / 1e6 for x in by[(b, c)]]
        line = (f"  {c:16s} {b:10s} {st.median(ns):7.2f} ns "
                f"[{min(ns):.2f}..{max(ns):.2f}]  {st.median(pps):5.2f} Mpps")
        if b != builds[0]:
            base = [float(x["ns_per_packet"]) for x in by[(builds[0], c)]]
            q = [n / o for n, o in zip(ns, base)]
            line += (f"  / {builds[0]}: {st.median(q):.3f} "
                     f"[{min(q):.3f}..{max(q):.3f}]")
        print(line)
    if c != "bare" and "bare" in conds:
        for b in builds:
            d = [float(x["ns_per_packet"]) - float(y["ns_per_packet"])
                 for x, y in zip(by[(b, c)], by[(b, "bare")])]
            print(f"  {c:16s} {b:10s} over bare: {st.median(d):6.2f} ns "
                  f"[{min(d):.2f}..{max(d):.2f}]")
print(f"\nraw: {sys.argv[1]}")
EOF
