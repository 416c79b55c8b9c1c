#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# pktgen benchmark: 64-byte UDP from 50,000 sources at the gateway's
# external interface; received / passed / dropped packets per second for:
# no filter, meterwall.ko loaded without a policy (conntrack only: the
# stateful floor), meterwall.ko with a 100,000-device policy (allowed traffic
# and traffic of a blocked system), nftables doing the module's job with
# conntrack (its equivalent), stateless nftables, iptables raw + ipset;
# then the policy-apply benchmark against the module (-K).
# Each condition runs MW_BENCH_RUNS times (median, min..max).  pktgen and
# module loading exist only in the qemu guest here, so this boots it
# (tests/vm/run.sh) with tests/vm/guest/kmod-bench.sh.  Under TCG compare
# the conditions of one run only: absolute rates are emulation artefacts.
# Writes $OUT/pktgen.log (the guest's output), pktgen.csv, pktgen.txt and
# pktgen.png.
# Env: OUT (bench-results), MW_BENCH_COUNT (packets per run, 100000),
#      MW_BENCH_RUNS (5), MW_VM_TIMEOUT (1800).
set -u
cd "$(dirname "$0")/../.." || exit 1
export O=${O:-build}
OUT=${OUT:-bench-results}
mkdir -p "$OUT"
append=${MW_VM_APPEND:-}
[ -n "${MW_BENCH_COUNT:-}" ] && append+=" MW_BENCH_COUNT=$MW_BENCH_COUNT"
[ -n "${MW_BENCH_RUNS:-}" ] && append+=" MW_BENCH_RUNS=$MW_BENCH_RUNS"
# the conntrack tables of five runs per condition want more than 1 GiB
MW_VM_MEM=${MW_VM_MEM:-2048} MW_VM_APPEND=$append \
	tests/vm/run.sh kmod-bench.sh "${MW_VM_TIMEOUT:-1800}" | tr -d '\r' |
	tee "$OUT/pktgen.log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || { echo "pktgen: the guest run failed (rc $rc)" >&2; exit "$rc"; }

csv=$OUT/pktgen.csv
{
	echo "condition,median_rx_pps,min_rx_pps,max_rx_pps,median_passed_pps,runs"
	sed -n 's/^MW-BENCH,//p' "$OUT/pktgen.log"
} >"$csv"
awk -F, '
NR == 1 { next }
{ name[NR] = $1; med[$1] = $2; lo[$1] = $3; hi[$1] = $4; pass[$1] = $5; runs = $6; n = NR }
function ratio(a, b) { return (a in med) && (b in med) && med[b] ? sprintf("%.2f", med[a] / med[b]) : "-" }
END {
	printf "pktgen (kernel module in the qemu guest, TCG): rx pps, median of %s [min..max]\n", runs
	printf "%-28s %9s %19s %9s\n", "condition", "rx pps", "[min..max]", "passed"
	for (i = 2; i <= n; i++) {
		f = name[i]
		printf "%-28s %9d %19s %9d\n", f, med[f], sprintf("[%d..%d]", lo[f], hi[f]), pass[f]
	}
	printf "\nmeterwall.ko vs nftables stateful (its equivalent): allowed %s, blocked %s (target >= 1)\n",
		ratio("meterwall.ko allowed", "nftables stateful allowed"),
		ratio("meterwall.ko blocked", "nftables stateful blocked")
	printf "meterwall.ko vs stateless nftables: allowed %s, blocked %s; vs iptables+ipset: allowed %s, blocked %s\n",
		ratio("meterwall.ko allowed", "nftables allowed"),
		ratio("meterwall.ko blocked", "nftables blocked"),
		ratio("meterwall.ko allowed", "iptables+ipset allowed"),
		ratio("meterwall.ko blocked", "iptables+ipset blocked")
}' "$csv" | tee "$OUT/pktgen.txt"
grep -h '^module apply' "$OUT/pktgen.log" | tee -a "$OUT/pktgen.txt"
# policy-apply to the module (its tables, as printed in the guest)
awk '/^policy-apply to meterwall.ko/ { print ""; print; next }
     /^devices +phase/ || /^[0-9]+ +(read\+validate|compile|image check|apply|total) / { print }' \
	"$OUT/pktgen.log" | tee -a "$OUT/pktgen.txt"
command -v gnuplot >/dev/null || exit 0
gnuplot <<-GP
set terminal png size 900,520 noenhanced
set output "$OUT/pktgen.png"
set title "pktgen, meterwall.ko in the qemu guest (TCG): rx pps, median (min..max)"
set style data boxes
set style fill solid 0.6
set boxwidth 0.7
set ylabel "rx pps"
set yrange [0:*]
set datafile separator ","
set xtics rotate by -25
plot "$csv" every ::1 using 0:2:xtic(1) with boxes notitle, \
     "$csv" every ::1 using 0:2:3:4 with yerrorbars lc rgb "black" pt 0 notitle
GP
