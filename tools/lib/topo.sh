# shellcheck shell=bash
# A simulated gateway site in network namespaces, for the demo and the
# live tests.  Source it, set TOPO_ID (unique per run), call topo_up, and
# topo_down in an EXIT trap.
#
#   hems-gw-1 (198.51.100.10, 02:00:5e:10:00:01) ─┐
#   spoofer   (198.51.100.11, wrong MAC)         ─┤ bridge    ext0 ┌─────────┐ sm0      head-end
#   rogue     (198.51.100.99)                    ─┤ (lan ns) ──────┤ gateway ├─────── 192.0.2.10
#   maint     (198.51.100.40, 02:00:5e:10:00:40) ─┘                │ (XDP on │          192.0.2.20
#                                                                  │ ext0,   │          2001:db8:10::10
#   partner WAN link:                                        ext1  │ ext1)   │
#     dr-api 203.0.113.80, collector 203.0.113.20 ─────────────────┤         │
#                                                                  └─────────┘
# Addresses are from the documentation ranges; nothing is routed out.

TOPO_ID=${TOPO_ID:-$$}
NS_LAN=mw-lan-$TOPO_ID
NS_GW=mw-gw-$TOPO_ID
NS_HE=mw-he-$TOPO_ID
NS_PARTNER=mw-pt-$TOPO_ID
TOPO_HOSTS=(hems spoof rogue maint)
declare -A TOPO_ADDR=([hems]=198.51.100.10 [spoof]=198.51.100.11 [rogue]=198.51.100.99 [maint]=198.51.100.40)
declare -A TOPO_ADDR6=([hems]=2001:db8:100::10 [spoof]=2001:db8:100::11 [rogue]=2001:db8:100::99 [maint]=2001:db8:100::40)
declare -A TOPO_MAC=([hems]=02:00:5e:10:00:01 [spoof]=02:00:5e:66:00:11 [rogue]=02:00:5e:66:00:66 [maint]=02:00:5e:10:00:40)

ns_of() { echo "mw-$1-$TOPO_ID"; }

# Run a command in a namespace's network only (keeps the host's mount
# namespace, so /sys/fs/bpf pins stay visible).
in_ns() {
	local ns=$1
	shift
	nsenter --net=/run/netns/"$ns" "$@"
}

topo_up() {
	local h ns
	ip netns add "$NS_LAN"
	ip netns add "$NS_GW"
	ip netns add "$NS_HE"
	ip netns add "$NS_PARTNER"
	ip -n "$NS_LAN" link add br0 type bridge
	ip -n "$NS_LAN" link set br0 up
	for h in "${TOPO_HOSTS[@]}"; do
		ns=$(ns_of "$h")
		ip netns add "$ns"
		ip -n "$NS_LAN" link add "p-$h" type veth peer name eth0 netns "$ns"
		ip -n "$NS_LAN" link set "p-$h" master br0 up
		ip -n "$ns" link set eth0 address "${TOPO_MAC[$h]}"
		ip -n "$ns" addr add "${TOPO_ADDR[$h]}/24" dev eth0
		ip -n "$ns" addr add "${TOPO_ADDR6[$h]}/64" dev eth0 nodad
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
		ip -n "$ns" route add default via 198.51.100.1
		ip -n "$ns" -6 route add default via 2001:db8:100::1
	done
	# gateway: ext0 on the customer-side LAN, ext1 to the partner, sm0 inside
	ip -n "$NS_LAN" link add p-gw type veth peer name ext0 netns "$NS_GW"
	ip -n "$NS_GW" link set ext0 address 02:00:5e:00:00:01
	# the rogue device does not need ARP answered: it knows the gateway
	ip -n "$(ns_of rogue)" neigh add 198.51.100.1 lladdr 02:00:5e:00:00:01 dev eth0 nud permanent
	ip -n "$NS_LAN" link set p-gw master br0 up
	ip -n "$NS_GW" addr add 198.51.100.1/24 dev ext0
	ip -n "$NS_GW" addr add 2001:db8:100::1/64 dev ext0 nodad
	ip -n "$NS_GW" link add ext1 type veth peer name eth0 netns "$NS_PARTNER"
	ip -n "$NS_GW" addr add 203.0.113.1/24 dev ext1
	ip -n "$NS_GW" link add sm0 type veth peer name eth0 netns "$NS_HE"
	ip -n "$NS_GW" addr add 192.0.2.1/24 dev sm0
	ip -n "$NS_GW" addr add 2001:db8:10::1/64 dev sm0 nodad
	for ifc in ext0 ext1 sm0 lo; do
		ip -n "$NS_GW" link set "$ifc" up
	done
	in_ns "$NS_GW" sysctl -qw net.ipv4.ip_forward=1
	in_ns "$NS_GW" sysctl -qw net.ipv6.conf.all.forwarding=1
	# partner WAN link (the host kernels here have no 802.1Q devices, so
	# this link is untagged; VLAN enforcement is covered by the corpus)
	ip -n "$NS_PARTNER" addr add 203.0.113.80/24 dev eth0
	ip -n "$NS_PARTNER" addr add 203.0.113.20/24 dev eth0
	ip -n "$NS_PARTNER" link set eth0 up
	ip -n "$NS_PARTNER" link set lo up
	ip -n "$NS_PARTNER" route add default via 203.0.113.1
	# head-end site: head-end and IoT-route gateway
	ip -n "$NS_HE" addr add 192.0.2.10/24 dev eth0
	ip -n "$NS_HE" addr add 192.0.2.20/24 dev eth0
	ip -n "$NS_HE" addr add 2001:db8:10::10/64 dev eth0 nodad
	ip -n "$NS_HE" link set eth0 up
	ip -n "$NS_HE" link set lo up
	ip -n "$NS_HE" route add default via 192.0.2.1
	ip -n "$NS_HE" -6 route add default via 2001:db8:10::1
}

topo_down() {
	local h
	for h in "${TOPO_HOSTS[@]}"; do
		ip netns del "$(ns_of "$h")" 2>/dev/null
	done
	ip netns del "$NS_PARTNER" 2>/dev/null
	ip netns del "$NS_HE" 2>/dev/null
	ip netns del "$NS_GW" 2>/dev/null
	ip netns del "$NS_LAN" 2>/dev/null
	return 0
}

# udp_probe NS SRC DST PORT -> 0 if a datagram from SRC reached DST:PORT
# and the echo came back (socat echo server on the far side).
