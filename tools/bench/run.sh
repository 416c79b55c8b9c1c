#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# meterwall benchmark driver (root): xdp-testrun, xdp-live, policy-apply.
# Results: bench-results/<name>.csv, .txt and .png (gnuplot).
#   O=build tools/bench/run.sh [testrun] [live] [apply]   (default: all)
# Environment: RUNS (5), LIVE_SECONDS (1), SIZES (10,1000,100000,1000000),
#   APPLY_SIZES (1000,100000,1000000), NSRC (1024 live source addresses),
#   OUT (bench-results), LIVE_RX_CPU (unset: the generator and the
#   receiving NAPI share CPU 0, as in the issue's figures; a CPU number:
#   the receiving NAPI runs in its own thread on that CPU).
# The machine is shared: compare figures within one run only; every
# figure is a median of RUNS with min/max, and the baseline is measured
# in the same run.
set -euo pipefail

O=${O:-build}
OUT=${OUT:-bench-results}
RUNS=${RUNS:-5}
LIVE_SECONDS=${LIVE_SECONDS:-1}
SIZES=${SIZES:-10,1000,100000,1000000}
APPLY_SIZES=${APPLY_SIZES:-1000,100000,1000000}
NSRC=${NSRC:-1024}
B=$O/bench
WHAT=${*:-testrun live apply}

[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 1; }
for t in xdp-testrun xdp-live policy-apply; do
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
NS=mwbench$$
PIN=/sys/fs/bpf/mwbench-$$
cleanup() {
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$PIN" 2>/dev/null || true
}

live_setup() {
	ip netns add "$NS"
	trap cleanup EXIT
	ip -n "$NS" link add mwbA type veth peer name mwbB
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip -n "$NS" link set mwbA up
	ip -n "$NS" link set mwbB up
}

# the NSRC source addresses (10.0.0.1 + i), comma separated
live_addrs() {
	local i
	for ((i = 0; i < NSRC; i++)); do
		printf '%s10.%d.%d.%d' "${i:+,}" $(((i + 1) >> 16 & 255)) \
			$(((i + 1) >> 8 & 255)) $(((i + 1) & 255))
	done | sed 's/^,//'
}

live_one() {	# label mode
	nsenter --net=/run/netns/"$NS" "$B/xdp-live" -m "$2" -a mwbA -b mwbB \
		-r "$RUNS" -t "$LIVE_SECONDS" -s "$NSRC" -d 10000 -p "$PIN" \
		${LIVE_RX_CPU:+-T "$LIVE_RX_CPU"} |
		sed "s/^$2,/$1,/"
}

run_live() {
	local addrs csv=$OUT/xdp-live.csv
	live_setup
	addrs=$(live_addrs)
	echo "filter,median_pps,min_pps,max_pps,runs" > "$csv"
	live_one bare bare >> "$csv"
	live_one mw-blocked mw-blocked >> "$csv"
	live_one mw-allowed mw-allowed >> "$csv"
	live_one mw-allowed-prog mw-allowed-prog >> "$csv"
	# nftables: netdev ingress on B, a set of the same addresses
	ip netns exec "$NS" nft -f - <<-EOF
	table netdev mwbench {
		set blk { type ipv4_addr; elements = { $addrs } }
		chain in {
			type filter hook ingress device "mwbB" priority 0; policy accept;
			ip saddr @blk counter drop
		}
	}
	EOF
	live_one nft-set none >> "$csv"
	ip netns exec "$NS" nft delete table netdev mwbench
	# iptables raw PREROUTING + ipset
	ip netns exec "$NS" ipset create mwbench hash:ip
	tr ',' '\n' <<<"$addrs" | sed 's/^/add mwbench /' |
		ip netns exec "$NS" ipset restore
	ip netns exec "$NS" iptables -t raw -A PREROUTING -m set \
		--match-set mwbench src -j DROP
	live_one iptables-ipset none >> "$csv"
	ip netns exec "$NS" iptables -t raw -F PREROUTING
	ip netns exec "$NS" ipset destroy mwbench
	live_one no-filter none >> "$csv"
	cleanup
	trap - EXIT

	where="generator and receiver on one core"
	[ -z "${LIVE_RX_CPU:-}" ] || where="receiver's NAPI on CPU $LIVE_RX_CPU"
	awk -F, -v runs="$RUNS" -v where="$where" '
	NR == 1 { next }
	{ name[NR] = $1; med[$1] = $2; lo[$1] = $3; hi[$1] = $4; n = NR }
	END {
		printf "\nxdp-live: 64-byte frames, %s sources, %s; Mpps, median of %s [min..max]\n", "'"$NSRC"'", where, runs
		printf "%-16s %8s %17s %8s\n", "filter", "Mpps", "[min..max]", "xbare"
		for (i = 2; i <= n; i++) {
			f = name[i]
			printf "%-16s %8.2f %17s %8.3f\n", f, med[f] / 1e6,
				sprintf("[%.2f..%.2f]", lo[f] / 1e6, hi[f] / 1e6),
				med[f] / med["bare"]
		}
		printf "\ntargets: mw-blocked/bare %.3f (>= 0.80); mw-allowed-prog/bare %.3f (>= 0.50); ",
			med["mw-blocked"] / med["bare"], med["mw-allowed-prog"] / med["bare"]
		printf "mw-blocked/nft-set %.2f (>= 3); mw-blocked/iptables-ipset %.2f (>= 4)\n",
			med["mw-blocked"] / med["nft-set"], med["mw-blocked"] / med["iptables-ipset"]
		printf "mw-allowed/no-filter %.3f (mw-allowed passes into the stack, whose own rate is no-filter;\n", med["mw-allowed"] / med["no-filter"]
		printf "  mw-allowed-prog is the same judgement and accounting with the frame dropped after it)\n"
	}' "$csv" | tee "$OUT/xdp-live.txt"
	have_gnuplot || return 0
	gnuplot <<-EOF
	set terminal png size 900,500 noenhanced
	set output "$OUT/xdp-live.png"
	set title "live frames through veth, $where: Mpps (median of $RUNS, min..max)"
	set style data boxes
	set style fill solid 0.6
	set boxwidth 0.7
	set ylabel "Mpps"
	set yrange [0:*]
	set datafile separator ","
	set xtics rotate by -20
	plot "$csv" every ::1 using 0:(\$2/1e6):xtic(1) with boxes notitle, \
	     "$csv" every ::1 using 0:(\$2/1e6):(\$3/1e6):(\$4/1e6) \
	     with yerrorbars lc rgb "black" pt 0 notitle
	EOF
}

# --- policy-apply --------------------------------------------------------
run_apply() {
	"$B/policy-apply" -r "$RUNS" -d "$APPLY_SIZES" \
		-o "$OUT/policy-apply.csv" | tee "$OUT/policy-apply.txt"
	echo "targets: apply 100k <= 1 s, 1M <= 10 s, peak RSS for 1M <= 1024 MiB, block effect <= 1000 us" |
		tee -a "$OUT/policy-apply.txt"
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
