#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# meterwall.ko in the qemu guest (run by tests/suites/vm-kmod.sh through
# tests/vm/run.sh): load/unload, what passes without a policy (no_policy),
# policy transactions, conduits with real TCP/UDP through veth, devices
# stacked on an external interface (VLAN sub-interfaces, QinQ, macvlan, a
# bridge mixing external and internal ports), conntrack-followed replies
# that still get the device checks (cross-interface injection, MAC spoofing),
# a reload that ends connections of removed conduits, blocks that end
# established connections, island mode, fragments, malformed genl input,
# unprivileged callers, unload under traffic; 802.1ad VLAN devices (L14),
# the module's anti-rollback (M7c), the time base across wall-clock steps
# (M1), the policy's own expiry (M7b), rate limits with real traffic (M7a).
#
#   ns ext (partner-gw 198.51.100.10 + 2001:db8:100::10,   ns gw                 ns he
#           MAC-bound; partner-b .20; rogue .99)            ext0 ┌──────────┐ sm0   192.0.2.10
#        eth0 ──────────────────────────────────────────────────┤ hooks of ├─────  2001:db8:10::10
#          eth0.100  partner-v 203.0.113.70, rogue .90  ext0.100│meterwall │192.0.2.1
#          eth0.200  partner-w 203.0.113.100            ext0.200│          │
#          eth0.100.5 partner-q 203.0.113.170         ext0.100.5│          │
#          (eth0)    partner-m 203.0.113.140 ->  mac0 (macvlan) │          │
#                                                   198.51.100.1│          │
#   ns other (other-gw 203.0.113.200; also holds       ext1 ─────┤          │
#             198.51.100.10 to spoof it)            203.0.113.193│          │
#   ns br (203.0.113.230)  ── ext2 ─ brx (bridge, + int2) .225 ──┘──────────┘
#
# Policy: partner (ext0, vlans [100] + untagged) may open tcp/443 and
# udp/5683 to the head-end zone (inbound); the head-end may open tcp/8443 to
# partner (outbound).  other (ext1) may open tcp/443.  ext2 is external and
# bridged with an internal port: a shape the module cannot judge.
set -u
SUITE=kmod
. tests/lib/suite.sh
T=$PWD/build/guest/nl_kmod
[ -x "$T" ] || { fail "nl_kmod present"; suite_end; exit 1; }
W=$(mktemp -d)
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in ext gw he other br; do /sbin/ip netns del "k$n" 2>/dev/null; done
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

# vlan NS PARENT NAME VID ADDR/LEN: a VLAN device, up
vlan() {
	/sbin/ip -n "$1" link add link "$2" name "$3" type vlan id "$4" &&
		/sbin/ip -n "$1" addr add "$5" dev "$3" && /sbin/ip -n "$1" link set "$3" up
}
# via NS TABLE FROM GW: traffic from FROM (a prefix) leaves by GW
via() {
	/sbin/ip -n "$1" rule add from "$3" table "$2" &&
		/sbin/ip -n "$1" route add default via "$4" table "$2"
}

topo_up() {
	local n
	for n in ext gw he other br; do /sbin/ip netns add "k$n"; nsx "$n" /sbin/ip link set lo up; done
	/sbin/ip -n kgw link add ext0 type veth peer name eth0 netns kext
	/sbin/ip -n kgw link add sm0 type veth peer name eth0 netns khe
	/sbin/ip -n kgw link add ext1 type veth peer name eth0 netns kother
	/sbin/ip -n kgw link add ext2 type veth peer name eth0 netns kbr
	/sbin/ip -n kgw link add int2 type veth peer name int2p
	/sbin/ip -n kext link set eth0 address 02:00:5e:10:00:0a
	/sbin/ip -n kgw addr add 198.51.100.1/24 dev ext0
	/sbin/ip -n kgw addr add 2001:db8:100::1/64 dev ext0 nodad
	/sbin/ip -n kgw addr add 192.0.2.1/24 dev sm0
	/sbin/ip -n kgw addr add 2001:db8:10::1/64 dev sm0 nodad
	/sbin/ip -n kgw addr add 203.0.113.193/27 dev ext1
	/sbin/ip -n kext addr add 198.51.100.10/24 dev eth0
	/sbin/ip -n kext addr add 198.51.100.20/24 dev eth0
	/sbin/ip -n kext addr add 198.51.100.99/24 dev eth0
	/sbin/ip -n kext addr add 198.51.100.30/24 dev eth0
	/sbin/ip -n kext addr add 198.51.100.40/24 dev eth0
	/sbin/ip -n kext addr add 2001:db8:100::10/64 dev eth0 nodad
	/sbin/ip -n kext addr add 203.0.113.140/27 dev eth0
	/sbin/ip -n khe addr add 192.0.2.10/24 dev eth0
	/sbin/ip -n khe addr add 2001:db8:10::10/64 dev eth0 nodad
	/sbin/ip -n kother addr add 203.0.113.200/27 dev eth0
	/sbin/ip -n kother addr add 198.51.100.10/32 dev eth0
	/sbin/ip -n kbr addr add 203.0.113.230/27 dev eth0
	for n in ext he other br; do /sbin/ip -n k$n link set eth0 up; done
	for n in ext0 sm0 ext1 ext2 int2 int2p; do /sbin/ip -n kgw link set $n up; done
	/sbin/ip -n kext route add default via 198.51.100.1
	/sbin/ip -n kext -6 route add default via 2001:db8:100::1
	/sbin/ip -n khe route add default via 192.0.2.1
	/sbin/ip -n khe -6 route add default via 2001:db8:10::1
	/sbin/ip -n kother route add default via 203.0.113.193
	/sbin/ip -n kbr route add default via 203.0.113.225
	nsx gw sysctl -qw net.ipv4.ip_forward=1
	nsx gw sysctl -qw net.ipv6.conf.all.forwarding=1
	# the module's checks, not the kernel's: no reverse-path filter, and
	# each address answered for by its own device (macvlan)
	for n in all default ext0 ext1; do
		nsx gw sysctl -qw net.ipv4.conf.$n.rp_filter=0
	done
	nsx gw sysctl -qw net.ipv4.conf.all.arp_ignore=1
	# ns other asks for the gateway as other-gw, never as the address it
	# spoofs (its ARP would be judged as partner-gw's)
	nsx other sysctl -qw net.ipv4.conf.all.arp_announce=2
	# devices stacked on ext0 (gw) and their peers (ext)
	vlan kgw ext0 ext0.100 100 203.0.113.65/27
	vlan kext eth0 eth0.100 100 203.0.113.70/27
	/sbin/ip -n kext addr add 203.0.113.90/27 dev eth0.100
	vlan kgw ext0 ext0.200 200 203.0.113.97/27
	vlan kext eth0 eth0.200 200 203.0.113.100/27
	vlan kgw ext0.100 ext0.100.5 5 203.0.113.161/27
	vlan kext eth0.100 eth0.100.5 5 203.0.113.170/27
	via kext 100 203.0.113.64/27 203.0.113.65
	via kext 200 203.0.113.96/27 203.0.113.97
	via kext 105 203.0.113.160/27 203.0.113.161
	via kext 129 203.0.113.128/27 203.0.113.129
	# a fixed MAC: a bridge takes its ports' lowest otherwise, and the
	# test takes int2 out and puts it back
	/sbin/ip -n kgw link add brx address 02:00:5e:00:02:25 type bridge
	/sbin/ip -n kgw link set ext2 master brx
	/sbin/ip -n kgw link set int2 master brx
	/sbin/ip -n kgw addr add 203.0.113.225/27 dev brx
	/sbin/ip -n kgw link set brx up
}

# policy SERIAL [no443] -> $W/p<serial>.img (no443: partner loses tcp/443).
# Env: PNAME (image name instead of p<serial>), TEXP (the agreement end of
# system timed, default 2100), PEXP (the policy's own expires, default none).
policy() {
	local c443="
      - direction: inbound
        zone: head-end
        proto: tcp
        ports: [443]"
	[ "${2:-}" = no443 ] && c443=
	{
	echo "meterwall: 1"
	echo "serial: $1"
	[ -n "${PEXP:-}" ] && echo "expires: $PEXP"
	cat <<EOP
interfaces:
  - name: ext0
    zone: external
    vlans: [100]
    untagged: true
  - name: ext1
    zone: external
  - name: ext2
    zone: external
    arp: all
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
        mac: "02:00:5e:10:00:0a"
      - name: partner-b
        addresses: [198.51.100.20]
      - name: partner-v
        addresses: [203.0.113.70]
      - name: partner-w
        addresses: [203.0.113.100]
      - name: partner-q
        addresses: [203.0.113.170]
      - name: partner-m
        addresses: [203.0.113.140]
      - name: partner-ad
        addresses: [203.0.113.10]
    conduits:$c443
      - direction: inbound
        zone: head-end
        proto: udp
        ports: [5683]
      - direction: outbound
        zone: head-end
        proto: tcp
        ports: [8443]
  - name: other
    entity: "Other Partner"
    contact: "ops@other.example"
    agreement: "AGR-2"
    interface: ext1
    devices:
      - name: other-gw
        addresses: [203.0.113.200]
    conduits:
      - direction: inbound
        zone: head-end
        proto: tcp
        ports: [443]
  - name: metered
    entity: "Metered Partner"
    contact: "ops@metered.example"
    agreement: "AGR-3"
    interface: ext0
    limits: { pps: 50 }
    devices:
      - name: metered-gw
        addresses: [198.51.100.30]
    conduits:
      - direction: inbound
        zone: head-end
        proto: udp
        ports: [5684]
  - name: timed
    entity: "Timed Partner"
    contact: "ops@timed.example"
    agreement: "AGR-4"
    interface: ext0
    expires: ${TEXP:-2100-01-01}
    devices:
      - name: timed-gw
        addresses: [198.51.100.40]
    conduits:
      - direction: inbound
        zone: head-end
        proto: tcp
        ports: [443]
EOP
	} >"$W/p.yaml"
	build/mwctl compile "$W/p.yaml" -o "$W/${PNAME:-p$1}.img" >/dev/null
}

# --- module load ---------------------------------------------------------
check "modprobe meterwall" modprobe meterwall
check "modinfo documents image_max, strict_new, event_rate, no_policy" \
	bash -c 'for p in image_max strict_new event_rate "no_policy:.*drop-forward.*drop-all.*accept"; do modinfo meterwall | grep -q "parm: *$p" || exit 1; done'
NP=/sys/module/meterwall/parameters/no_policy
check "no_policy defaults to drop-forward" grep -qx drop-forward $NP
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
nsx gw "$T" tcp-serve 7000 & pids+=($!)
sleep 0.5

# --- no policy yet (no_policy) ---------------------------------------------
n0=$(drops NO_POLICY)
check "no policy (drop-forward): nothing relayed ext -> head-end" \
	fails nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "no policy (drop-forward): nothing relayed head-end -> ext" \
	fails nsx he "$T" tcp-probe 198.51.100.10 8443
check "  counted as NO_POLICY" test "$(drops NO_POLICY)" -ge $((n0 + 2))
check "no policy: ping to the gateway answered" retry 5 nsx ext ping -c 1 -W 2 198.51.100.1
check "no policy: TCP to the gateway itself works" retry 5 nsx ext "$T" tcp-probe 198.51.100.1 7000
check "no policy: TCP from the head-end side to the gateway works" retry 5 nsx he "$T" tcp-probe 192.0.2.1 7000
check "no policy: the gateway's own TCP out of ext0 works" retry 5 nsx gw "$T" tcp-probe 198.51.100.10 22
check "no_policy=accept (sysfs): forwarding passes unjudged" \
	bash -c "echo accept >$NP && grep -qx accept $NP"
check "  ext -> head-end relayed" retry 5 nsx ext "$T" tcp-probe 192.0.2.10 80
check "no_policy=bogus refused" bash -c "! echo bogus 2>/dev/null >$NP && grep -qx accept $NP"
check "no_policy=drop-all" bash -c "echo drop-all >$NP"
e0=$(nsx ext "$T" reason NO_POLICY | sed -n 's/.*drop=\([0-9]*\).*/\1/p')
check "  TCP to the gateway refused" fails nsx ext "$T" tcp-probe 198.51.100.1 7000
check "  counted as NO_POLICY (sender's netns drops its own)" \
	test "$(nsx ext "$T" reason NO_POLICY | sed -n 's/.*drop=\([0-9]*\).*/\1/p')" -gt "$e0"
check "  loopback still works" nsx gw "$T" tcp-probe 127.0.0.1 7000
check "no_policy=drop-forward again" bash -c "echo drop-forward >$NP"
check "  TCP to the gateway works again" retry 5 nsx ext "$T" tcp-probe 198.51.100.1 7000

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
dev=$(build/guest/nl_kmod id "$W/p7.img" device partner-gw)
check "device counter of partner-gw counts passes" \
	bash -c "nsenter --net=/run/netns/kgw $T counter device $dev | grep -qv 'pass=0 '"
f0=$(drops FRAGMENT)
check "fragmented udp/5683 (3000 bytes) refused: port rules take no fragments" \
	fails nsx ext "$T" -s 198.51.100.10 udp-probe 192.0.2.10 5683 3000
check "  counted as FRAGMENT" test "$(drops FRAGMENT)" -gt "$f0"

# --- devices stacked on an external interface -------------------------------
# A VLAN sub-interface, two VLAN levels, a macvlan on ext0: judged as ext0
# with the tags their devices took off; a bridge mixing the external ext2
# with an internal port cannot be judged and drops (NOT_MANAGED).
check "VLAN 100 (ext0.100): inbound tcp/443 from partner-v allowed" \
	retry 5 nsx ext "$T" -s 203.0.113.70 tcp-probe 192.0.2.10 443
check "  inbound udp/5683 allowed, reply passes out of ext0.100" \
	retry 3 nsx ext "$T" -s 203.0.113.70 udp-probe 192.0.2.10 5683
d0=$(drops NO_CONDUIT)
check "  inbound tcp/80 refused" fails nsx ext "$T" -s 203.0.113.70 tcp-probe 192.0.2.10 80
check "    counted as NO_CONDUIT" test "$(drops NO_CONDUIT)" -gt "$d0"
u0=$(drops UNKNOWN_SOURCE)
check "  rogue source on VLAN 100 refused" fails nsx ext "$T" -s 203.0.113.90 tcp-probe 192.0.2.10 443
check "    counted as UNKNOWN_SOURCE" test "$(drops UNKNOWN_SOURCE)" -gt "$u0"
check "  outbound tcp/8443 head-end -> partner-v allowed" retry 5 nsx he "$T" tcp-probe 203.0.113.70 8443
d0=$(drops NO_CONDUIT)
check "  outbound tcp/22 to partner-v refused (egress of ext0.100 judged)" \
	fails nsx he "$T" tcp-probe 203.0.113.70 22
check "    counted as NO_CONDUIT" test "$(drops NO_CONDUIT)" -gt "$d0"
u0=$(drops UNKNOWN_DEST)
check "  outbound to the rogue on VLAN 100 refused" fails nsx he "$T" tcp-probe 203.0.113.90 8443
check "    counted as UNKNOWN_DEST" test "$(drops UNKNOWN_DEST)" -gt "$u0"
v0=$(drops VLAN)
check "VLAN 200 (not in vlans:): partner-w refused" fails nsx ext "$T" -s 203.0.113.100 tcp-probe 192.0.2.10 443
check "  outbound to partner-w out of ext0.200 refused" fails nsx he "$T" tcp-probe 203.0.113.100 8443
check "  counted as VLAN (both directions)" test "$(drops VLAN)" -ge $((v0 + 2))
v0=$(drops VLAN)
check "two VLAN levels (ext0.100.5): partner-q refused" fails nsx ext "$T" -s 203.0.113.170 tcp-probe 192.0.2.10 443
check "  counted as VLAN" test "$(drops VLAN)" -gt "$v0"
# L14: an 802.1ad tag is never allowed, not even with a VID vlans: allows
check "802.1ad VLAN device ext0.ad100 (VID 100, allowed as 802.1Q)" bash -c "
	/sbin/ip -n kgw link add link ext0 name ext0.ad100 type vlan protocol 802.1ad id 100 &&
	/sbin/ip -n kgw addr add 203.0.113.1/27 dev ext0.ad100 && /sbin/ip -n kgw link set ext0.ad100 up &&
	/sbin/ip -n kext link add link eth0 name eth0.ad100 type vlan protocol 802.1ad id 100 &&
	/sbin/ip -n kext addr add 203.0.113.10/27 dev eth0.ad100 && /sbin/ip -n kext link set eth0.ad100 up"
check "  route of partner-ad by it" via kext 131 203.0.113.0/27 203.0.113.1
v0=$(drops VLAN)
check "  inbound tcp/443 from partner-ad refused" fails nsx ext "$T" -s 203.0.113.10 tcp-probe 192.0.2.10 443
check "  outbound tcp/8443 to partner-ad refused" fails nsx he "$T" tcp-probe 203.0.113.10 8443
check "  counted as VLAN (both directions)" test "$(drops VLAN)" -ge $((v0 + 2))
check "macvlan mac0 on ext0 created after the policy load" bash -c "
	/sbin/ip -n kgw link add link ext0 name mac0 type macvlan mode bridge &&
	/sbin/ip -n kgw addr add 203.0.113.129/27 dev mac0 && /sbin/ip -n kgw link set mac0 up"
check "macvlan on ext0 (mac0): inbound tcp/443 from partner-m allowed" \
	retry 5 nsx ext "$T" -s 203.0.113.140 tcp-probe 192.0.2.10 443
d0=$(drops NO_CONDUIT)
check "  inbound tcp/80 refused" fails nsx ext "$T" -s 203.0.113.140 tcp-probe 192.0.2.10 80
check "  outbound tcp/22 to partner-m refused" fails nsx he "$T" tcp-probe 203.0.113.140 22
check "    counted as NO_CONDUIT" test "$(drops NO_CONDUIT)" -ge $((d0 + 2))
m0=$(drops NOT_MANAGED)
check "bridge of external ext2 + internal int2: inbound refused" \
	fails nsx br "$T" tcp-probe 192.0.2.10 443
check "  outbound into the bridge refused" fails nsx he "$T" tcp-probe 203.0.113.230 22
check "  counted as NOT_MANAGED" test "$(drops NOT_MANAGED)" -ge $((m0 + 2))
check "a device taken out of the bridge is judged as what it is" \
	bash -c "/sbin/ip -n kgw link set int2 nomaster"
check "  bridge with ext2 alone: judged as ext2 (rogue: UNKNOWN_SOURCE)" \
	bash -c "u=\$(nsenter --net=/run/netns/kgw $T reason UNKNOWN_SOURCE | sed -n 's/.*drop=\([0-9]*\).*/\1/p');
		! nsenter --net=/run/netns/kbr $T tcp-probe 192.0.2.10 443 &&
		[ \$(nsenter --net=/run/netns/kgw $T reason UNKNOWN_SOURCE | sed -n 's/.*drop=\([0-9]*\).*/\1/p') -gt \$u ]"
/sbin/ip -n kgw link set int2 master brx

# --- established flows keep the device checks --------------------------------
# A tracked flow passes without a conduit, but not from another interface,
# another MAC, a source that is no device: the flow's tuple is not a pass.
gw0mac=$(/sbin/ip -n kgw -o link show ext0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
gw1mac=$(/sbin/ip -n kgw -o link show ext1 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
check "other-gw on ext1: tcp/443 allowed" retry 5 nsx other "$T" -s 203.0.113.200 tcp-probe 192.0.2.10 443
check "established udp flow partner-gw:40002 -> head-end:5683" \
	retry 3 nsx ext "$T" -s 198.51.100.10 -P 40002 udp-probe 192.0.2.10 5683
w0=$(drops WRONG_IFACE)
check "  the same tuple from ext1 (other's interface) sent" \
	nsx other "$T" -s 198.51.100.10 -P 40002 udp-send 192.0.2.10 5683 5
check "    dropped as WRONG_IFACE (all 5)" test "$(drops WRONG_IFACE)" -ge $((w0 + 5))
s0=$(drops SPOOFED)
fr=$(nsx ext "$T" frame udp4 02:00:5e:10:00:bb "$gw0mac" 198.51.100.10 192.0.2.10 40002 5683)
check "  the same tuple from another MAC on ext0 sent" nsx ext "$T" raw-send eth0 "$fr" 5
check "    dropped as SPOOFED (all 5)" test "$(drops SPOOFED)" -ge $((s0 + 5))
fr=$(nsx ext "$T" frame udp4 02:00:5e:10:00:0a "$gw0mac" 198.51.100.10 192.0.2.10 40002 5683)
f0=$(passes FLOW)
check "  the same tuple from the bound MAC sent" nsx ext "$T" raw-send eth0 "$fr" 5
check "    passes as its flow" test "$(passes FLOW)" -ge $((f0 + 5))

# --- a reload ends the connections it no longer allows ----------------------
policy 9 no443
nsx ext "$T" -s 198.51.100.10 tcp-hold 192.0.2.10 443 8 >"$W/holdA" 2>&1 & ha=$!
nsx he "$T" tcp-hold 198.51.100.10 8443 8 >"$W/holdB" 2>&1 & hb=$!
sleep 2
check "reload without partner's tcp/443 (serial 9)" gwt load "$W/p9.img"
wait $ha
arc=$?
wait $hb
brc=$?
cat "$W/holdA" "$W/holdB"
grep -q "hold: connected" "$W/holdA" && grep -q "hold: connected" "$W/holdB" ||
	fail "  both connections had connected"
check "  established tcp/443 connection ended (exit $arc)" test "$arc" -eq 2
check "  established tcp/8443 connection (conduit kept) held (exit $brc)" test "$brc" -eq 0
check "  new tcp/443 connection refused" fails nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "  other's tcp/443 (its own conduit) still allowed" \
	retry 3 nsx other "$T" -s 203.0.113.200 tcp-probe 192.0.2.10 443
# M7c: the module refuses a rollback itself
g0=$(gen)
check "reload of the older serial 8 refused (ESTALE)" rc_is -116 gwt load "$W/p8.img"
check "  with the reason" bash -c "nsenter --net=/run/netns/kgw $T load $W/p8.img | grep -qx 'rc=-116 msg=serial 8 is below the serial in force (9): refusing a rollback'"
check "  serial 9 still in force, generation unchanged" bash -c "nsenter --net=/run/netns/kgw $T status | grep -q 'gen=$g0 serial=9 '"
check "  new tcp/443 connection still refused" fails nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "reload with tcp/443 again (serial 8, rollback flag)" gwt load "$W/p8.img" rollback
check "  allowed again" retry 3 nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
PNAME=p8other policy 8 no443
check "serial 8 with other content refused (EEXIST)" bash -c "nsenter --net=/run/netns/kgw $T load $W/p8other.img rollback | grep -qx 'rc=-17 msg=serial 8 is already in force with different content'"
check "  tcp/443 still allowed (serial 8 as loaded)" retry 3 nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "the same image again (serial 8) accepted" gwt load "$W/p8.img"

# --- ARP on ext0 (arp: devices), judged by the module's own ARP hook --------
neigh() { /sbin/ip -n kgw neigh show "$1" dev ext0; }
/sbin/ip -n kgw neigh flush dev ext0
/sbin/ip -n kext neigh flush dev eth0
l0=$(passes L2_CONTROL)
check "ARP of a declared device passes: neighbours resolve, traffic flows" \
	retry 5 nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "  counted as L2_CONTROL passes" test "$(passes L2_CONTROL)" -gt "$l0"
extmac=02:00:5e:10:00:0a
l0=$(drops L2_DENIED)
fr=$(nsx ext "$T" frame arp $extmac ff:ff:ff:ff:ff:ff 1 $extmac 198.51.100.99 00:00:00:00:00:00 198.51.100.1)
check "ARP request from an undeclared address sent" nsx ext "$T" raw-send eth0 "$fr" 3
check "  dropped as L2_DENIED (all 3)" test "$(drops L2_DENIED)" -ge $((l0 + 3))
check "  the gateway learnt no neighbour for it" test -z "$(neigh 198.51.100.99)"
s0=$(drops SPOOFED)
fr=$(nsx ext "$T" frame arp $extmac ff:ff:ff:ff:ff:ff 1 02:00:5e:10:00:bb 198.51.100.10 00:00:00:00:00:00 198.51.100.1)
check "ARP of partner-gw with another sender hardware address sent" nsx ext "$T" raw-send eth0 "$fr" 3
check "  dropped as SPOOFED (all 3)" test "$(drops SPOOFED)" -ge $((s0 + 3))
check "  the gateway's neighbour for partner-gw kept the bound MAC" \
	bash -c "/sbin/ip -n kgw neigh show 198.51.100.10 dev ext0 | grep -q $extmac"

# --- blocks ---------------------------------------------------------------
sys=$(build/guest/nl_kmod id "$W/p7.img" system partner)
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
# 8 s: the two refused probes take 3 s and more under TCG
check "block system for 8 s" gwt block system "$sys" 8000
check "  both devices refused" bash -c "! nsenter --net=/run/netns/kext $T -s 198.51.100.20 tcp-probe 192.0.2.10 443 && ! nsenter --net=/run/netns/kext $T -s 198.51.100.10 tcp-probe 192.0.2.10 443"
sleep 5
check "  expired: allowed again" retry 10 nsx ext "$T" -s 198.51.100.20 tcp-probe 192.0.2.10 443
gwt unblock system "$sys" >/dev/null
# system N and device N are different keys (L6: they collided on 32 bits)
nb() { nsenter --net=/run/netns/kgw "$T" blocks | sed -n 's/^blocks=//p'; }
check "block system $sys" gwt block system "$sys"
check "  unblock device $sys (same number): ENOENT" rc_is -2 gwt unblock device "$sys"
check "  block device $sys as well: 2 blocks" bash -c "nsenter --net=/run/netns/kgw $T block device $sys >/dev/null && [ \$(nsenter --net=/run/netns/kgw $T blocks | sed -n 's/^blocks=//p') = 2 ]"
check "  unblock system $sys: the device block stays" bash -c "nsenter --net=/run/netns/kgw $T unblock system $sys >/dev/null && [ \$(nsenter --net=/run/netns/kgw $T blocks | sed -n 's/^blocks=//p') = 1 ]"
check "  unblock device $sys" gwt unblock device "$sys"
check "  no block left" test "$(nb)" = 0
# the packet path's per-id arrays grow (a copy) for a block beyond them
check "block device partner-gw, then the last ids of both kinds" bash -c "nsenter --net=/run/netns/kgw $T block device $dev >/dev/null && nsenter --net=/run/netns/kgw $T block device 1048575 >/dev/null && nsenter --net=/run/netns/kgw $T block system 65535 >/dev/null"
check "  3 blocks" test "$(nb)" = 3
check "  device 1048576 is out of range: ERANGE" rc_is -34 gwt block device 1048576
check "  partner-gw still refused after the arrays grew" fails nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "  unblock all three" bash -c "nsenter --net=/run/netns/kgw $T unblock device $dev >/dev/null && nsenter --net=/run/netns/kgw $T unblock device 1048575 >/dev/null && nsenter --net=/run/netns/kgw $T unblock system 65535 >/dev/null"
check "  partner-gw allowed again" retry 3 nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "  no block left" test "$(nb)" = 0

# --- island ----------------------------------------------------------------
check "island on" gwt island 1
check "  inbound refused" fails nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "  outbound refused" fails nsx he "$T" tcp-probe 198.51.100.10 8443
check "  counted as ISLAND" test "$(drops ISLAND)" -gt 0
check "island off" gwt island 0
check "  allowed again" retry 3 nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443

# --- M1: one time base (CLOCK_BOOTTIME; offsets set by the controller) --------
check "CLOCK_SET / GET_STATUS: max only rises, reset lowers it, bad ones refused" \
	gwt clock-test
# stepclk SECS: step the wall clock by SECS and tell the module (CLOCK_SET)
stepclk() {
	date -s "@$(($(date +%s) + $1))" >/dev/null && gwt clock-set "$($T clock-now)"
}
t0=$(date +%s)
TEXP=$(date -u -d "@$((t0 + 3 * 86400))" +%Y-%m-%dT%H:%M:%SZ) policy 10
check "load serial 10: timed's agreement ends in 3 days" gwt load "$W/p10.img"
check "  timed-gw allowed" retry 5 nsx ext "$T" -s 198.51.100.40 tcp-probe 192.0.2.10 443
pb=$(build/guest/nl_kmod id "$W/p10.img" device partner-b)
check "block partner-b for 300 s" gwt block device "$pb" 300000
check "wall clock 10 days forward, CLOCK_SET" stepclk $((10 * 86400))
a0=$(drops AGREEMENT)
check "  timed-gw refused (agreement ended)" fails nsx ext "$T" -s 198.51.100.40 tcp-probe 192.0.2.10 443
check "    counted as AGREEMENT" test "$(drops AGREEMENT)" -gt "$a0"
b0=$(drops BLOCKED)
check "  the 300 s block of partner-b still holds (boot clock)" \
	fails nsx ext "$T" -s 198.51.100.20 tcp-probe 192.0.2.10 443
check "    counted as BLOCKED" test "$(drops BLOCKED)" -gt "$b0"
check "wall clock 10 days back, CLOCK_SET" stepclk $((-10 * 86400))
check "  status: clock back, its maximum kept (~10 days above)" bash -c "
	nsenter --net=/run/netns/kgw $T status | sed -n 's/.* clock=\(-*[0-9]*\) clock_max=\(-*[0-9]*\).*/\1 \2/p' |
	{ read c m; d=\$(( (m - c) / 1000000000 )); [ \$d -ge $((10 * 86400 - 60)) ] && [ \$d -le $((10 * 86400 + 60)) ]; }"
a0=$(drops AGREEMENT)
check "  timed-gw still refused: a step back revives no agreement" \
	fails nsx ext "$T" -s 198.51.100.40 tcp-probe 192.0.2.10 443
check "    counted as AGREEMENT" test "$(drops AGREEMENT)" -gt "$a0"
check "reset the maximum (MW_CLOCK_F_RESET_MAX)" gwt clock-set "$($T clock-now)" reset
check "  timed-gw allowed again" retry 5 nsx ext "$T" -s 198.51.100.40 tcp-probe 192.0.2.10 443
check "  partner-b still blocked" fails nsx ext "$T" -s 198.51.100.20 tcp-probe 192.0.2.10 443
check "unblock partner-b" gwt unblock device "$pb"
check "  partner-b allowed" retry 5 nsx ext "$T" -s 198.51.100.20 tcp-probe 192.0.2.10 443

# --- M7b: the policy's own expiry ------------------------------------------------
PEXP=$(date -u -d "@$(($(date +%s) - 60))" +%Y-%m-%dT%H:%M:%SZ) policy 11
e0=$(drops POLICY_EXPIRED)
check "load serial 11, expired a minute ago" gwt load "$W/p11.img"
check "  inbound tcp/443 refused" fails nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443
check "  outbound tcp/8443 refused" fails nsx he "$T" tcp-probe 198.51.100.10 8443
check "  counted as POLICY_EXPIRED (both directions)" test "$(drops POLICY_EXPIRED)" -ge $((e0 + 2))
policy 12
check "load serial 12 (no expiry)" gwt load "$W/p12.img"
check "  allowed again" retry 5 nsx ext "$T" -s 198.51.100.10 tcp-probe 192.0.2.10 443

# --- M7a: rate limits (metered: 50 packets/s, a burst of 1 s) --------------------
mdev=$(build/guest/nl_kmod id "$W/p12.img" device metered-gw)
mctr() { nsenter --net=/run/netns/kgw "$T" counter device "$mdev" | sed -n "s/.*$1=\([0-9]*\).*/\1/p"; }
# A burst of 300 datagrams 1 ms apart from metered-gw to head-end udp/5684,
# a reload of the same image, 60 more at once: the head-end counts them all.
nsx he "$T" udp-count 5684 3 >"$W/cnt" & cpid=$!
sleep 0.5
p0=$(mctr pass) d0=$(mctr drop) r0=$(drops RATE_LIMIT)
nsx ext "$T" -s 198.51.100.30 udp-burst 192.0.2.10 5684 300 >"$W/burst"
uend=$(cut -d' ' -f1 /proc/uptime)
p1=$(mctr pass)
check "reload (same image) right after the burst" gwt load "$W/p12.img"
nsx ext "$T" -s 198.51.100.30 udp-burst 192.0.2.10 5684 60 >"$W/burst2"
u2=$(cut -d' ' -f1 /proc/uptime)
p2=$(mctr pass)
wait $cpid
cat "$W/burst" "$W/burst2" "$W/cnt"
sent=$(sed -n 's/^burst: sent=\([0-9]*\).*/\1/p' "$W/burst")
sent2=$(sed -n 's/^burst: sent=\([0-9]*\).*/\1/p' "$W/burst2")
el=$(sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' "$W/burst")
recv=$(sed -n 's/^count: received=\([0-9]*\).*/\1/p' "$W/cnt")
adm=$((p1 - p0)) adm2=$((p2 - p1))
lim=$(($(drops RATE_LIMIT) - r0)) ddrop=$(($(mctr drop) - d0))
# the bucket was full when the first burst ended: until the second one
# ended one packet per 20 ms could pass (a state lost by the reload: 50)
gap=$(awk -v a="$uend" -v b="$u2" 'BEGIN { printf "%d", (b - a) * 1000 + 20 }')
echo "rate: sent=$sent+$sent2 elapsed=${el}ms admitted=$adm+$adm2 (gap ${gap}ms) received=$recv rate_limit=$lim"
check "300 + 60 datagrams sent" test "${sent:-0}" -eq 300 -a "${sent2:-0}" -eq 60
# at most the burst and one per 20 ms; at least the burst and half the
# rate (a sender stalled under TCG leaves some of the rate unused)
lo=$((48 + el / 40))
[ "$lo" -gt "${sent:-0}" ] && lo=$sent
check "  burst admitted within the GCRA bound: $lo <= $adm <= (${el} + 1000)/20 + 2" \
	test "$adm" -ge "$lo" -a "$adm" -le $(((el + 1000) / 20 + 2))
check "  after the reload the state stayed: $adm2 <= $gap/20 + 4" \
	test "$adm2" -le $((gap / 20 + 4))
check "  received = admitted ($recv)" test "${recv:-0}" -eq $((adm + adm2))
check "  the rest dropped as RATE_LIMIT ($lim)" test "$lim" -eq $((sent + sent2 - adm - adm2))
check "  counted as drops of metered-gw ($ddrop)" test "$ddrop" -eq "$lim"

# --- M7a: what one skb carries is charged as its segments ------------------------
# Two UDP GSO sends of 45 datagrams each, back to back, from metered-gw once
# its bucket is full again (2 s idle: a burst of 1 s, 50 packets): 45 x 20 ms
# fit the burst, 90 do not, so the first skb passes whole and the second
# drops whole.  Charged as one packet each (what a GRO-merged or TSO-built
# skb was before) both would pass.
sleep 2
nsx he "$T" udp-count 5684 3 >"$W/gcnt" & cpid=$!
sleep 0.5
p0=$(mctr pass) r0=$(drops RATE_LIMIT)
check "two UDP GSO sends of 45 segments" nsx ext "$T" -s 198.51.100.30 udp-gso 192.0.2.10 5684 2 45
wait $cpid
grecv=$(sed -n 's/^count: received=\([0-9]*\).*/\1/p' "$W/gcnt")
echo "gso: passed=$(($(mctr pass) - p0)) rate_limit=$(($(drops RATE_LIMIT) - r0)) received=$grecv"
check "  the first passes, the second is RATE_LIMIT (counted as their 45 packets each)" \
	test $(($(mctr pass) - p0)) -eq 45 -a $(($(drops RATE_LIMIT) - r0)) -eq 45
check "  the head-end gets the first one's 45 datagrams ($grecv)" test "${grecv:-0}" -eq 45

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
for c in status "load $W/p12.img" "block device $dev" "island 1" "begin 100" blocks; do
	check "without CAP_NET_ADMIN: $c refused (EPERM)" rc_is -1 gwt unpriv $c
done
check "  and nothing changed" bash -c "nsenter --net=/run/netns/kgw $T status | grep -q 'island=0' && nsenter --net=/run/netns/kgw $T blocks | grep -q blocks=0"
check "transactions belong to their socket (EBUSY, EPERM, ESRCH; freed on close)" \
	gwt txn-owner "$W/p12.img"
check "genl header: reserved byte and unknown nlmsg flags refused" gwt genl-hdr
check "  no transaction left open by them" gwt abort-test "$W/p8.img"

# --- unload under traffic -----------------------------------------------------
# The blasters are paced (a datagram every 8 ms each, absolute deadlines,
# no catching up): a TCG guest must not spend its CPUs in softirq.
nsx ext "$T" -s 198.51.100.10 udp-blast 192.0.2.10 5683 6 >"$W/bl1" & bl1=$!
nsx he "$T" udp-blast 198.51.100.10 9 6 >"$W/bl2" & bl2=$!
nsx ext "$T" -s 198.51.100.10 tcp-hold 192.0.2.10 443 6 >/dev/null 2>&1 & bl3=$!
sleep 2
check "rmmod under traffic" rmmod meterwall
check "  traffic passes unjudged after unload" retry 3 nsx ext "$T" -s 198.51.100.99 tcp-probe 192.0.2.10 80
check "modprobe under traffic" modprobe meterwall
check "  load again" gwt load "$W/p8.img"
wait $bl1 $bl2 $bl3 2>/dev/null
cat "$W/bl1" "$W/bl2"
check "  the blasters sent during the step (>= 250 datagrams each)" \
	bash -c "for f in $W/bl1 $W/bl2; do n=\$(sed -n 's/^blast: \([0-9]*\) sent.*/\1/p' \$f); [ \"\${n:-0}\" -ge 250 ] || exit 1; done"
check "rmmod with a policy loaded" rmmod meterwall
suite_end
