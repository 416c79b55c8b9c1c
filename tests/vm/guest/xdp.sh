#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs INSIDE the test VM (Debian's kernel, e.g. 6.1), started by
# tests/vm/init via `tests/vm/run.sh xdp.sh`; the host side is
# tests/suites/vm-xdp.sh.
#   1. test_xdp_diff: the XDP differential corpus (~20k frames through
#      BPF_PROG_TEST_RUN against the reference classifier), blocks, swaps,
#      pins, island, accounting, attach/detach; benchmarks with a small
#      MW_BENCH_REPEAT (rates under TCG mean nothing).
#   2. mwctl on veth in a network namespace: native attach, policy load,
#      a live packet counted, detach.
set -u
cd "$(dirname "$0")/../../.." || exit 1
export SUITE=xdp
# shellcheck source=tests/lib/suite.sh
. tests/lib/suite.sh
O=${O:-build}
M=$PWD/$O/mwctl
up() { cut -d' ' -f1 /proc/uptime; }

echo "kernel $(uname -r)"
check "kernel BTF (/sys/kernel/btf/vmlinux)" test -e /sys/kernel/btf/vmlinux
check "bpffs mounted at /sys/fs/bpf" grep -q ' /sys/fs/bpf bpf ' /proc/mounts

# --- 1. differential corpus and the XDP library tests -------------------------
log=/tmp/test_xdp_diff.log
t0=$(up)
MW_BENCH_REPEAT=${MW_BENCH_REPEAT:-20000} "$O/tests/test_xdp_diff" >"$log" 2>&1
rc=$?
cat "$log"
echo "test_xdp_diff: exit $rc, $(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }')s guest time"
before=$_fail
# one check per cmocka test (the run part, before the closing summary)
while read -r st name; do
	case $st in
	OK) ok "test_xdp_diff: $name" ;;
	*) fail "test_xdp_diff: $name ($st)" ;;
	esac
done < <(awk '/^\[==========\] [0-9]+ test\(s\) run/ { exit }
	/^\[       OK \] / { print "OK", $4 }
	/^\[  FAILED  \] / { print "FAILED", $4 }
	/^\[  SKIPPED \] / { print "SKIPPED", $4 }
	/^\[  ERROR   \] / { print "ERROR", $4 }' "$log")
if grep -qE '^corpus: [0-9]+ frames, [0-9]+ agree, 0 differ' "$log"; then
	ok "corpus: $(grep -E '^corpus: ' "$log" | tail -n 1 | cut -d' ' -f2-)"
else
	fail "corpus: no full agreement line"
fi
[ "$rc" -eq 0 ] || [ "$_fail" -gt "$before" ] || fail "test_xdp_diff exited $rc"

# --- 2. mwctl: native XDP on veth in a network namespace ----------------------
GW=mwvm-gw LAN=mwvm-lan
gw() { nsenter --net=/run/netns/$GW "$M" "$@"; }
lan() { nsenter --net=/run/netns/$LAN "$@"; }
# compact JSON of `mwctl -j status`
status_json() { gw -j status | tr -d ' \n\t'; }
reason_total() {
	status_json | grep -o '"reasons":{[^}]*}' | grep -oE ':[0-9]+' |
		tr -d : | awk '{ s += $1 } END { print s + 0 }'
}
cleanup() {
	gw detach ext0 >/dev/null 2>&1
	/sbin/ip netns del $GW 2>/dev/null
	/sbin/ip netns del $LAN 2>/dev/null
}
trap cleanup EXIT
# /sbin/ip: iproute2 (busybox's ip applet knows no netns and no XDP)
net_up() {
	/sbin/ip netns add $GW && /sbin/ip netns add $LAN &&
	/sbin/ip -n $GW link set lo up && /sbin/ip -n $LAN link set lo up &&
	/sbin/ip -n $GW link add ext0 type veth peer name lan0 netns $LAN &&
	/sbin/ip -n $GW link add ext1 type veth peer name ext1p &&
	/sbin/ip -n $GW link add sm0 type veth peer name sm0p &&
	for i in ext0 ext1 ext1p sm0 sm0p; do /sbin/ip -n $GW link set $i up || return 1; done &&
	/sbin/ip -n $LAN link set lan0 up &&
	/sbin/ip -n $GW addr add 198.51.100.1/24 dev ext0 &&
	/sbin/ip -n $GW addr add 192.0.2.1/24 dev sm0 &&
	/sbin/ip -n $LAN addr add 198.51.100.99/24 dev lan0 &&
	/sbin/ip -n $LAN route add 192.0.2.0/24 via 198.51.100.1 &&
	/sbin/ip -n $LAN neigh add 198.51.100.1 dev lan0 nud permanent \
		lladdr "$(/sbin/ip -n $GW -o link show ext0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)"
}
if check "veth pairs in network namespaces" net_up; then
	check "mwctl attach ext0 --mode native" gw attach ext0 --mode native
	/sbin/ip -n $GW link show ext0 | head -n 3
	if /sbin/ip -n $GW link show ext0 | grep -q ' xdp '; then
		ok "ext0 carries a native (driver) XDP program"
	else
		fail "ext0: no native XDP program ($(/sbin/ip -n $GW link show ext0 | head -n 1))"
	fi
	check "mwctl load examples/gateway.yaml" gw load examples/gateway.yaml
	j=$(status_json)
	echo "$j" | grep -o '"interface":"ext0"[^}]*'
	case $j in
	*'"interface":"ext0"'*'"xdp":true,"mode":"native"'*) ok "status: ext0 enforced, native" ;;
	*) fail "status does not show ext0 enforced natively" ;;
	esac
	n0=$(reason_total)
	for i in 1 2 3; do
		lan bash -c 'echo probe >/dev/udp/192.0.2.10/3610' 2>/dev/null
	done
	sleep 0.5
	n1=$(reason_total)
	echo "packets counted by reason: before $n0, after $n1"
	status_json | grep -o '"reasons":{[^}]*}'
	[ "$n1" -ge $((n0 + 3)) ] && ok "live packets on ext0 judged and counted" ||
		fail "live packets not counted ($n0 -> $n1)"
	check "mwctl detach ext0" gw detach ext0
	if /sbin/ip -n $GW link show ext0 | grep -qE ' xdp(generic)? '; then
		fail "XDP program left on ext0 after detach"
	else
		ok "ext0 has no XDP program after detach"
	fi
fi

suite_end
