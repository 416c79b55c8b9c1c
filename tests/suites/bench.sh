#!/usr/bin/env bash
# The benchmark tooling (tools/bench): the summary's arithmetic on figures
# whose ratios are known (per-round ratios, medians, the receive-side cost
# with the generator's taken off, met / missed, the comparison with the
# run before), then one short round of the live benchmark and a policy
# apply, so that `make bench` cannot rot unseen: every condition measured,
# every program time present.  Root (veth, XDP); figures are not judged
# here (a shared test machine), only that they are there.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/suite.sh
O=${O:-build}
[ "$(id -u)" = 0 ] || cannot_run "needs root"
command -v python3 >/dev/null || cannot_run "python3 missing (make deps)"
for t in xdp-live xdp-testrun policy-apply; do
	[ -x "$O/bench/$t" ] || cannot_run "$O/bench/$t missing (make bench-build)"
done
command -v qemu-system-x86_64 >/dev/null || cannot_run "qemu missing (make deps): xdp-cost"
command -v perf >/dev/null || cannot_run "perf missing (make deps): xdp-profile"
[ -x "$O/bench/bpf-lines" ] || cannot_run "$O/bench/bpf-lines missing (make bench-build)"
W=$(mktemp -d /tmp/mw-bench-suite.XXXXXX)
trap 'rm -rf "$W"' EXIT

# --- summary.py on known figures ----------------------------------------
# round 1: generator 50 ns/frame, bare 100, blocked 125, nft-set 250,
# iptables 400; program ns bare 20, blocked 40 (1M: 44), allowed-prog 70.
# round 2: the same but program ns bare 21, blocked 43.
mkdir -p "$W/s"
{
	echo "round,condition,pps,prog_ns,busy_pct"
	for r in 1 2; do
		bare=20 blk=40
		[ $r = 2 ] && bare=21 blk=43
		echo "$r,generator,20000000,,3"
		echo "$r,bare,10000000,$bare,3"
		echo "$r,mw-blocked,8000000,$blk,3"
		echo "$r,mw-blocked-1m,7000000,44,3"
		echo "$r,mw-allowed,2000000,100,3"
		echo "$r,mw-allowed-prog,5000000,70,3"
		echo "$r,nft-set,4000000,,3"
		echo "$r,iptables-ipset,2500000,,3"
		echo "$r,no-filter,2500000,,3"
	done
} >"$W/s/xdp-live.csv"
python3 tools/bench/summary.py live "$W/s/xdp-live.csv" 1024 >"$W/live.txt" 2>&1
has() { grep -qE "$2" "$1"; }
check "summary: receive-side cost takes the generator off (blocked 75 ns)" \
	has "$W/live.txt" '^  mw-blocked +75\.0 \[75\.0\.\.75\.0\]'
check "summary: nft-set / blocked on receive-side cost = 200/75" \
	has "$W/live.txt" 'nft-set / mw-blocked .* 2\.667 \[2\.667\.\.2\.667\]'
check "summary: blocked over bare is the median of per-round differences" \
	has "$W/live.txt" 'mw-blocked program time over bare \(ns\) +21\.0 \[20\.0\.\.22\.0\]'
check "summary: blocked / bare in Mpps stays beside it" \
	has "$W/live.txt" 'mw-blocked / bare \(Mpps\) +0\.800'
printf 'name,value,limit,kind,met\n"xdp blocked: program ns over bare XDP_DROP",18,20,<=,met\n"xdp allowed+flow accounting: program ns over bare",50,60,<=,met\n' \
	>"$W/s/targets-prev.csv"
mkdir -p "$W/vuln"
echo "Vulnerable: Safe RET, no microcode" >"$W/vuln/spec_rstack_overflow"
echo "Not affected" >"$W/vuln/retbleed"
MW_SYS_VULN=$W/vuln python3 tools/bench/summary.py targets "$W/s" >"$W/targets.txt" 2>&1
check "targets: the machine line says how returns are mitigated (SRSO safe RET; Retbleed not affected: left out)" \
	bash -c "grep -q 'returns: SRSO Vulnerable: Safe RET, no microcode:\$' '$W/targets.txt' && ! grep -q Retbleed '$W/targets.txt'"
check "targets: 21 ns over bare misses <= 20" \
	has "$W/targets.txt" 'program ns over bare XDP_DROP +21 +<= 20 +MISSED'
check "targets: allowed 49.5 ns over bare (50, 49) is met" \
	has "$W/targets.txt" 'allowed\+flow accounting: program ns over bare +49\.5 +<= 60 +met'
check "targets: 1M / 10k devices 1.062 (44/40, 44/43) is met (<= 1.1)" \
	has "$W/targets.txt" '1M / 10k devices .* 1\.062 +<= 1\.1 +met'
check "targets: nft-set / blocked 2.667 misses >= 3" \
	has "$W/targets.txt" 'nftables set \(receive-side cost\) +2\.667 +>= 3 +MISSED'
check "targets: iptables / blocked 4.667 meets >= 4" \
	has "$W/targets.txt" 'iptables\+ipset \(receive-side cost\) +4\.667 +>= 4 +met'
check "targets: +16.7 % against the run before is flagged" \
	has "$W/targets.txt" '18 \(\+16\.7 %, beyond \+-10 %\)'
check "targets: a figure within 10 % of the run before agrees" \
	has "$W/targets.txt" '50 \(-1\.0 %\)$'
check "targets: written for the next run to compare with" \
	has "$W/s/targets.csv" '^xdp blocked: program ns over bare XDP_DROP,21,20,<=,missed$'

# --- the host probe in the record -----------------------------------------
# the same live CSV with hostprobe's three figures per round (1 MiB chase
# 8 then 10 ns: median 9), and the probe of the run before (6 ns)
mkdir -p "$W/h"
awk -F, -v OFS=, 'NR == 1 { print $0, "alu_ns,l2_ns,mem_ns"; next }
	{ print $0, "1.4", ($1 == 1 ? 8 : 10), "150" }' "$W/s/xdp-live.csv" \
	>"$W/h/xdp-live.csv"
printf 'probe,ns\nalu_ns,1.4\nl2_ns,6\nmem_ns,150\n' >"$W/h/host-prev.csv"
python3 tools/bench/summary.py live "$W/h/xdp-live.csv" 1024 >"$W/hl.txt" 2>&1
check "summary: the rounds' host probe, median [min..max]" \
	has "$W/hl.txt" '1 MiB chase 9\.00 \[8\.00\.\.10\.00\]'
python3 tools/bench/summary.py targets "$W/h" >"$W/ht.txt" 2>&1
check "targets: the host probe beside the run before's (+50 %)" \
	has "$W/ht.txt" '1 MiB chase +9\.000  previous run 6 \(\+50\.0 %\)'
check "targets: the probe kept for the next run" \
	has "$W/h/host.csv" '^l2_ns,9$'
expect_rc "targets: no probe line from a CSV without one" 1 \
	has "$W/targets.txt" 'hostprobe'

# --- testrun flatness: the runs' own ratios, not the ratio of medians ------
# blocked: medians 40 and 48 ns (a ratio of 1.2) but each run's 1000-device
# time within 5 % of its 10-device time; unknown: 2 % then 20 % over
mkdir -p "$W/t"
{
	echo "devices,path,median_ns,min_ns,max_ns,ratio_vs_bare,scaling_vs_smallest"
	echo "10,bare,10,10,10,1,1"
	echo "10,blocked,40,40,40,0.25,1"
	echo "10,unknown,30,30,30,0.33,1"
	echo "1000,bare,10,10,10,1,1"
	echo "1000,blocked,48,48,48,0.21,1.05"
	echo "1000,unknown,31,31,31,0.32,1.2"
} >"$W/t/xdp-testrun.csv"
python3 tools/bench/summary.py targets "$W/t" >"$W/tt.txt" 2>&1
check "targets: testrun flatness is the scaling column (1.05, not 48/40)" \
	has "$W/tt.txt" 'xdp blocked: costliest size / 10 devices \(testrun\) +1\.05 +<= 1\.1 +met'
check "targets: testrun flatness 1.2 misses <= 1.1" \
	has "$W/tt.txt" 'xdp unknown: costliest size / 10 devices \(testrun\) +1\.2 +<= 1\.1 +MISSED'

# --- pktgen's summary on known figures (MW_PKTGEN_LOG: no guest) -----------
# instructions per packet (icount): module allowed 10000 against nftables
# stateful 9000 (0.90 in every round); blocked 5000 against 6000, 5500,
# 7000 (1.20 [1.10..1.40]); conntrack alone 8000, no filter 7000
mkdir -p "$W/pg"
{
	echo "MW-CLOCK,icount"
	for r in 1 2 3; do
		nb=$((r == 1 ? 6000 : r == 2 ? 5500 : 7000))
		echo "MW-RUN,$r,no filter,140000,140000,7000"
		echo "MW-RUN,$r,conntrack alone,125000,125000,8000"
		echo "MW-RUN,$r,meterwall.ko allowed,100000,100000,10000"
		echo "MW-RUN,$r,meterwall.ko blocked,200000,0,5000"
		echo "MW-RUN,$r,nftables stateful allowed,111111,111111,9000"
		echo "MW-RUN,$r,nftables stateful blocked,$((1000000000 / nb)),0,$nb"
	done
	echo "MW-BENCH,no filter,140000,140000,140000,140000,3,7000,7000,7000"
	echo "MW-BENCH,conntrack alone,125000,125000,125000,125000,3,8000,8000,8000"
	echo "MW-BENCH,meterwall.ko allowed,100000,100000,100000,100000,3,10000,10000,10000"
	echo "MW-BENCH,meterwall.ko blocked,200000,200000,200000,0,3,5000,5000,5000"
	echo "MW-BENCH,nftables stateful allowed,111111,111111,111111,111111,3,9000,9000,9000"
	echo "MW-BENCH,nftables stateful blocked,166666,142857,181818,0,3,6000,5500,7000"
} >"$W/pg/guest.log"
MW_PKTGEN_LOG=$W/pg/guest.log OUT=$W/pg tools/bench/pktgen.sh >"$W/pg.txt" 2>&1
check "pktgen: the blocked target by cost per packet (1.20, met)" \
	has "$W/pg/pktgen.txt" 'target: meterwall.ko blocked .* \(cost per packet\): 1\.200 \[1\.100\.\.1\.400\] \(3 rounds\) -> met'
check "pktgen: the allowed target by cost per packet (0.90, missed)" \
	has "$W/pg/pktgen.txt" 'target: meterwall.ko allowed .* \(cost per packet\): 0\.900 \[0\.900\.\.0\.900\] \(3 rounds\) -> missed'
check "pktgen: icount's unit is instructions" \
	has "$W/pg/pktgen.txt" '^condition .* insn/pkt '
check "pktgen: instructions over conntrack alone (module +2000, nftables +1000)" \
	has "$W/pg/pktgen.txt" 'meterwall.ko allowed \+2000 \[\+2000\.\.\+2000\], nftables stateful allowed \+1000 '
check "pktgen: blocked over no filter (module -2000, nftables -1000 [-1500..0])" \
	has "$W/pg/pktgen.txt" 'blocked over no filter: meterwall.ko -2000 \[-2000\.\.-2000\], nftables stateful -1000 \[-1500\.\.\+0\]'
python3 tools/bench/summary.py targets "$W/pg" >"$W/pgt.txt" 2>&1
check "targets: the pktgen targets as measured" \
	has "$W/pgt.txt" 'meterwall.ko blocked / nftables stateful blocked \(pktgen; cost per packet\) +1\.2 +>= 1 +met'
sed '/^MW-CLOCK/d' "$W/pg/guest.log" >"$W/pg/wall.log"
MW_PKTGEN_LOG=$W/pg/wall.log OUT=$W/pg tools/bench/pktgen.sh >"$W/pg.txt" 2>&1
check "pktgen: without icount the unit is the guest's ns" \
	has "$W/pg/pktgen.txt" '^condition .* ns/pkt '

# --- xdp-cost's summary on known figures (MW_COST_LOG: no guest) ----------
# bare 60 at 10 devices, 61 at 1M; blocked 566 [566..567] and 577: 506 and
# 516 over bare (1M / 10 = 1.020); allowed 1034 over bare at both sizes
mkdir -p "$W/xc"
cost_log() {	# $1: clock
	echo "MW-CLOCK,$1"
	echo "MW-COST-CSV-BEGIN"
	echo "devices,path,median_ns,min_ns,max_ns,ratio_vs_bare,scaling_vs_smallest"
	echo "10,bare,60.0,60.0,60.0,1.0000,1.0000"
	echo "10,blocked,566.0,566.0,567.0,0.1060,1.0000"
	echo "10,allowed,1094.0,1094.0,1094.0,0.0548,1.0000"
	echo "1000000,bare,61.0,61.0,61.0,1.0000,1.0000"
	echo "1000000,blocked,577.0,577.0,577.0,0.1057,1.0194"
	echo "1000000,allowed,1095.0,1095.0,1095.0,0.0557,1.0009"
	echo "MW-COST-CSV-END"
}
cost_log icount >"$W/xc/icount.log"
MW_COST_LOG=$W/xc/icount.log OUT=$W/xc tools/bench/xdp-cost.sh >"$W/xc.txt" 2>&1
check "xdp-cost: icount's unit is instructions" \
	has "$W/xc/xdp-cost.txt" "own cost per packet, instructions, over bare"
check "xdp-cost: blocked over bare at each size, 1M / 10 = 516 / 506" \
	has "$W/xc/xdp-cost.txt" '^blocked +506 \[506\.\.507\] +516 \[516\.\.516\] +1\.020$'
check "xdp-cost: allowed over bare, flat" \
	has "$W/xc/xdp-cost.txt" '^allowed +1034 \[1034\.\.1034\] +1034 \[1034\.\.1034\] +1\.000$'
sed 's/^10,blocked,566.0/10,blocked,556.0/' "$W/xc/xdp-cost.csv" >"$W/xc/xdp-cost-prev.csv"
python3 tools/bench/summary.py targets "$W/xc" >"$W/xct.txt" 2>&1
check "targets: the XDP cost beside the run before's (506 against 496)" \
	has "$W/xct.txt" 'blocked +10 devices +506  previous run 496 \(\+2\.0 %\)'
cost_log wall >"$W/xc/wall.log"
MW_COST_LOG=$W/xc/wall.log OUT=$W/xc tools/bench/xdp-cost.sh >"$W/xc.txt" 2>&1
check "xdp-cost: without icount the unit is the guest's ns" \
	has "$W/xc/xdp-cost.txt" "own cost per packet, ns \\(guest wall clock\\)"
printf 'MW-CLOCK,icount\n' >"$W/xc/none.log"
expect_rc "xdp-cost: a guest log without results is refused" 1 \
	env MW_COST_LOG="$W/xc/none.log" OUT="$W/xc" tools/bench/xdp-cost.sh

# --- xdp-cost in the guest: the counts reproduce --------------------------
# two runs in one guest at 10 and 1,000 devices; under icount the same
# path gives the same count in both (a timer tick inside a run may add one)
check_log "xdp-cost: the icount guest, 2 runs at 10 and 1,000 devices" \
	"$W/xcg.txt" 30 env OUT="$W/xcg" MW_COST_SIZES=10,1000 \
	MW_COST_RUNS=2 MW_COST_REPEAT=5000 tools/bench/xdp-cost.sh
n=$(awk -F, 'NR > 1 && $2 != "bare" && $3 > 0 && $5 - $4 <= $3 / 100 { n++ }
	END { print n + 0 }' "$W/xcg/xdp-cost.csv" 2>/dev/null)
check "xdp-cost: 4 paths x 2 sizes, each run's count within 1 % of the other's ($n)" \
	test "${n:-0}" = 8
check "xdp-cost: the blocked path costs more than bare XDP_DROP" \
	has "$W/xcg/xdp-cost.txt" '^blocked +[1-9][0-9]* \['

# --- one short round of everything live ----------------------------------
export MW_BENCH_QUIET_WAIT=5
check_log "run.sh live: one round" "$W/run.txt" 20 \
	env O="$O" OUT="$W/live" ROUNDS=1 LIVE_SECONDS=0.2 NSRC=64 \
	tools/bench/run.sh live
conds=$(awk -F, 'NR > 1 && $3 > 0 { n++ } END { print n + 0 }' "$W/live/xdp-live.csv" 2>/dev/null)
check "run.sh live: all 9 conditions measured a rate ($conds)" test "${conds:-0}" = 9
progs=$(awk -F, 'NR > 1 && $4 > 0 { n++ } END { print n + 0 }' "$W/live/xdp-live.csv" 2>/dev/null)
check "run.sh live: the 5 XDP conditions have a program time ($progs)" test "${progs:-0}" = 5
hp=$(awk -F, 'NR > 1 && $6 > 0 && $7 > 0 && $8 > $7 { n++ } END { print n + 0 }' "$W/live/xdp-live.csv" 2>/dev/null)
check "run.sh live: every row has the round's host probe, memory slower than L2 ($hp)" test "${hp:-0}" = 9
check "run.sh live: the summary gives the receive-side ratios" \
	has "$W/run.txt" 'nft-set / mw-blocked \(receive-side ns/frame\) +[0-9]'
check_log "policy-apply: 1,000 devices" "$W/pa.txt" 5 \
	"$O/bench/policy-apply" -r 1 -d 1000 -o "$W/pa.csv"
check "policy-apply: a total and its peak RSS in the CSV" \
	has "$W/pa.csv" '^1000,total,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+$'

check_log "xdp-testrun: 3 runs at 10 and 1,000 devices" "$W/tr.txt" 5 \
	"$O/bench/xdp-testrun" -r 3 -n 20000 -N 500 -d 10,1000 -o "$W/tr.csv"
n=$(awk -F, 'NR > 1 && $3 > 0 && $7 > 0 { n++ } END { print n + 0 }' "$W/tr.csv" 2>/dev/null)
check "xdp-testrun: 7 paths x 2 sizes, each a time and a scaling ($n)" test "${n:-0}" = 14
n=$(awk -F, '$1 == 10 && $7 == 1 { n++ } END { print n + 0 }' "$W/tr.csv" 2>/dev/null)
check "xdp-testrun: the smallest size's own scaling is 1 ($n of 7)" test "${n:-0}" = 7

# --- prog-cost.sh: builds compared in interleaved rounds -----------------
# the same build twice: every round must give both a program time
check_log "prog-cost: 2 rounds of two builds" "$W/pc.txt" 5 \
	env OUTDIR="$W/pc" tools/bench/prog-cost.sh -r 2 -t 0.2 -s 64 \
	-c bare,mw-blocked A="$O" B="$O"
rows=$(cat "$W"/pc/prog-cost-*.csv 2>/dev/null |
	awk -F, '$1 ~ /^[12]$/ && $5 > 0 { n++ } END { print n + 0 }')
check "prog-cost: 2 rounds x 2 builds x 2 conditions, each a program time ($rows)" \
	test "${rows:-0}" = 8
check "prog-cost: the second build's time as per-round ratios to the first's" \
	has "$W/pc.txt" '^  mw-blocked +B +[0-9.]+ ns .* / A: [0-9.]+ \['
check "prog-cost: blocked over bare for each build" \
	has "$W/pc.txt" '^  mw-blocked +B +over bare: +-?[0-9.]+ ns'
expect_rc "prog-cost: a build without xdp-live is refused" 1 \
	tools/bench/prog-cost.sh -r 1 X="$W/none"

# --- profile.py on known samples -------------------------------------------
# f (0x1000, 0x100 bytes): a.h:10 at 0x1000, b.h:20 at 0x1010, a.h:10 again
# (inlined elsewhere) at 0x1040; g (0x2000, 0x20): c.h:5 at 0x2000.  IPs:
# 0x1011 (the byte before is b.h:20's first), 0x1010 (the byte before is
# still a.h:10's), 0x1041 and 0x1050 (a.h:10 again), 0x2001 (g), 0x1101 and
# 0x9999 (outside: only in the total)
mkdir -p "$W/pf"
cat >"$W/pf/lines.csv" <<'EOF2'
prog_id,func,func_start,func_len,addr,file,line,text
7,f,1000,256,1000,a.h,10,x = y;
7,f,1000,256,1010,b.h,20,if (z)
7,f,1000,256,1040,a.h,10,x = y;
7,g,2000,32,2000,c.h,5,return 0;
EOF2
printf '1011\n1010\n1041\n1050\n2001\n1101\n9999\n' >"$W/pf/ips.txt"
python3 tools/bench/profile.py "$W/pf/lines.csv" "$W/pf/ips.txt" T \
	"$W/pf/out.csv" >"$W/pf.txt" 2>&1
check "profile: 5 of the 7 samples in the program" \
	has "$W/pf.txt" '^T: 5 samples in the program, 71\.4 % of all 7$'
check "profile: f has 4 of them, g 1" \
	sh -c "grep -qE '^ +80\.0 %  f$' '$W/pf.txt' && grep -qE '^ +20\.0 %  g$' '$W/pf.txt'"
check "profile: a sample goes on the byte before its IP (a.h:10 x3, b.h:20 x1)" \
	sh -c "grep -qE '^ +60\.0 %  a\.h:10 +x = y; +\[f\]$' '$W/pf.txt' &&
	       grep -qE '^ +20\.0 %  b\.h:20 ' '$W/pf.txt'"
check "profile: the CSV ranks the lines, shares summing to 1" \
	sh -c "sed -n 2p '$W/pf/out.csv' | grep -q '^a.h,10,3,0.6000,f,' &&
	       awk -F, 'NR > 1 { s += \$4 } END { exit !(s > 0.999 && s < 1.001) }' '$W/pf/out.csv'"
printf '9999\n' >"$W/pf/none.txt"
expect_rc "profile: no sample in the program is an error" 1 \
	python3 tools/bench/profile.py "$W/pf/lines.csv" "$W/pf/none.txt" T

# --- xdp-profile: the blocked path live, its lines from the kernel --------
check_log "xdp-profile: mw-blocked, 1 s" "$W/xp.txt" 20 \
	env O="$O" OUT="$W/xp" PROFILE_SECONDS=1 NSRC=64 DEVICES=1000 \
	tools/bench/xdp-profile.sh mw-blocked
check "xdp-profile: the program's samples, all in mw_xdp" \
	has "$W/xp/xdp-profile.txt" '^ +100\.0 %  mw_xdp$'
check "xdp-profile: the device lookup among the lines (lookup.h)" \
	has "$W/xp/xdp-profile-mw-blocked.csv" '^lookup\.h,[0-9]+,[0-9]+,0\.[0-9]+,mw_xdp,'
check "xdp-profile: the lines' shares sum to 1" \
	awk -F, 'NR > 1 { s += $4 } END { exit !(s > 0.999 && s < 1.001) }' \
	"$W/xp/xdp-profile-mw-blocked.csv"
expect_rc "bpf-lines: no program of that id" 1 "$O/bench/bpf-lines" 4294967295
suite_end
