#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# meterwall benchmark driver (root): xdp-testrun, xdp-live, policy-apply.
# Results: bench-results/<name>.csv, .txt and .png (gnuplot); the targets
# of all benchmarks: tools/bench/summary.py targets (make bench).
#   O=build tools/bench/run.sh [testrun] [live] [apply]   (default: all)
# Environment: RUNS (11: xdp-testrun and policy-apply runs), ROUNDS (12:
#   xdp-live rounds), LIVE_SECONDS (1), SIZES (10,1000,100000,1000000),
#   APPLY_SIZES (1000,100000,1000000), NSRC (1024 live source addresses),
#   OUT (bench-results), LIVE_RX_CPU (unset: the generator and the
#   receiving NAPI share CPU 0; a CPU number: the receiving NAPI runs in
#   its own thread on that CPU), MW_BENCH_QUIET (0.05) and
#   MW_BENCH_QUIET_WAIT (30 s): before every round (every run of
#   policy-apply) the benchmarks wait until at most that share of the
#   machine's CPU time is busy elsewhere, or that long, and record what
#   they saw; and before every xdp-live round, the speed of the core and
#   its caches now ($O/bench/hostprobe: what neighbours on the host take,
#   which the busy share does not see).
# The machine is shared: compare figures within one run only.  Every
# condition runs once per round, rounds interleave them, and every ratio
# is a median of per-round ratios with its range.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib.sh

O=${O:-build}
OUT=${OUT:-bench-results}
RUNS=${RUNS:-11}
ROUNDS=${ROUNDS:-12}
LIVE_SECONDS=${LIVE_SECONDS:-1}
SIZES=${SIZES:-10,1000,100000,1000000}
APPLY_SIZES=${APPLY_SIZES:-1000,100000,1000000}
NSRC=${NSRC:-1024}
B=$O/bench
WHAT=${*:-testrun live apply}

[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 1; }
for t in xdp-testrun xdp-live policy-apply hostprobe; do
	[ -x "$B/$t" ] || { echo "run.sh: $B/$t missing: make bench-build" >&2; exit 1; }
done
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$OUT"
have_gnuplot() { command -v gnuplot >/dev/null; }

# --- xdp-testrun -------------------------------------------------------
run_testrun() {
	"$B/xdp-testrun" -r "$RUNS" -d "$SIZES" -o "$OUT/xdp-testrun.csv" \
		| tee "$OUT/xdp-testrun.txt"
	have_gnuplot || return 0
	# one line per path: ns/packet over the device count
	awk -F, 'NR > 1 { print > ("'"$OUT"'/.tr-" $2 ".dat") }' \
		"$OUT/xdp-testrun.csv"
	gnuplot <<-EOF
	set terminal png size 900,560 noenhanced
	set output "$OUT/xdp-testrun.png"
	set title "meterwall XDP, BPF_PROG_TEST_RUN: ns per packet (median of $RUNS)"
	set xlabel "devices in the policy"
	set ylabel "ns/packet"
	set logscale x
	set key outside right
	set datafile separator ","
	plot for [p in "bare blocked unknown allowed newflow ipv6x bare1"] \
	     "$OUT/.tr-".p.".dat" using 1:3:4:5 with yerrorlines title p
	EOF
	rm -f "$OUT"/.tr-*.dat
}

# --- xdp-live ----------------------------------------------------------
# Conditions are interleaved: every round runs each once (in an order
# rotated by one every round), after waiting for a quiet machine, so a
# drift or a burst of load from elsewhere falls on every condition alike;
# the summary takes per-round ratios.  The meterwall and bare conditions
# also give the filter program's own time per frame (xdp-live -S: the
# kernel's BPF run-time statistics, in a second run of the same length).
# "generator" is the frame generator alone (its frames dropped at once):
# the generator and the receiver share one core, so a condition's cost on
# the receiving side is 1/its rate - 1/the generator's rate (summary.py).
NS=mwbench$$
PIN=/sys/fs/bpf/mwbench-$$
LIVE_CONDS="generator bare mw-blocked mw-blocked-1m mw-allowed mw-allowed-prog nft-set iptables-ipset no-filter"
cleanup() {
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$PIN" 2>/dev/null || true
}

live_setup() {
	trap cleanup EXIT
	veth_ns "$NS" mwbA mwbB
}

# the NSRC source addresses (10.0.0.1 + i), comma separated
live_addrs() {
	local i
	for ((i = 0; i < NSRC; i++)); do
		printf '%s10.%d.%d.%d' "${i:+,}" $(((i + 1) >> 16 & 255)) \
			$(((i + 1) >> 8 & 255)) $(((i + 1) & 255))
	done | sed 's/^,//'
}

# netfilter of condition $1: up or down ($2)
live_rules() {
	case $1:$2 in
	nft-set:up)	# netdev ingress on B, a set of the same addresses
		ip netns exec "$NS" nft -f - <<-EOF2
		table netdev mwbench {
			set blk { type ipv4_addr; elements = { $LIVE_ADDRS } }
			chain in {
				type filter hook ingress device "mwbB" priority 0; policy accept;
				ip saddr @blk counter drop
			}
		}
		EOF2
		;;
	nft-set:down) ip netns exec "$NS" nft delete table netdev mwbench ;;
	iptables-ipset:up)	# iptables raw PREROUTING + ipset
		ip netns exec "$NS" ipset create mwbench hash:ip
		tr ',' '\n' <<<"$LIVE_ADDRS" | sed 's/^/add mwbench /' |
			ip netns exec "$NS" ipset restore
		ip netns exec "$NS" iptables -t raw -A PREROUTING -m set \
			--match-set mwbench src -j DROP
		;;
	iptables-ipset:down)
		ip netns exec "$NS" iptables -t raw -F PREROUTING
		ip netns exec "$NS" ipset destroy mwbench
		;;
	esac
}

# one run of condition $1: "pps,ns" (ns empty without a program);
# mw-blocked-1m: the same blocked sources in a 1,000,000-device policy
live_one() {
	local mode=$1 stats=-S devices=10000
	case $1 in
	mw-blocked-1m) mode=mw-blocked devices=1000000 ;;
	nft-set|iptables-ipset|no-filter) mode=none stats= ;;
	generator) mode=gen stats= ;;
	esac
	nsenter --net=/run/netns/"$NS" "$B/xdp-live" -m "$mode" -a mwbA \
		-b mwbB -r 1 -t "$LIVE_SECONDS" -s "$NSRC" -d "$devices" -p "$PIN" \
		$stats ${LIVE_RX_CPU:+-T "$LIVE_RX_CPU"} |
		awk -F, '{ print $2 "," $6 }'
}

run_live() {
	local csv=$OUT/xdp-live.csv r c i busy host conds res where
	live_setup
	LIVE_ADDRS=$(live_addrs)
	read -r -a conds <<<"$LIVE_CONDS"
	echo "round,condition,pps,prog_ns,busy_pct,alu_ns,l2_ns,mem_ns" >"$csv"
	for ((r = 0; r < ROUNDS; r++)); do
		busy=$(quiet_wait)
		host=$("$B/hostprobe")
		for ((i = 0; i < ${#conds[@]}; i++)); do
			c=${conds[(i + r) % ${#conds[@]}]}
			live_rules "$c" up
			res=$(live_one "$c")
			live_rules "$c" down
			echo "$((r + 1)),$c,$res,$busy,$host" >>"$csv"
		done
		echo "xdp-live: round $((r + 1)) of $ROUNDS (the rest of the machine $busy% busy before it; hostprobe alu,l2,mem ns: $host)" >&2
	done
	cleanup
	trap - EXIT
	where=
	[ -z "${LIVE_RX_CPU:-}" ] || where="the receiving NAPI on CPU $LIVE_RX_CPU"
	python3 tools/bench/summary.py live "$csv" "$NSRC" "$where" |
		tee "$OUT/xdp-live.txt"
	have_gnuplot || return 0
	python3 tools/bench/summary.py live-dat "$csv" >"$OUT/.live.dat"
	gnuplot <<-EOF2
	set terminal png size 900,500 noenhanced
	set output "$OUT/xdp-live.png"
	set title "live frames through veth: Mpps, median of $ROUNDS interleaved rounds [min..max]"
	set style data boxes
	set style fill solid 0.6
	set boxwidth 0.7
	set ylabel "Mpps"
	set yrange [0:*]
	set xtics rotate by -20
	plot "$OUT/.live.dat" using 0:2:xtic(1) with boxes notitle, \
	     "$OUT/.live.dat" using 0:2:3:4 with yerrorbars lc rgb "black" pt 0 notitle
	EOF2
	rm -f "$OUT/.live.dat"
}

# --- policy-apply --------------------------------------------------------
run_apply() {
	"$B/policy-apply" -r "$RUNS" -d "$APPLY_SIZES" \
		-o "$OUT/policy-apply.csv" | tee "$OUT/policy-apply.txt"
	have_gnuplot || return 0
	grep ',total,' "$OUT/policy-apply.csv" > "$OUT/.pa.dat" || true
	gnuplot <<-EOF
	set terminal png size 900,500 noenhanced
	set output "$OUT/policy-apply.png"
	set title "policy validate+compile+apply (median of $RUNS) and peak RSS"
	set xlabel "devices"
	set logscale xy
	set ylabel "seconds"
	set y2label "peak RSS (MiB)"
	set y2tics
	set logscale y2
	set datafile separator ","
	plot "$OUT/.pa.dat" using 1:3:4:5 with yerrorlines title "total s", \
	     "$OUT/.pa.dat" using 1:6 axes x1y2 with linespoints title "peak RSS MiB"
	EOF
	rm -f "$OUT/.pa.dat"
}

for w in $WHAT; do
	case $w in
	testrun) run_testrun ;;
	live) run_live ;;
	apply) run_apply ;;
	*) echo "run.sh: unknown part $w" >&2; exit 2 ;;
	esac
done
echo "results in $OUT/"
