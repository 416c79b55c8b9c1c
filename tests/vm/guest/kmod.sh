#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# meterwall.ko in the qemu guest (run by tests/suites/vm-kmod.sh through
# tests/vm/run.sh): load/unload, policy transactions, conduits with real
# TCP/UDP through veth, conntrack-followed replies, blocks that end
# established connections, island mode, fragments, malformed genl input,
# unprivileged callers, unload under traffic.
#
#   ns ext (partner-gw 198.51.100.10, 2001:db8:100::10;     ns gw                ns he
#           partner-b 198.51.100.20; rogue 198.51.100.99)   ext0 ┌──────────┐ sm0   192.0.2.10
#        eth0 ──────────────────────────────────────────────────┤ hooks of ├─────  2001:db8:10::10
#                                                   198.51.100.1│meterwall │192.0.2.1
#                                                               └──────────┘
# Policy: partner may open tcp/443 and udp/5683 to the head-end zone
# (inbound); the head-end may open tcp/8443 to partner (outbound).
set -u
SUITE=kmod
. tests/lib/suite.sh
T=$PWD/build/tests/test_nl_kmod
[ -x "$T" ] || { fail "test_nl_kmod present"; suite_end; exit 1; }
W=$(mktemp -d)
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in ext gw he other; do /sbin/ip netns del "k$n" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT

nsx() { local n=$1; shift; nsenter --net=/run/netns/k"$n" "$@"; }
gwt() { nsx gw "$T" "$@"; }
# retry N CMD...: CMD succeeds within N tries (first packets resolve neighbours)
retry() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.3; done
	return 1
}
fails() { ! "$@" >/dev/null 2>&1; }
# reason NAME: drop (or pass, with p) count of a reason in ns gw
drops() { gwt reason "$1" | sed -n 's/.*drop=\([0-9]*\).*/\1/p'; }
passes() { gwt reason "$1" | sed -n 's/.*pass=\([0-9]*\).*/\1/p'; }
gen() { gwt status | sed -n 's/.*gen=\([0-9]*\).*/\1/p'; }
rc_is() { local want=$1; shift; [ "$("$@" 2>/dev/null | sed -n 's/^rc=\(-*[0-9]*\).*/\1/p')" = "$want" ]; }

topo_up() {
	local n
	for n in ext gw he; do /sbin/ip netns add "k$n"; nsx "$n" /sbin/ip link set lo up; done
	/sbin/ip -n kgw link add ext0 type veth peer name eth0 netns kext
	/sbin/ip -n kgw link add sm0 type veth peer name eth0 netns khe
	/sbin/ip -n kgw addr add 198.51.100.1/24 dev ext0
	/sbin/ip -n kgw addr add 2001:db8:100::1/64 dev ext0 nodad
	/sbin/ip -n kgw addr add 192.0.2.1/24 dev sm0
	/sbin/ip -n kgw addr add 2001:db8:10::1/64 dev sm0 nodad
	/sbin/ip -n kext addr add 198.51.100.10/24 dev eth0
	/sbin/ip -n kext addr add 198.51.100.20/24 dev eth0
	/sbin/ip -n kext addr add 198.51.100.99/24 dev eth0
	/sbin/ip -n kext addr add 2001:db8:100::10/64 dev eth0 nodad
	/sbin/ip -n khe addr add 192.0.2.10/24 dev eth0
	/sbin/ip -n khe addr add 2001:db8:10::10/64 dev eth0 nodad
	for n in ext he; do /sbin/ip -n k$n link set eth0 up; done
	/sbin/ip -n kgw link set ext0 up
	/sbin/ip -n kgw link set sm0 up
	/sbin/ip -n kext route add default via 198.51.100.1
	/sbin/ip -n kext -6 route add default via 2001:db8:100::1
	/sbin/ip -n khe route add default via 192.0.2.1
	/sbin/ip -n khe -6 route add default via 2001:db8:10::1
	nsx gw sysctl -qw net.ipv4.ip_forward=1
	nsx gw sysctl -qw net.ipv6.conf.all.forwarding=1
}

policy() {	# serial -> $W/p<serial>.img
	cat >"$W/p.yaml" <<EOP
meterwall: 1
serial: $1
interfaces:
  - name: ext0
    zone: external
  - name: sm0
    zone: smart-meter
zones:
  - name: head-end
    prefixes: [192.0.2.0/24, "2001:db8:10::/64"]
systems:
  - name: partner
    entity: "Test Partner"
    contact: "ops@partner.example"
    agreement: "AGR-1"
    interface: ext0
    devices:
      - name: partner-gw
        addresses: [198.51.100.10, "2001:db8:100::10"]
      - name: partner-b
        addresses: [198.51.100.20]
    conduits:
      - direction: inbound
        zone: head-end
        proto: tcp
        ports: [443]
      - direction: inbound
        zone: head-end
        proto: udp
        ports: [5683]
      - direction: outbound
        zone: head-end
        proto: tcp
        ports: [8443]
EOP
	build/mwctl compile "$W/p.yaml" -o "$W/p$1.img" >/dev/null
}

# --- module load ---------------------------------------------------------
check "modprobe meterwall" modprobe meterwall
check "modinfo documents image_max, strict_new, event_rate" \
	bash -c 'modinfo meterwall | grep -q "parm:.*image_max" && modinfo meterwall | grep -q "parm:.*strict_new" && modinfo meterwall | grep -q "parm:.*event_rate"'
check "rmmod meterwall (idle)" rmmod meterwall
check "modprobe meterwall again" modprobe meterwall
check "status: nothing loaded" bash -c "$T status | grep -q 'loaded=0 gen=0'"

topo_up
policy 7
policy 8
nsx he "$T" tcp-serve 443 & pids+=($!)
nsx he "$T" tcp-serve 80 & pids+=($!)
nsx he "$T" udp-serve 5683 & pids+=($!)
nsx ext "$T" tcp-serve 8443 & pids+=($!)
nsx ext "$T" tcp-serve 22 & pids+=($!)
nsx ext "$T" tcp-serve 9000 & pids+=($!)
sleep 0.5
check "no policy: traffic is not judged" retry 5 nsx ext "$T" tcp-probe 192.0.2.10 80

# --- transactions ----------------------------------------------------------
check "load policy (serial 7)" gwt load "$W/p7.img"
check "status: generation 1, serial 7" bash -c "nsenter --net=/run/netns/kgw $T status | grep -q 'loaded=1 gen=1 serial=7'"
check "other netns has its own state (nothing loaded)" bash -c "$T status | grep -q 'loaded=0 gen=0'"
check "abort: chunks discarded, aborted id unknown" gwt abort-test "$W/p8.img"
check "abort left the running policy (gen 1, serial 7)" bash -c "nsenter --net=/run/netns/kgw $T status | grep -q 'gen=1 serial=7'"
for m in flip magic trunc section version; do
	check "corrupt image ($m) rejected with EBADMSG" gwt corrupt "$W/p8.img" $m
done
check "chunk out of order rejected" gwt gap "$W/p8.img"
check "begin beyond image_max refused (EFBIG)" rc_is -27 gwt begin $((129 << 20))
check "after rejected loads: still gen 1, serial 7" bash -c "nsenter --net=/run/netns/kgw $T status | grep -q 'gen=1 serial=7'"

# --- conduits --------------------------------------------------------------
check "inbound tcp/443 v4 allowed" retry 5 nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "inbound tcp/443 v6 allowed" retry 5 nsx ext "$T" tcp-probe 2001:db8:10::10 443
check "inbound udp/5683 allowed, reply passes" retry 3 nsx ext "$T" -s 198.51.100.10 udp-probe 192.0.2.10 5683
d0=$(drops NO_CONDUIT)
check "inbound tcp/80 refused" fails nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 80
check "  counted as NO_CONDUIT" test "$(drops NO_CONDUIT)" -gt "$d0"
u0=$(drops UNKNOWN_SOURCE)
check "undeclared source refused" fails nsx ext "$T" -s 198.51.100.99 tcp-probe 192.0.2.10 443
check "  counted as UNKNOWN_SOURCE" test "$(drops UNKNOWN_SOURCE)" -gt "$u0"
check "outbound tcp/8443 head-end -> partner allowed" retry 5 nsx he "$T" tcp-probe 198.51.100.10 8443
check "outbound tcp/22 refused" fails nsx he "$T" tcp-probe 198.51.100.10 22
check "outbound to an undeclared host refused" fails nsx he "$T" tcp-probe 198.51.100.99 8443
check "  counted as UNKNOWN_DEST" test "$(drops UNKNOWN_DEST)" -gt 0
check "gateway's own traffic out of ext0 judged (not from the head-end zone)" \
	fails nsx gw "$T" tcp-probe 198.51.100.10 8443
check "replies followed their flow (FLOW passes counted)" test "$(passes FLOW)" -gt 0
check "ALLOWED passes counted" test "$(passes ALLOWED)" -gt 0
check "device counter of partner-gw counts passes" \
	bash -c "nsenter --net=/run/netns/kgw $T counter device 0 | grep -qv 'pass=0 '"
f0=$(drops FRAGMENT)
check "fragmented udp/5683 (3000 bytes) refused: port rules take no fragments" \
	fails nsx ext "$T" -s 198.51.100.10 udp-probe 192.0.2.10 5683 3000
check "  counted as FRAGMENT" test "$(drops FRAGMENT)" -gt "$f0"

# --- blocks ---------------------------------------------------------------
dev=$(build/tests/test_nl_kmod id "$W/p7.img" device partner-gw)
sys=$(build/tests/test_nl_kmod id "$W/p7.img" system partner)
nsx ext "$T" -s 198.51.100.10 tcp-hold 192.0.2.10 443 8 >"$W/hold" 2>&1 & hold=$!
sleep 2
check "block device partner-gw" gwt block device "$dev"
wait $hold
hrc=$?
check "established TCP connection ended by the block (exit $hrc)" test "$hrc" -eq 2
grep -q "hold: connected" "$W/hold" || fail "  hold had connected"
b0=$(drops BLOCKED)
check "blocked device: new connection refused" fails nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "  counted as BLOCKED" test "$(drops BLOCKED)" -gt "$b0"
check "other device of the system still allowed" retry 3 nsx ext "$T" -s 198.51.100.20 tcp-probe 192.0.2.10 443
check "outbound to the blocked device refused" fails nsx he "$T" tcp-probe 198.51.100.10 8443
check "blocks dump lists 1" bash -c "nsenter --net=/run/netns/kgw $T blocks | grep -q blocks=1"
check "reload (serial 8) keeps the block" gwt load "$W/p8.img"
check "  still blocked after reload" fails nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "unblock device" gwt unblock device "$dev"
check "  allowed again" retry 3 nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "unblock of nothing: ENOENT" rc_is -2 gwt unblock device "$dev"
check "block system for 3 s" gwt block system "$sys" 3000
check "  both devices refused" bash -c "! nsenter --net=/run/netns/kext $T -s 198.51.100.20 tcp-probe 192.0.2.10 443 && ! nsenter --net=/run/netns/kext $T -s 198.51.100.10 tcp-probe 192.0.2.10 443"
sleep 3
check "  expired: allowed again" retry 3 nsx ext "$T" -s 198.51.100.20 tcp-probe 192.0.2.10 443
gwt unblock system "$sys" >/dev/null

# --- island ----------------------------------------------------------------
check "island on" gwt island 1
check "  inbound refused" fails nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "  outbound refused" fails nsx he "$T" tcp-probe 198.51.100.10 8443
check "  counted as ISLAND" test "$(drops ISLAND)" -gt 0
check "island off" gwt island 0
check "  allowed again" retry 3 nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443

# --- malformed netlink, privileges ----------------------------------------------
g0=$(gen)
gwt fuzz 300 1 >"$W/fuzz" 2>&1
frc=$?
cat "$W/fuzz" | tail -n 3
n=$(sed -n 's/^fuzz: \([0-9]*\) malformed sent, \([0-9]*\) rejected.*/\2/p' "$W/fuzz")
check "fuzz: every malformed request rejected (${n:-0} of them, + 300 random)" test "$frc" -eq 0
check "fuzz: at least 200 malformed requests" test "${n:-0}" -ge 200
check "fuzz: policy generation unchanged ($g0)" test "$(gen)" = "$g0"
check "fuzz: island still off, no block added" bash -c "nsenter --net=/run/netns/kgw $T status | grep -q island=0 && nsenter --net=/run/netns/kgw $T blocks | grep -q blocks=0"
check "fuzz: traffic still judged right" retry 3 nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
for c in status "load $W/p8.img" "block device $dev" "island 1" "begin 100" blocks; do
	check "without CAP_NET_ADMIN: $c refused (EPERM)" rc_is -1 gwt unpriv $c
done
check "  and nothing changed" bash -c "nsenter --net=/run/netns/kgw $T status | grep -q 'island=0' && nsenter --net=/run/netns/kgw $T blocks | grep -q blocks=0"

# --- unload under traffic -----------------------------------------------------
nsx ext "$T" -s 198.51.100.10 udp-blast 192.0.2.10 5683 6 >/dev/null & bl1=$!
nsx he "$T" udp-blast 198.51.100.10 9 6 >/dev/null & bl2=$!
nsx ext "$T" -s 198.51.100.10 tcp-hold 192.0.2.10 443 6 >/dev/null 2>&1 & bl3=$!
sleep 2
check "rmmod under traffic" rmmod meterwall
check "  traffic passes unjudged after unload" retry 3 nsx ext "$T" -s 198.51.100.99 tcp-probe 192.0.2.10 80
check "modprobe under traffic" modprobe meterwall
check "  load again" gwt load "$W/p8.img"
wait $bl1 $bl2 $bl3 2>/dev/null
check "rmmod with a policy loaded" rmmod meterwall
suite_end
