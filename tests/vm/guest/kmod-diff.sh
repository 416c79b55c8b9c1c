#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Differential corpus through meterwall.ko's hooks (run by
# tests/suites/vm-kmod-diff.sh through tests/vm/run.sh): frames built by
# build/guest/kmod_diff are injected with AF_PACKET from ns kdinj into
# the gateway ns kdgw and the module's per-reason counters are compared
# with the reference classifier's verdict and reason, frame by frame.
#
#   ns kdinj                      ns kdgw (meterwall.ko, strict_new=0)
#     x0 ─────────────────────────── ext0   external (inbound, egress)
#     x1 ─────────────────────────── ext1   external
#     x2 ─────────────────────────── sm0    smart-meter side (outbound)
#
# kdgw has no addresses and no IPv6 link-local addresses (addrgenmode none),
# so the gateway sends nothing of its own but ICMP errors about frames it
# drops (an IPv6 option it does not know, before the hooks), which its
# LOCAL_OUT hook judges (counters that would be taken for the frame's):
# kdgw sends no rate-limited ICMP at all (icmp_msgs_per_sec and
# icmp_msgs_burst 0 in its namespace: every error type of the default
# ratemasks); kdinj has IPv6 disabled.  The
# tool adds kdgw's routes (blackhole by default: passed inbound packets are
# dropped silently) and permanent neighbours itself.
set -u
SUITE=kmod-diff
. tests/lib/suite.sh
T=$PWD/build/guest/kmod_diff
[ -x "$T" ] || { fail "kmod_diff present"; suite_end; exit 1; }

cleanup() {
	/sbin/ip netns del kdinj 2>/dev/null
	/sbin/ip netns del kdgw 2>/dev/null
}
trap cleanup EXIT

topo_up() {
	local i
	/sbin/ip netns add kdgw && /sbin/ip netns add kdinj || return 1
	nsenter --net=/run/netns/kdinj sysctl -qw net.ipv6.conf.default.disable_ipv6=1 || return 1
	for i in 0 1 2; do
		local g=ext$i
		[ $i = 2 ] && g=sm0
		/sbin/ip -n kdgw link add "$g" type veth peer name "x$i" netns kdinj || return 1
		/sbin/ip -n kdgw link set "$g" addrgenmode none || return 1
		/sbin/ip -n kdinj link set "x$i" up || return 1
		/sbin/ip -n kdgw link set "$g" up || return 1
	done
	/sbin/ip -n kdgw link set lo up
	nsenter --net=/run/netns/kdgw sysctl -qw net.ipv4.icmp_msgs_per_sec=0 net.ipv4.icmp_msgs_burst=0 || return 1
	nsenter --net=/run/netns/kdgw sysctl -qw net.ipv4.ip_forward=1 &&
	nsenter --net=/run/netns/kdgw sysctl -qw net.ipv6.conf.all.forwarding=1 &&
	/sbin/ip -n kdgw route add blackhole default &&
	/sbin/ip -n kdgw -6 route add blackhole default
}

check "modprobe meterwall strict_new=0" modprobe meterwall strict_new=0
check "strict_new is 0" bash -c '[ "$(cat /sys/module/meterwall/parameters/strict_new)" = N ] || [ "$(cat /sys/module/meterwall/parameters/strict_new)" = 0 ]'
check "namespaces and veth pairs" topo_up
start=$(date +%s)
out=$(mktemp)
nsenter --net=/run/netns/kdinj "$T" run /run/netns/kdgw >"$out" 2>&1
rc=$?
cat "$out"
echo "kmod-diff: tool wall time $(($(date +%s) - start)) s"
check "corpus through the hooks agrees with the classifier (rc $rc)" [ "$rc" -eq 0 ]
reach=$(sed -n 's/^kmod-diff: reached the hooks \([0-9]*\),.*/\1/p' "$out")
check "at least 500 frames reached the hooks (${reach:-none})" [ "${reach:-0}" -ge 500 ]
check "no disagreement" bash -c "grep -q 'disagreeing 0\$' '$out'"
mut=$(sed -n 's/^kmod-diff: edited frames reaching the hooks, agreeing \([0-9]*\)$/\1/p' "$out")
check "at least 1000 edited frames judged alike (${mut:-none})" [ "${mut:-0}" -ge 1000 ]
rm -f "$out"
check "rmmod meterwall" rmmod meterwall
suite_end
