#!/usr/bin/env bash
# meterwall live demonstration on one machine.
#
# Builds a simulated gateway site in network namespaces (drawing in
# tools/lib/topo.sh): external parties on the gateway's external interfaces
# ext0/ext1, the head-end behind sm0.  Attaches meterwall's XDP program,
# loads examples/gateway.yaml, sends real TCP and UDP, and shows what
# passed, what was dropped and why, a block and a reconnect, and the flow
# records.  PASS and DROP are the datapath's own verdicts (its reason
# counters).  Cleans up on exit, also when interrupted.
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
M=$PWD/$O/mwctl
PROBE="python3 $PWD/tests/lib/probe.py"
POLICY=${POLICY:-examples/gateway.yaml}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (network namespaces, XDP)" >&2
	exit 1
fi
[ -x "$M" ] || { echo "demo: $M missing: run 'make demo'" >&2; exit 1; }

TOPO_ID=${TOPO_ID:-demo$$}	# unique per run
. tools/lib/topo.sh
export MW_PIN_DIR=/sys/fs/bpf/meterwall-$TOPO_ID
export MW_STATE_DIR=$(mktemp -d) MW_LOG_DIR=$(mktemp -d)
pids=()

cleanup() {
	local p
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	in_ns "$NS_GW" "$M" detach ext0 >/dev/null 2>&1
	in_ns "$NS_GW" "$M" detach ext1 >/dev/null 2>&1
	rm -rf "$MW_PIN_DIR" "$MW_STATE_DIR" "$MW_LOG_DIR"
	topo_down
	echo
	echo "demo: namespaces and pins removed."
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'; else B= G= R= N=; fi
section() { printf '\n%s== %s ==%s\n' "$B" "$*" "$N"; }
gw() { in_ns "$NS_GW" "$M" "$@"; }

reasons() { gw -j status; }

# What the datapath counted between two status snapshots: its verdict (the
# most counted reason other than ARP/ND decides: PASS or DROP, NONE if it saw
# nothing) and every reason with its count.
counted() {
	python3 -c '
import json, sys
a = json.loads(sys.argv[1])["reasons"]; b = json.loads(sys.argv[2])["reasons"]
d = {k: v - a.get(k, 0) for k, v in b.items() if v - a.get(k, 0) > 0}
top = sorted(d.items(), key=lambda x: (x[0] == "L2_CONTROL", -x[1]))
v = "NONE" if not top or top[0][0] == "L2_CONTROL" else \
    "PASS" if top[0][0] in ("ALLOWED", "REPLY", "RELATED") else "DROP"
print(v, ", ".join("%s x%d" % kv for kv in top) or "nothing seen")' "$1" "$2"
}

# scene WHO NS FROM TO PROTO PORT WHAT [EXPECT]: send real traffic, print the
# datapath's verdict and reasons, and what came back end to end; EXPECT
# (PASS or DROP) is checked against the datapath's verdict
scene() {
	local who=$1 ns=$2 from=$3 to=$4 proto=$5 port=$6 what=$7 expect=${8:-}
	local out e2e before verdict why note=
	before=$(reasons)
	if [ "$proto" = tcp ]; then
		out=$(in_ns "$ns" $PROBE tcp "$from" "$to" "$port")
		[ "$out" = connected ] && e2e=PASS || e2e=DROP
	else
		out=$(in_ns "$ns" $PROBE udp "$from" "$to" "$port" 3)
		[ "$out" -gt 0 ] && e2e=PASS || e2e=DROP
	fi
	read -r verdict why <<<"$(counted "$before" "$(reasons)")"
	case $verdict in
	PASS) printf '  %sPASS%s  %-37s %s\n' "$G" "$N" "$who" "$what" ;;
	DROP) printf '  %sDROP%s  %-37s %s\n' "$R" "$N" "$who" "$what" ;;
	*) printf '  ????  %-37s %s\n' "$who" "$what" ;;
	esac
	[ "$verdict" = PASS ] && [ $e2e = DROP ] && note=" (passed, but no answer came back)"
	[ "$verdict" != PASS ] && [ $e2e = PASS ] && note=" (yet it was answered!)"
	printf '        datapath: %s%s\n' "$why" "$note"
	if [ -n "$expect" ] && [ "$expect" != "$verdict" ]; then
		printf '        %sexpected %s, the datapath decided %s%s\n' "$R" "$expect" "$verdict" "$N"
	fi
}

# maintenance: the contractor's DLMS/COSEM window, judged now by the
# reference classifier with the policy's own window (mwctl explain), then
# the real connection to a meter and the datapath's verdict on it
maintenance() {
	local r v reason jst
	r=$("$M" -j explain "$POLICY" --at "$(date +%s)" --from 198.51.100.40 \
		--to 192.0.2.130 --proto tcp --dport 4059)
	read -r v reason <<<"$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["verdict"], r["reason"])' "$r")"
	jst=$(python3 -c 'import datetime as d; print(d.datetime.now(d.timezone(d.timedelta(hours=9))).strftime("%a %H:%M"))')
	case $reason in
	ALLOWED) echo "  window weekdays 09:00-18:00 JST; now $jst JST: open" ;;
	NO_CONDUIT) echo "  window weekdays 09:00-18:00 JST; now $jst JST: closed" ;;
	*) echo "  window weekdays 09:00-18:00 JST; now $jst JST; the policy says $reason" ;;
	esac
	echo "  expected now (mwctl explain): $v $reason"
	scene "Maintenance contractor (DLMS/COSEM)" "$(ns_of maint)" 198.51.100.40 \
		192.0.2.130 tcp 4059 "TCP 4059 -> meter 192.0.2.130" "$v"
}

section "Building the site: external parties, gateway, head-end (namespaces, veth)"
topo_up
# a meter in zone meters (192.0.2.128/25), behind sm0 like the head-end
ip -n "$NS_HE" addr add 192.0.2.130/24 dev eth0
for a in "192.0.2.10 3610" "192.0.2.10 22" "2001:db8:10::10 3610" "192.0.2.20 443" "192.0.2.130 4059"; do
	nsenter --net=/run/netns/"$NS_HE" $PROBE serve $a >/dev/null 2>&1 &
	pids+=($!)
done
nsenter --net=/run/netns/"$NS_PARTNER" $PROBE serve 203.0.113.80 443 >/dev/null 2>&1 &
pids+=($!)
sleep 1.5
echo "  ext0: HEMS gateway 198.51.100.10, spoofer 198.51.100.11, rogue 198.51.100.99, contractor 198.51.100.40"
echo "  ext1: DR aggregator API 203.0.113.80, gas/water collector 203.0.113.20"
echo "  sm0:  head-end 192.0.2.10 / 2001:db8:10::10, IoT-route gateway 192.0.2.20, meter 192.0.2.130"

section "The connection standard: $POLICY"
"$M" check --risk "$POLICY"

section "Enforcement: XDP on the external interfaces, policy loaded atomically"
gw attach ext0
gw attach ext1
gw load "$POLICY"

section "Traffic"
scene "HEMS gateway (ECHONET Lite)" "$(ns_of hems)" 198.51.100.10 192.0.2.10 udp 3610 "UDP 3610 -> head-end"
scene "HEMS gateway (ECHONET Lite/TCP)" "$(ns_of hems)" 198.51.100.10 192.0.2.10 tcp 3610 "TCP 3610 -> head-end"
scene "HEMS gateway over IPv6" "$(ns_of hems)" 2001:db8:100::10 2001:db8:10::10 tcp 3610 "TCP 3610 -> head-end"
scene "HEMS gateway, undeclared service" "$(ns_of hems)" 198.51.100.10 192.0.2.10 tcp 22 "TCP 22 (ssh) -> head-end"
scene "Gas/water collector (IoT route)" "$NS_PARTNER" 203.0.113.20 192.0.2.20 tcp 443 "TCP 443 -> IoT-route gateway"
scene "Head-end calls the DR aggregator" "$NS_HE" 192.0.2.10 203.0.113.80 tcp 443 "TCP 443 outbound; replies come in"
scene "DR aggregator tries to open inbound" "$NS_PARTNER" 203.0.113.80 192.0.2.10 tcp 3610 "TCP 3610 -> head-end"
maintenance
scene "Rogue device" "$(ns_of rogue)" 198.51.100.99 192.0.2.10 udp 3610 "UDP 3610 -> head-end"
scene "Spoofer with the HEMS gateway's IP" "$(ns_of spoof)" 198.51.100.11 192.0.2.10 udp 3610 "UDP 3610 (wrong MAC)"

section "Control 2.1.3: block the HEMS aggregator (monitoring judged it high-risk)"
gw block hems-aggregator --reason "SOC-4711: scanning from hems-gw-1"
scene "HEMS gateway (blocked)" "$(ns_of hems)" 198.51.100.10 192.0.2.10 udp 3610 "UDP 3610 -> head-end"
echo "  the block survives a policy reload:"
gw load "$POLICY" >/dev/null
scene "HEMS gateway (still blocked)" "$(ns_of hems)" 198.51.100.10 192.0.2.10 udp 3610 "UDP 3610 -> head-end"

echo "  the block, with its system's entity, contact and demarcation:"
gw blocks hems-aggregator | sed 's/^/  /'

section "Reconnect on the owner's request, approved by the duty officer"
gw reconnect request hems-aggregator --ref "KHS-REQ-2026-118" --by "Tanaka (Kanto HEMS SOC)" >/dev/null
gw reconnect approve hems-aggregator --by "duty-officer:sato"
echo "  its history (times in the policy's time zone):"
gw blocks --history hems-aggregator | sed 's/^/  /'
scene "HEMS gateway (reconnected)" "$(ns_of hems)" 198.51.100.10 192.0.2.10 udp 3610 "UDP 3610 -> head-end"

section "Drops by reason (datapath counters)"
gw -j status | python3 -c '
import json, sys
for k, v in sorted(json.load(sys.stdin)["reasons"].items(), key=lambda x: -x[1]):
    print("  %-16s %6d packets" % (k, v))'

section "Flow records (largest first)"
gw flows --top 12

section "Drop events (rate-limited per device)"
gw events | tail -n 8

section "Audit log"
sed 's/^/  /' "$MW_LOG_DIR/audit.log"
