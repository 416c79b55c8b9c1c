#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# pktgen benchmark: 64-byte UDP from 50,000 sources received on the
# gateway's external interface (pktgen hands each packet it builds to
# ext0's receive path: one CPU, no queue between), for: no filter,
# conntrack alone (an nft rule that tracks every packet and filters none:
# the stateful floor), meterwall.ko with a 100,000-device policy (allowed
# traffic and traffic of a blocked system), nftables doing the module's job
# with conntrack (its equivalent), stateless nftables, iptables raw +
# ipset; then the policy-apply benchmark against the module (-K).  Per
# condition: the cost of one packet, built and received, in the guest's
# clock; per pair of conditions the median of the rounds' own ratios.
# pktgen and module loading exist only in the qemu guest here, so this
# boots it (tests/vm/run.sh), by default with one vCPU under icount
# (MW_VM_SMP=1, MW_VM_ICOUNT=shift=0,sleep=off): the guest's clock counts
# the instructions executed, 1 ns each, so the figures are instructions per
# packet and do not move with the host's load (tests/vm/guest/kmod-bench.sh
# says why: TCG's wall clock moved the same run by 2x).  MW_VM_ICOUNT=
# (empty) measures with the guest's wall clock instead.  The conditions
# are interleaved: each round runs every one once.
# Writes $OUT/pktgen.log (the guest's output), pktgen.csv, pktgen.txt and
# pktgen.png.
# Env: OUT (bench-results), MW_BENCH_COUNT (packets per run, 50000),
#      MW_BENCH_ROUNDS (12), MW_BENCH_BUDGET (guest seconds for the rounds,
#      390), MW_BENCH_APPLY (0: no policy-apply), MW_BENCH_PERF (1: perf
#      profile of the module and of nftables stateful blocked instead, with
#      MW_VM_PERF=1), MW_VM_TIMEOUT (720), MW_PKTGEN_LOG (a guest's output
#      kept from before: no guest, its summary only).
set -u
cd "$(dirname "$0")/../.." || exit 1
export O=${O:-build}
OUT=${OUT:-bench-results}
mkdir -p "$OUT"
export MW_VM_SMP=${MW_VM_SMP:-1} MW_VM_ICOUNT=${MW_VM_ICOUNT-shift=0,sleep=off}
. tools/bench/lib.sh
# a quiet host before the guest starts (inside, the rounds interleave the
# conditions; the guest cannot see the host's load)
[ -n "${MW_PKTGEN_LOG:-}" ] ||
	echo "pktgen: the rest of the machine $(quiet_wait)% busy before the guest started"
# 2 GiB: the conntrack tables of the stateful runs want more than 1 GiB
guest_log pktgen kmod-bench.sh "${MW_VM_TIMEOUT:-720}" "${MW_PKTGEN_LOG:-}" \
	MW_BENCH_COUNT MW_BENCH_ROUNDS MW_BENCH_BUDGET MW_BENCH_APPLY \
	MW_BENCH_PERF || exit
[ "${MW_BENCH_PERF:-0}" = 1 ] && exit 0

csv=$OUT/pktgen.csv
{
	echo "condition,median_rx_pps,min_rx_pps,max_rx_pps,median_passed_pps,rounds,median_rx_ns,min_rx_ns,max_rx_ns"
	sed -n 's/^MW-BENCH,//p' "$OUT/pktgen.log"
} >"$csv"
# the table, then per-round ratios
# (MW-RUN,<round>,<condition>,<rx>,<passed>,<ns per packet>)
# the targets also as name,value,limit,kind for tools/bench/summary.py
tcsv=$OUT/pktgen-targets.csv
echo "name,value,limit,kind" >"$tcsv"
{ cat "$csv"; grep -E '^MW-(RUN|CLOCK),' "$OUT/pktgen.log"; } | awk -F, -v tcsv="$tcsv" '
$1 == "MW-CLOCK" { icount = $2 == "icount"; next }
$1 == "MW-RUN" { cc[$2, $3] = $6; if ($2 > nr) nr = $2; next }
NR == 1 { next }
{ name[++n] = $1; med[$1] = $2; lo[$1] = $3; hi[$1] = $4; pass[$1] = $5; runs = $6
  cmed[$1] = $7; clo[$1] = $8; chi[$1] = $9 }
function sortv(a, k,   i, j, t) {
	for (i = 2; i <= k; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
}
# the rounds own b / a (costs: how many packets a takes in the time b takes
# for one), or a - b with diff, sorted into v; their number
function per_round(a, b, diff, v,   r, k) {
	k = 0
	for (r = 1; r <= nr; r++)
		if (((r, a) in cc) && ((r, b) in cc) && (diff || cc[r, a] > 0))
			v[++k] = diff ? cc[r, a] - cc[r, b] : cc[r, b] / cc[r, a]
	sortv(v, k)
	return k
}
# median [min..max] of the rounds own cost ratios b / a (rmed: the median)
function cratio(a, b,   k, v) {
	if (!(k = per_round(a, b, 0, v))) { rmed = 0; return "-" }
	rmed = v[int((k + 1) / 2)]
	return sprintf("%.3f [%.3f..%.3f] (%d rounds)", rmed, v[1], v[k], k)
}
# median [min..max] of the rounds own cost differences a - b
function cdiff(a, b,   k, v) {
	if (!(k = per_round(a, b, 1, v))) return "-"
	return sprintf("%+d [%+d..%+d]", v[int((k + 1) / 2)], v[1], v[k])
}
function target(a, b,   s) {
	s = cratio(a, b)
	printf "target: %s \342\211\245 1.0 \303\227 %s (cost per packet): %s -> %s\n", a, b, s, (s != "-" && rmed >= 1.0 ? "met" : "missed")
	printf "%s / %s (pktgen; cost per packet),%s,1,>=\n", a, b, s != "-" ? sprintf("%.3f", rmed) : "" >>tcsv
}
END {
	unit = icount ? "instructions" : "ns"
	printf "pktgen (meterwall.ko in the qemu guest, %s): per packet built and received,\nmedian of %s interleaved rounds\n",
		icount ? "one vCPU under icount: the guest clock counts instructions, 1 ns each" : "TCG, wall clock", runs
	printf "%-28s %9s %19s %9s %11s %17s\n", "condition", "rx pps", "[min..max]", "passed",
		icount ? "insn/pkt" : "ns/pkt", "[min..max]"
	for (i = 1; i <= n; i++) {
		f = name[i]
		printf "%-28s %9d %19s %9d %11d %17s\n", f, med[f], sprintf("[%d..%d]", lo[f], hi[f]), pass[f],
			cmed[f], sprintf("[%d..%d]", clo[f], chi[f])
	}
	if (icount)
		printf "(pps in the guest clock: 10^9 / instructions per packet)\n"
	printf "\ncost ratios, median of the rounds own ratios [min..max] (the other'"'"'s %s per packet\n", unit
	printf "over meterwall.ko'"'"'s; > 1: meterwall.ko the cheaper):\n"
	printf "  meterwall.ko / nftables stateful: allowed %s, blocked %s\n",
		cratio("meterwall.ko allowed", "nftables stateful allowed"),
		cratio("meterwall.ko blocked", "nftables stateful blocked")
	printf "  meterwall.ko / stateless nftables: allowed %s, blocked %s\n",
		cratio("meterwall.ko allowed", "nftables allowed"),
		cratio("meterwall.ko blocked", "nftables blocked")
	printf "  meterwall.ko / iptables+ipset: allowed %s, blocked %s\n",
		cratio("meterwall.ko allowed", "iptables+ipset allowed"),
		cratio("meterwall.ko blocked", "iptables+ipset blocked")
	printf "%s per packet over conntrack alone (rounds own differences, median [min..max]):\n", unit
	printf "  meterwall.ko allowed %s, nftables stateful allowed %s\n",
		cdiff("meterwall.ko allowed", "conntrack alone"), cdiff("nftables stateful allowed", "conntrack alone")
	printf "  conntrack alone over no filter %s; blocked over no filter: meterwall.ko %s, nftables stateful %s\n",
		cdiff("conntrack alone", "no filter"), cdiff("meterwall.ko blocked", "no filter"),
		cdiff("nftables stateful blocked", "no filter")
	printf "\n"
	target("meterwall.ko allowed", "nftables stateful allowed")
	target("meterwall.ko blocked", "nftables stateful blocked")
}' | tee "$OUT/pktgen.txt"
grep -h '^module apply' "$OUT/pktgen.log" | tee -a "$OUT/pktgen.txt"
# policy-apply to the module (its tables, as printed in the guest)
awk '/^policy-apply to meterwall.ko/ { print ""; print; next }
     /^devices +phase/ || /^[0-9]+ +(read\+validate|compile|image check|apply|total) / { print }' \
	"$OUT/pktgen.log" | tee -a "$OUT/pktgen.txt"
command -v gnuplot >/dev/null || exit 0
gnuplot <<-GP
set terminal png size 900,520 noenhanced
set output "$OUT/pktgen.png"
set title "pktgen, meterwall.ko in the qemu guest: rx pps (guest clock), median of the rounds (min..max)"
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
