#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pktgen benchmark of meterwall.ko against nftables and iptables+ipset
# (started by tools/bench/pktgen.sh; runs in the qemu guest, where pktgen
# exists).  64-byte UDP from many sources (198.18.0.0/15, the benchmarking
# range) is received on the gateway's ext0 and forwarded out of sm0
# (passed) or dropped; per condition: the cost of one packet.
#
#   [ns kbgw] pktgen (netif_receive) -> ext0 (dummy) -> sm0 (dummy: the head-end)
#
# pktgen runs in the gateway's netns and hands each packet it builds to
# ext0's receive path (xmit_mode netif_receive): the hooks, conntrack and
# the forwarding or the drop run in the generator's own thread, on one CPU,
# with no queue and no other CPU between (no IPI, no wake-up whose cost
# depends on how fast the receiver drains: a cheaper filter does not pay
# more of them).  The time a run takes per packet is then the whole cost of
# one packet: pktgen's own building of it (the same in every condition)
# plus its receive.
#
# The clock: tools/bench/pktgen.sh starts the guest with one vCPU under
# icount (MW_VM_ICOUNT=shift=0,sleep=off): the guest's clock advances one
# ns per instruction executed, so a run's time is the instructions it
# took, whatever the host is doing (under TCG's wall clock the same run
# moved by 2x from round to round on a shared host).  Instructions are not
# cycles (no cache misses), but they are what the code does, and they
# reproduce: differences between conditions are exact, ratios are diluted
# toward 1 by pktgen's share.  MW-CLOCK says which clock the log has.
#
# Policy: 100,000 devices: system "allowed" (50,000, udp/9 to the head-end)
# and system "blocked" (50,000, blocked as a system).
#
# Conditions, each run once per round (interleaved: conntrack's table and
# the allocators carry state from run to run, and without icount the
# machine's load drifts as well), in groups that share their rule set; the group
# order rotates from round to round:
#   no filter                  nothing in the gateway's netns
#   conntrack alone            nft: one `ct state new,established accept`
#                              rule after conntrack: every packet tracked,
#                              nothing filtered (the stateful floor)
#   nftables allowed/blocked   stateless: the allow-list and the block set
#                              at prerouting -300
#   nftables stateful ...      the module's job done by nftables: blocked
#                              sources dropped at -300, established flows
#                              accepted, NEW ones by the allow-list (-150)
#   iptables+ipset ...         legacy raw table + ipset, stateless
#   meterwall.ko allowed/...   the module with the policy (system
#                              "blocked" blocked)
# Switching: the sets (nft table mwb, ipsets) are loaded once and carry no
# hook; a group adds its chains / rules and removes them after its runs
# (iptable_raw is unloaded, or its empty table's hook would stay); the
# module is loaded, given the policy and the block, and unloaded each round
# (it keeps conntrack on in every netns while loaded).
#
# Conntrack: the guest's default table (nf_conntrack_max 7680 with 1 GiB)
# is far smaller than the flows of a round, so it is sized once (buckets
# 262144, max 1048576; unreplied UDP stays 30 s).  Each run uses its own UDP
# source port, so no run finds the flows of the one before.  After each run:
# conntrack entries, and packets that passed but did not leave sm0.
# Output, one line per run and one per condition at the end:
#   MW-CLOCK,<icount|wall>
#   MW-RUN,<round>,<condition>,<rx pps>,<passed pps>,<ns per packet>
#   MW-BENCH,<condition>,<median rx pps>,<min>,<max>,<median passed pps>,<rounds>,
#            <median ns per packet>,<min>,<max>
# which tools/bench/pktgen.sh turns into CSV, ratios, a table and a chart.
# Env: MW_BENCH_COUNT (packets per run, default 50000), MW_BENCH_ROUNDS
# (default 12), MW_BENCH_BUDGET (seconds of guest time for the rounds,
# default 390: no round starts after it), MW_BENCH_APPLY (0: skip the
# policy-apply benchmark), MW_BENCH_PERF (1: profile the module's allowed
# and blocked runs and nftables stateful blocked with perf instead, if the
# initramfs has it), MW_BENCH_CLOCK (icount: set by pktgen.sh with icount).
set -u
SUITE=kmod-bench
. tests/lib/suite.sh
N=${MW_BENCH_COUNT:-50000}
ROUNDS=${MW_BENCH_ROUNDS:-12}
BUDGET=${MW_BENCH_BUDGET:-390}
T=$PWD/build/guest/nl_kmod
W=$(mktemp -d)
holder=
cleanup() {
	[ -z "$holder" ] || kill "$holder" 2>/dev/null
	/sbin/ip netns del kbgw 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
gw() { nsenter --net=/run/netns/kbgw "$@"; }
modprobe dummy numdummies=0

/sbin/ip netns add kbgw
/sbin/ip -n kbgw link add ext0 type dummy
/sbin/ip -n kbgw link add sm0 type dummy
/sbin/ip -n kbgw addr add 198.51.100.1/24 dev ext0
/sbin/ip -n kbgw addr add 192.0.2.1/24 dev sm0
/sbin/ip -n kbgw link set ext0 up
/sbin/ip -n kbgw link set sm0 up
/sbin/ip -n kbgw route add 198.18.0.0/15 dev ext0
# no IPv6 there: sm0's own router solicitations would count as passed
gw sysctl -qw net.ipv6.conf.all.disable_ipv6=1
gw sysctl -qw net.ipv6.conf.default.disable_ipv6=1
gw sysctl -qw net.ipv4.ip_forward=1
gw sysctl -qw net.ipv4.conf.all.rp_filter=0
gw sysctl -qw net.ipv4.conf.ext0.rp_filter=0
ext_mac=$(/sbin/ip -n kbgw link show ext0 | sed -n 's/.*link\/ether \([^ ]*\).*/\1/p')
echo "MW-CLOCK,${MW_BENCH_CLOCK:-wall}"
# a process in kbgw: its /proc/PID/net/pktgen is the gateway's pktgen
nsenter --net=/run/netns/kbgw sleep 100000 &
holder=$!
PG=/proc/$holder/net/pktgen
PGT=kpktgend_$(($(nproc) - 1))	# pktgen's thread on the last CPU

# 100,000 devices, generated
addr() { echo "198.$((18 + $1 / 65536)).$(($1 / 256 % 256)).$(($1 % 256))"; }
A() { printf '198.%d.%d.%d%s\n' $((18 + $1 / 65536)) $(($1 / 256 % 256)) $(($1 % 256)) "${2:-}"; }	# no fork
{
	cat <<EOP
meterwall: 1
serial: 1
interfaces:
  - name: ext0
    zone: external
  - name: sm0
    zone: smart-meter
zones:
  - name: head-end
    prefixes: [192.0.2.0/24]
systems:
EOP
	for s in allowed blocked; do
		printf '  - name: %s\n    entity: "Bench"\n    contact: "ops@bench.example"\n    agreement: "B-1"\n    interface: ext0\n    devices:\n' $s
		if [ $s = allowed ]; then lo=1; else lo=50001; fi
		for ((i = lo; i < lo + 50000; i++)); do
			printf '      - name: d%d\n        addresses: [198.%d.%d.%d]\n' \
				$i $((18 + i / 65536)) $((i / 256 % 256)) $((i % 256))
		done
		printf '    conduits:\n      - direction: inbound\n        zone: head-end\n        proto: udp\n        ports: [9]\n'
	done
} >"$W/p.yaml"
t0=$(date +%s)
check "compile a 100,000-device policy" build/mwctl compile "$W/p.yaml" -o "$W/p.img"
echo "compile: $(($(date +%s) - t0)) s"
bsys=$("$T" id "$W/p.img" system blocked)

modprobe nf_conntrack
sysctl -qw net.netfilter.nf_conntrack_buckets=262144
sysctl -qw net.netfilter.nf_conntrack_max=1048576
modprobe pktgen

stat_of() {	# NS IFACE FIELD(tx|txdrop) -> packets
	nsenter --net=/run/netns/$1 cat /proc/net/dev |
		awk -v i="$2:" -v f="$3" '$1 == i { print (f == "tx" ? $11 : $13) }'
}
ct_diag() {
	local cnt max
	cnt=$(gw cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo -)
	max=$(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null || echo -)
	echo "    conntrack entries $cnt (max $max); sm0 tx dropped $(($(stat_of kbgw sm0 txdrop) - sd0))"
}

# run NAME SRC_LO SRC_HI: one pktgen run of N packets; prints pps in and
# passed, and the guest clock's ns per packet
sport=1000
run() {
	local name=$1 tx0 tx1 us c
	sport=$((sport + 1))
	echo "rem_device_all" >"$PG/$PGT"
	echo "add_device ext0" >"$PG/$PGT"
	for c in "xmit_mode netif_receive" "count $N" "pkt_size 60" "delay 0" \
		"clone_skb 0" "dst 192.0.2.10" "dst_mac $ext_mac" "src_min $2" \
		"src_max $3" "flag IPSRC_RND" "udp_src_min $sport" \
		"udp_src_max $sport" "udp_dst_min 9" "udp_dst_max 9"; do
		echo "$c" >"$PG/ext0"
	done
	tx0=$(stat_of kbgw sm0 tx) sd0=$(stat_of kbgw sm0 txdrop)
	# pgctrl starts the threads of the writer's netns, not the file's
	gw sh -c 'echo start >/proc/net/pktgen/pgctrl'
	tx1=$(stat_of kbgw sm0 tx)
	# the run's time: "Result: OK: <usec>(c..."
	us=$(sed -n 's/^Result: OK: \([0-9]*\)(.*/\1/p' "$PG/ext0")
	[ "${us:-0}" -gt 0 ] || { cat "$PG/ext0"; return 1; }
	printf '%-28s rx %8d pps  passed %8d pps  dropped %8d pps  %8d ns/pkt  (%d sent, %d passed, %d us)\n' \
		"$name" $((N * 1000000 / us)) $(((tx1 - tx0) * 1000000 / us)) \
		$(((N - tx1 + tx0) * 1000000 / us)) $((us * 1000 / N)) \
		"$N" $((tx1 - tx0)) "$us"
	[ "$round" -gt 1 ] || ct_diag
}

ALO=$(addr 1) AHI=$(addr 50000) BLO=$(addr 50001) BHI=$(addr 100000)

# The sets, loaded once: nft table mwb (no chain: no hook) and two ipsets.
{
	echo "table ip mwb {"
	echo " set allowed { type ipv4_addr; size 65536; elements = {"
	for ((i = 1; i <= 50000; i++)); do A $i ,; done
	echo " } }"
	echo " set blocked { type ipv4_addr; size 65536; elements = {"
	for ((i = 50001; i <= 100000; i++)); do A $i ,; done
	echo " } }"
	echo "}"
} >"$W/sets.nft"
check "nft: sets of 100,000 addresses" gw nft -f "$W/sets.nft"
{
	echo "create mwb_allowed hash:ip maxelem 131072"
	echo "create mwb_blocked hash:ip maxelem 131072"
	for ((i = 1; i <= 50000; i++)); do printf 'add mwb_allowed '; A $i; done
	for ((i = 50001; i <= 100000; i++)); do printf 'add mwb_blocked '; A $i; done
} >"$W/ipset"
check "ipset: 100,000 addresses" gw ipset restore -f "$W/ipset"

# Rule sets, added and removed around their group's runs.
cat >"$W/ct-on.nft" <<'EOF'
table ip mwct {
 chain pre { type filter hook prerouting priority -150; policy accept;
  ct state new,established accept
 }
}
EOF
cat >"$W/nft-on.nft" <<'EOF'
add chain ip mwb pre { type filter hook prerouting priority -300; policy accept; }
add rule ip mwb pre iifname "ext0" ip saddr @blocked drop
add rule ip mwb pre iifname "ext0" ip saddr @allowed ip daddr 192.0.2.0/24 udp dport 9 accept
add rule ip mwb pre iifname "ext0" drop
EOF
# blocked sources dropped before conntrack, NEW flows by the allow-list
# after it, tracked flows follow their flow (the ct expression turns
# conntrack on, as the module does)
cat >"$W/nftct-on.nft" <<'EOF'
add chain ip mwb raw { type filter hook prerouting priority -300; policy accept; }
add rule ip mwb raw iifname "ext0" ip saddr @blocked drop
add chain ip mwb pre { type filter hook prerouting priority -150; policy accept; }
add rule ip mwb pre iifname "ext0" ct state established,related accept
add rule ip mwb pre iifname "ext0" ct state new ip saddr @allowed ip daddr 192.0.2.0/24 udp dport 9 accept
add rule ip mwb pre iifname "ext0" drop
EOF
printf 'flush chain ip mwb pre\ndelete chain ip mwb pre\n' >"$W/nft-off.nft"
printf 'flush chain ip mwb raw\ndelete chain ip mwb raw\n' >>"$W/nftct-off.nft"
cat "$W/nft-off.nft" >>"$W/nftct-off.nft"
cat >"$W/ipt-on" <<'EOF'
*raw
-A PREROUTING -i ext0 -m set --match-set mwb_blocked src -j DROP
-A PREROUTING -i ext0 -m set --match-set mwb_allowed src -d 192.0.2.0/24 -p udp --dport 9 -j ACCEPT
-A PREROUTING -i ext0 -j DROP
COMMIT
EOF

mod_on() {
	local t0 t1
	modprobe meterwall || return 1
	t0=${EPOCHREALTIME/./}
	gw "$T" load "$W/p.img" >"$W/load.out" || return 1
	t1=${EPOCHREALTIME/./}
	# the image over generic netlink, checked and built in the kernel,
	# swapped in (TCG: several times what the same work takes natively)
	[ "$round" -gt 1 ] || echo "module apply, 100,000 devices: $(((t1 - t0) / 1000)) ms"
	grep -q '^rc=0' "$W/load.out" || { cat "$W/load.out"; return 1; }
	gw "$T" block system "$bsys" >/dev/null
}
mod_off() {
	if [ "$round" -eq 1 ]; then
		gw "$T" reason ALLOWED
		gw "$T" reason BLOCKED
	fi
	rmmod meterwall
}

# group NAME: set up, run its conditions, take down; false on a failure
group() {
	local rc=0
	case $1 in
	none)
		run "no filter" "$ALO" "$AHI" || rc=1 ;;
	ct)
		gw nft -f "$W/ct-on.nft" || return 1
		run "conntrack alone" "$ALO" "$AHI" || rc=1
		gw nft delete table ip mwct || rc=1 ;;
	nft)
		gw nft -f "$W/nft-on.nft" || return 1
		run "nftables allowed" "$ALO" "$AHI" || rc=1
		run "nftables blocked" "$BLO" "$BHI" || rc=1
		gw nft -f "$W/nft-off.nft" || rc=1 ;;
	nftct)
		gw nft -f "$W/nftct-on.nft" || return 1
		run "nftables stateful allowed" "$ALO" "$AHI" || rc=1
		run "nftables stateful blocked" "$BLO" "$BHI" || rc=1
		gw nft -f "$W/nftct-off.nft" || rc=1 ;;
	ipt)
		gw iptables-restore -n "$W/ipt-on" || return 1
		run "iptables+ipset allowed" "$ALO" "$AHI" || rc=1
		run "iptables+ipset blocked" "$BLO" "$BHI" || rc=1
		gw iptables -t raw -F PREROUTING || rc=1
		rmmod iptable_raw || rc=1 ;;	# its hook goes with the table
	mod)
		mod_on || { rmmod meterwall 2>/dev/null; return 1; }
		run "meterwall.ko allowed" "$ALO" "$AHI" || rc=1
		run "meterwall.ko blocked" "$BLO" "$BHI" || rc=1
		mod_off || rc=1 ;;
	esac
	return $rc
}

# MW_BENCH_PERF=1: where the module's time goes (perf in the initramfs).
# Recorded on pktgen's CPU (the receive runs in its thread, so pktgen's
# own building of the packets is among the samples).  Per condition: self time
# by symbol, inclusive time of the receive path, the module's samples by
# instruction (symbol+offset: map them with objdump -d kmod/meterwall.ko;
# under TCG a sample lands at the start of the translated block after the
# one that took the time) and who called memset/memcpy.  Percentages are
# of all of that CPU's samples; MW_BENCH_COUNT=200000
# gives a few thousand in the module.
perf_callers() {	# DATA SYMBOL-REGEX: the caller frames of its samples
	perf script -i "$1" -F ip,sym 2>/dev/null | awk -v re="$2" '
		/^$/ { n = 0; next }
		{ n++; s = $2 }
		n == 1 { hit = s ~ re; next }
		n == 2 && hit { c[s]++; t++ }
		END { for (s in c) printf "%7.2f%%  %s\n", 100 * c[s] / t, s }' |
		sort -rn | head -n 12
}
perf_run() {	# CONDITION SRC_LO SRC_HI: run it under perf, print the profile
	local d=$W/perf.data pid s
	perf record -q -C "${PGT#kpktgend_}" -g -e cpu-clock -o "$d" &
	pid=$!
	sleep 1
	run "$1" "$2" "$3"
	kill -INT $pid
	wait $pid
	echo "== perf, $1 (CPU ${PGT#kpktgend_}): self time by symbol"
	perf report -q -i "$d" --no-children --sort sym --stdio -g none 2>/dev/null |
		grep -v '^$' | head -n 45
	echo "== perf, $1: callers of the module's and netfilter's time"
	perf report -q -i "$d" --children --sort sym --stdio -g none 2>/dev/null |
		grep -E 'mw_|nf_|nft_|ip_rcv|netif_receive|__netif|ip_forward|pktgen' | head -n 40
	echo "== perf, $1: the module's samples by instruction"
	awk '$4 == "[meterwall]" { print $3 }' /proc/kallsyms >"$W/mw.syms"
	perf script -i "$d" -F ip,sym,symoff -G 2>/dev/null |
		awk -v syms="$W/mw.syms" '
			BEGIN { while ((getline l <syms) > 0) mw[l] = 1 }
			{ s = $2; sub(/\+0x[0-9a-f]+$/, "", s) }
			s in mw { c[$2]++; t++ }
			END { for (s in c) printf "%7.2f%%  %s\n", 100 * c[s] / NR, s
			      printf "%7.2f%%  the module, of %d samples\n", 100 * t / NR, NR }' |
		sort -rn | head -n 40
	for s in memset memcpy; do
		echo "== perf, $1: callers of $s*"
		perf_callers "$d" "^$s"
	done
}
if [ "${MW_BENCH_PERF:-0}" = 1 ]; then
	round=1
	check "perf is in the initramfs (MW_VM_PERF=1)" command -v perf
	check "module on" mod_on
	perf_run "meterwall.ko allowed" "$ALO" "$AHI"
	perf_run "meterwall.ko blocked" "$BLO" "$BHI"
	mod_off
	# the module's blocked path against the one it is measured by
	check "nftables stateful on" gw nft -f "$W/nftct-on.nft"
	perf_run "nftables stateful blocked" "$BLO" "$BHI"
	gw nft -f "$W/nftct-off.nft"
	suite_end
	exit
fi

# The rounds: every condition once each, group order rotated; the module
# between conntrack alone and nftables stateful, so that the ratios it is
# judged by pair runs next to each other in time (in 4 of 6 rotations).
GROUPS_ALL=(none nft ipt ct mod nftct)
t_start=$(date +%s)
for ((round = 1; round <= ROUNDS; round++)); do
	el=$(($(date +%s) - t_start))
	if [ "$round" -gt 3 ] && [ "$el" -ge "$BUDGET" ]; then
		echo "bench: time budget ${BUDGET}s reached after $((round - 1)) rounds"
		break
	fi
	echo "== round $round (${el}s)"
	for ((g = 0; g < ${#GROUPS_ALL[@]}; g++)); do
		grp=${GROUPS_ALL[(g + round - 1) % ${#GROUPS_ALL[@]}]}
		check "round $round: $grp" group "$grp" >"$W/out" 2>&1
		cat "$W/out"
		sed -n 's/^\([a-z].*[^ ]\) *rx *\([0-9]*\) pps *passed *\([0-9]*\) pps.* dropped *-\?[0-9]* pps *\([0-9]*\) ns\/pkt.*/MW-RUN,'"$round"',\1,\2,\3,\4/p' \
			"$W/out" | tee -a "$W/runs"
	done
done
echo "bench: $((round - 1)) rounds in $(($(date +%s) - t_start)) s"

# median [min..max] per condition, in the table's order
median_of() {	# CONDITION FIELD(4 rx, 5 passed, 6 ns per packet) -> "median min max n"
	local v
	v=$(awk -F, -v c="$1" -v f="$2" '$3 == c { print $f }' "$W/runs" | sort -n | tr '\n' ' ')
	read -r -a v <<<"$v"
	[ ${#v[@]} -gt 0 ] || return 1
	echo "${v[(${#v[@]} - 1) / 2]} ${v[0]} ${v[${#v[@]} - 1]} ${#v[@]}"
}
for c in "no filter" "conntrack alone" "meterwall.ko allowed" "meterwall.ko blocked" \
	"nftables allowed" "nftables blocked" "nftables stateful allowed" \
	"nftables stateful blocked" "iptables+ipset allowed" "iptables+ipset blocked"; do
	r=$(median_of "$c" 4) || { fail "no runs of $c"; continue; }
	p=$(median_of "$c" 5)
	read -r cmed clo chi _ <<<"$(median_of "$c" 6)"
	read -r med lo hi n <<<"$r"
	echo "MW-BENCH,$c,$med,$lo,$hi,${p%% *},$n,$cmed,$clo,$chi"
done

# policy-apply to the module (tools/bench/policy-apply -K): read, validate,
# compile, check and apply over generic netlink, as mwctl load does; 1,000
# and 100,000 devices 3 runs, 1,000,000 devices 1 (about 40 s here: a run
# takes about 20 times its native time under TCG).  Each size on a freshly
# loaded module: the generated policies all have serial 1, and the module
# refuses other content under the serial in force (anti-rollback).
[ "${MW_BENCH_APPLY:-1}" = 1 ] || { suite_end; exit; }
PA=build/bench/policy-apply
check "policy-apply is in the initramfs (make bench-build)" test -x $PA
for d in 1000:3 100000:3 1000000:1; do
	check "modprobe meterwall (policy-apply)" modprobe meterwall
	check "policy-apply to the module, ${d%:*} devices" \
		$PA -K -r "${d#*:}" -d "${d%:*}" -k "$W"
	check "rmmod meterwall (policy-apply)" rmmod meterwall
done
suite_end
