#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pktgen benchmark of meterwall.ko against nftables and iptables+ipset
# (started by tools/bench/pktgen.sh; runs in the qemu guest, where pktgen
# exists).  64-byte UDP from many sources (198.18.0.0/15, the benchmarking
# range) is pushed into the gateway's ext0; per condition: packets/s
# received on ext0 and forwarded out of sm0 (passed) or not (dropped).
# Under TCG only the ratios between conditions of one run mean anything.
#
#   init ns: pktgen -> g0 ══ veth ══ ext0 [ns kbgw] sm0 ══ veth ══ eth0 [ns kbhe]
#
# Policy: 100,000 devices: system "allowed" (50,000, udp/9 to the head-end)
# and system "blocked" (50,000, blocked as a system).
#
# Conntrack: the guest's default table (nf_conntrack_max 7680 with 1 GiB)
# is far smaller than the 50,000 flows of a run, so every new flow would
# evict one; it is sized once, for all conditions (buckets 262144, max
# 1048576: the runs of a stateful condition open 50,000 flows each, which
# stay 30 s, UDP unreplied).  Each run uses its own UDP source port, so no
# run finds the flows of the one before.  Conntrack is active only while
# meterwall.ko is loaded or the stateful nftables rules are (the other
# nftables and iptables rule sets are stateless):
# "conntrack only" is the module loaded without a policy, the stateful floor;
# "nftables stateful" is the module's job done by nftables with conntrack.
# After each run: conntrack entries, and where packets that entered ext0 but
# did not leave sm0 went (per-CPU backlog overflows: pktgen and the
# forwarded packets share the CPU's backlog queue of 1000).
# Every condition is run MW_BENCH_RUNS times (default 5; a new UDP source
# port each time, so every run opens new flows); after them one line
#   MW-BENCH,<condition>,<median rx pps>,<min>,<max>,<median passed pps>,<runs>
# which tools/bench/pktgen.sh turns into CSV, a table and a chart.
# Env: MW_BENCH_COUNT (packets per run, default 100000), MW_BENCH_RUNS.
set -u
SUITE=kmod-bench
. tests/lib/suite.sh
N=${MW_BENCH_COUNT:-100000}
RUNS=${MW_BENCH_RUNS:-5}
T=$PWD/build/guest/nl_kmod
W=$(mktemp -d)
cleanup() {
	/sbin/ip link del g0 2>/dev/null
	/sbin/ip netns del kbgw 2>/dev/null
	/sbin/ip netns del kbhe 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
gw() { nsenter --net=/run/netns/kbgw "$@"; }

/sbin/ip netns add kbgw
/sbin/ip netns add kbhe
/sbin/ip link add g0 type veth peer name ext0 netns kbgw
/sbin/ip -n kbgw link add sm0 type veth peer name eth0 netns kbhe
/sbin/ip -n kbgw addr add 198.51.100.1/24 dev ext0
/sbin/ip -n kbgw addr add 192.0.2.1/24 dev sm0
/sbin/ip -n kbhe addr add 192.0.2.10/24 dev eth0
/sbin/ip -n kbgw route add 198.18.0.0/15 dev ext0
/sbin/ip link set g0 up
/sbin/ip -n kbgw link set ext0 up
/sbin/ip -n kbgw link set sm0 up
/sbin/ip -n kbhe link set eth0 up
gw sysctl -qw net.ipv4.ip_forward=1
gw sysctl -qw net.ipv4.conf.all.rp_filter=0
gw sysctl -qw net.ipv4.conf.ext0.rp_filter=0
he_mac=$(/sbin/ip -n kbhe link show eth0 | sed -n 's/.*link\/ether \([^ ]*\).*/\1/p')
gw /sbin/ip neigh add 192.0.2.10 lladdr "$he_mac" dev sm0 nud permanent
ext_mac=$(/sbin/ip -n kbgw link show ext0 | sed -n 's/.*link\/ether \([^ ]*\).*/\1/p')

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

modprobe nf_conntrack
sysctl -qw net.netfilter.nf_conntrack_buckets=262144
sysctl -qw net.netfilter.nf_conntrack_max=1048576
modprobe pktgen
PG=/proc/net/pktgen
pg() { echo "$2" >"$PG/$1"; }

stat_of() {	# NS IFACE FIELD(rx|tx|rxdrop|txdrop) -> packets
	nsenter --net=/run/netns/$1 cat /proc/net/dev |
		awk -v i="$2:" -v f="$3" '$1 == i { print (f == "rx" ? $3 : f == "tx" ? $11 : f == "rxdrop" ? $5 : $13) }'
}

# where packets that entered ext0 but did not leave sm0 went
softnet_drops() {	# backlog overflows, all CPUs (column 2, hex)
	local n=0 a b rest
	while read -r a b rest; do n=$((n + 0x$b)); done </proc/net/softnet_stat
	echo $n
}
ct_diag() {
	local cnt max
	cnt=$(gw cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo -)
	max=$(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null || echo -)
	echo "    conntrack entries $cnt (max $max); sm0 tx dropped $(($(stat_of kbgw sm0 txdrop) - sd0)), ext0 rx dropped $(($(stat_of kbgw ext0 rxdrop) - ed0)), backlog drops $(($(softnet_drops) - bd0))"
}

# run NAME SRC_LO SRC_HI: one pktgen burst; prints pps in and passed
sport=1000
run() {
	local name=$1 rx0 tx0 rx1 tx1 t0 t1 ms
	sport=$((sport + 1))
	pg kpktgend_0 "rem_device_all"
	pg kpktgend_0 "add_device g0"
	pg g0 "count $N"
	pg g0 "pkt_size 60"
	pg g0 "delay 0"
	pg g0 "clone_skb 0"
	pg g0 "dst 192.0.2.10"
	pg g0 "dst_mac $ext_mac"
	pg g0 "src_min $2"
	pg g0 "src_max $3"
	pg g0 "flag IPSRC_RND"
	pg g0 "udp_src_min $sport"
	pg g0 "udp_src_max $sport"
	pg g0 "udp_dst_min 9"
	pg g0 "udp_dst_max 9"
	rx0=$(stat_of kbgw ext0 rx) tx0=$(stat_of kbgw sm0 tx)
	sd0=$(stat_of kbgw sm0 txdrop) ed0=$(stat_of kbgw ext0 rxdrop) bd0=$(softnet_drops)
	echo start >"$PG/pgctrl"
	sleep 0.5
	rx1=$(stat_of kbgw ext0 rx) tx1=$(stat_of kbgw sm0 tx)
	# the generator's own run time: "Result: OK: <usec>(c..."
	ms=$(sed -n 's/^Result: OK: \([0-9]*\)(.*/\1/p' "$PG/g0")
	ms=$(( ${ms:-0} / 1000 ))
	[ "$ms" -gt 0 ] || ms=1
	last_rx=$(((rx1 - rx0) * 1000 / ms)) last_passed=$(((tx1 - tx0) * 1000 / ms))
	printf '%-34s rx %8d pps  passed %8d pps  dropped %8d pps  (%d rx, %d passed, %d ms)\n' \
		"$name" $last_rx $last_passed \
		$(((rx1 - rx0 - tx1 + tx0) * 1000 / ms)) $((rx1 - rx0)) $((tx1 - tx0)) $ms
	ct_diag
	[ $((rx1 - rx0)) -gt 0 ]
}

# bench NAME SRC_LO SRC_HI: RUNS runs of run, then the MW-BENCH line
bench() {
	local i rx=() pa=() s
	for ((i = 0; i < RUNS; i++)); do
		run "$@" || return 1
		rx+=("$last_rx") pa+=("$last_passed")
	done
	s=$(printf '%s\n' "${rx[@]}" | sort -n | tr '\n' ' ')
	read -r -a rx <<<"$s"
	s=$(printf '%s\n' "${pa[@]}" | sort -n | tr '\n' ' ')
	read -r -a pa <<<"$s"
	echo "MW-BENCH,$1,${rx[RUNS / 2]},${rx[0]},${rx[RUNS - 1]},${pa[RUNS / 2]},$RUNS"
}

ALO=$(addr 1) AHI=$(addr 50000) BLO=$(addr 50001) BHI=$(addr 100000)
check "no filter, 50,000 sources" bench "no filter" "$ALO" "$AHI"

check "modprobe meterwall" modprobe meterwall
check "conntrack only (meterwall.ko, no policy)" bench "conntrack only (no policy)" "$ALO" "$AHI"
t0=${EPOCHREALTIME/./}
check "load the 100,000-device policy" gw "$T" load "$W/p.img"
t1=${EPOCHREALTIME/./}
# the image over generic netlink, checked and built in the kernel, swapped
# in (TCG: several times what the same work takes natively)
echo "module apply, 100,000 devices: $(((t1 - t0) / 1000)) ms"
bsys=$("$T" id "$W/p.img" system blocked)
check "block system 'blocked'" gw "$T" block system "$bsys"
check "meterwall.ko, allowed" bench "meterwall.ko allowed" "$ALO" "$AHI"
check "meterwall.ko, blocked" bench "meterwall.ko blocked" "$BLO" "$BHI"
gw "$T" reason ALLOWED
gw "$T" reason BLOCKED
check "rmmod meterwall" rmmod meterwall

# nftables: the same allow-list and block set (written once, for the
# stateless and the stateful rule sets)
{
	echo " set allowed { type ipv4_addr; size 65536; elements = {"
	for ((i = 1; i <= 50000; i++)); do A $i ,; done
	echo " } }"
	echo " set blocked { type ipv4_addr; size 65536; elements = {"
	for ((i = 50001; i <= 100000; i++)); do A $i ,; done
	echo " } }"
} >"$W/sets.nft"
{
	echo "table ip mwb {"
	cat "$W/sets.nft"
	echo " chain pre { type filter hook prerouting priority -300; policy accept;"
	echo "  iifname \"ext0\" ip saddr @blocked drop"
	echo "  iifname \"ext0\" ip saddr @allowed ip daddr 192.0.2.0/24 udp dport 9 accept"
	echo "  iifname \"ext0\" drop"
	echo " }"
	echo "}"
} >"$W/rules.nft"
check "nft: load sets of 100,000 addresses" gw nft -f "$W/rules.nft"
check "nftables, allowed" bench "nftables allowed" "$ALO" "$AHI"
check "nftables, blocked" bench "nftables blocked" "$BLO" "$BHI"
gw nft delete table ip mwb

# nftables doing the module's job, statefully: blocked sources dropped
# before conntrack, NEW flows by the allow-list after it, tracked flows
# follow their flow (the ct expression turns conntrack on, as the module
# does); the comparison for the module's figures
{
	echo "table ip mwbs {"
	cat "$W/sets.nft"
	echo " chain raw { type filter hook prerouting priority -300; policy accept;"
	echo "  iifname \"ext0\" ip saddr @blocked drop"
	echo " }"
	echo " chain pre { type filter hook prerouting priority -150; policy accept;"
	echo "  iifname \"ext0\" ct state established,related accept"
	echo "  iifname \"ext0\" ct state new ip saddr @allowed ip daddr 192.0.2.0/24 udp dport 9 accept"
	echo "  iifname \"ext0\" drop"
	echo " }"
	echo "}"
} >"$W/rules-ct.nft"
check "nft stateful: load" gw nft -f "$W/rules-ct.nft"
check "nftables stateful, allowed" bench "nftables stateful allowed" "$ALO" "$AHI"
check "nftables stateful, blocked" bench "nftables stateful blocked" "$BLO" "$BHI"
gw nft delete table ip mwbs

# iptables (legacy, raw table) + ipset
{
	echo "create mwb_allowed hash:ip maxelem 131072"
	echo "create mwb_blocked hash:ip maxelem 131072"
	for ((i = 1; i <= 50000; i++)); do printf 'add mwb_allowed '; A $i; done
	for ((i = 50001; i <= 100000; i++)); do printf 'add mwb_blocked '; A $i; done
} >"$W/ipset"
check "ipset: 100,000 addresses" gw ipset restore -f "$W/ipset"
gw iptables -t raw -A PREROUTING -i ext0 -m set --match-set mwb_blocked src -j DROP
gw iptables -t raw -A PREROUTING -i ext0 -m set --match-set mwb_allowed src -d 192.0.2.0/24 -p udp --dport 9 -j ACCEPT
gw iptables -t raw -A PREROUTING -i ext0 -j DROP
check "iptables+ipset, allowed" bench "iptables+ipset allowed" "$ALO" "$AHI"
check "iptables+ipset, blocked" bench "iptables+ipset blocked" "$BLO" "$BHI"
gw iptables -t raw -F PREROUTING

# policy-apply to the module (tools/bench/policy-apply -K): read, validate,
# compile, check and apply over generic netlink, as mwctl load does; 1,000
# and 100,000 devices 5 runs, 1,000,000 devices 3 (a run takes about 20
# times its native time here)
PA=build/bench/policy-apply
check "policy-apply is in the initramfs (make bench-build)" test -x $PA
check "modprobe meterwall (policy-apply)" modprobe meterwall
check "policy-apply to the module, 1,000 and 100,000 devices" \
	$PA -K -r 5 -d 1000,100000 -k "$W"
check "policy-apply to the module, 1,000,000 devices" \
	$PA -K -r 3 -d 1000000 -k "$W"
check "rmmod meterwall (policy-apply)" rmmod meterwall
suite_end
