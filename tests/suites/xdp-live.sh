#!/usr/bin/env bash
# XDP enforcement, live: real TCP/UDP through network namespaces joined by
# veth (see tools/lib/topo.sh for the drawing), the example policy loaded
# with mwctl, XDP native on the gateway's external interfaces.
#
#   external hosts ── lan bridge ── ext0 [gateway] sm0 ── head-end
#   partner ──────────────────────── ext1 [       ]
#
# Checks: allowed conduits end to end (v4, v6, TCP, UDP, replies to an
# outbound conduit); drops counted with their reasons; block on the next
# packet, unblock restores; reload under continuous traffic misjudges no
# packet; SIGKILLed controller leaves enforcement and counters running.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/suite.sh
O=${O:-build}
M=$PWD/$O/mwctl
PROBE="python3 $PWD/tests/lib/probe.py"
[ "$(id -u)" -eq 0 ] || cannot_run "needs root"
[ -x "$M" ] || cannot_run "$M not built"
for t in ip nsenter python3; do
	command -v $t >/dev/null || cannot_run "$t missing"
done
[ -e /sys/kernel/btf/vmlinux ] || cannot_run "no BTF"

TOPO_ID=lv$$
. tools/lib/topo.sh
export MW_PIN_DIR=/sys/fs/bpf/meterwall-$TOPO_ID
export MW_STATE_DIR=$(mktemp -d) MW_LOG_DIR=$(mktemp -d)
tmp=$(mktemp -d)
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	in_ns "$NS_GW" "$M" detach ext0 >/dev/null 2>&1
	in_ns "$NS_GW" "$M" detach ext1 >/dev/null 2>&1
	rm -rf "$MW_PIN_DIR" "$MW_STATE_DIR" "$MW_LOG_DIR" "$tmp"
	topo_down
}
trap cleanup EXIT

gw() { in_ns "$NS_GW" "$M" "$@"; }
host() { local h=$1; shift; in_ns "$(ns_of "$h")" "$@"; }
# nsenter execs the server, so $! is the server itself (a function put in
# the background would leave it orphaned when killed)
serve() { nsenter --net=/run/netns/"$1" $PROBE serve "$2" "$3" >/dev/null 2>&1 & pids+=($!); }

# reason_count REASON: packets counted with that reason (pass or drop)
reason_count() {
	gw -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["reasons"].get(sys.argv[1], 0))' "$1"
}
# flow_packets SRC DPORT: packets of flows from SRC to DPORT, and verdict
flow_packets() {
	gw -j flows | python3 -c '
import json, sys
n, v = 0, set()
for f in json.load(sys.stdin):
    if f["src"] == sys.argv[1] and f["dport"] == int(sys.argv[2]):
        n += f["packets"]; v.add(f["verdict"])
print(n, ",".join(sorted(v)))' "$1" "$2"
}

pr topo_up >/dev/null || cannot_run "cannot build the namespaces"
serve "$NS_HE" 192.0.2.10 3610
serve "$NS_HE" 192.0.2.10 9999
serve "$NS_HE" 2001:db8:10::10 3610
serve "$NS_HE" 192.0.2.20 443
serve "$NS_PARTNER" 203.0.113.80 443
sleep 1.5	# IPv6 link-local addresses settle

# --- fail closed before a policy -----------------------------------------
check "attach ext0 (native)" gw attach ext0 --mode native
check "attach ext1 (native)" gw attach ext1 --mode native
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 0 ] && ok "no policy: everything dropped" || fail "no policy: $out echoes"
[ "$(reason_count NO_POLICY)" -gt 0 ] && ok "counted as NO_POLICY" || fail "NO_POLICY not counted"

# --- policy in force -------------------------------------------------------
check "load the example policy" gw load examples/gateway.yaml
host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 1 >/dev/null	# neighbours
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 5)
[ "$out" = 5 ] && ok "ECHONET Lite UDP 3610 passes (5/5 echoes)" || fail "UDP 3610: $out/5"
check "ECHONET Lite TCP 3610 connects" host hems $PROBE tcp 198.51.100.10 192.0.2.10 3610
check "IPv6 TCP 3610 connects" host hems $PROBE tcp 2001:db8:100::10 2001:db8:10::10 3610
check "gas/water collector TCP 443 to the IoT route (ext1)" in_ns "$NS_PARTNER" $PROBE tcp 203.0.113.20 192.0.2.20 443
check "outbound conduit: head-end opens TCP 443 to the DR aggregator, replies pass" \
	in_ns "$NS_HE" $PROBE tcp 192.0.2.10 203.0.113.80 443
r0=$(reason_count REPLY)
[ "$r0" -gt 0 ] && ok "replies counted as REPLY ($r0)" || fail "no REPLY counted"
n0=$(reason_count NO_CONDUIT)
out=$(host hems $PROBE tcp 198.51.100.10 192.0.2.10 9999)
[ "$out" != connected ] && ok "HEMS to an undeclared port is dropped" || fail "HEMS reached port 9999"
[ "$(reason_count NO_CONDUIT)" -gt "$n0" ] && ok "counted as NO_CONDUIT" || fail "NO_CONDUIT not counted"
out=$(in_ns "$NS_PARTNER" $PROBE tcp 203.0.113.80 192.0.2.10 3610)
[ "$out" != connected ] && ok "DR aggregator cannot open inbound (outbound-only conduit)" || fail "DR aggregator opened inbound"
n0=$(reason_count UNKNOWN_SOURCE)
out=$(host rogue $PROBE udp 198.51.100.99 192.0.2.10 3610 3)
[ "$out" = 0 ] && ok "rogue device dropped" || fail "rogue got $out echoes"
[ "$(reason_count UNKNOWN_SOURCE)" -gt "$n0" ] && ok "counted as UNKNOWN_SOURCE" || fail "UNKNOWN_SOURCE not counted"
n0=$(reason_count SPOOFED)
out=$(host spoof $PROBE udp 198.51.100.11 192.0.2.10 3610 3)
[ "$out" = 0 ] && ok "MAC-spoofed device address dropped" || fail "spoofer got $out echoes"
[ "$(reason_count SPOOFED)" -gt "$n0" ] && ok "counted as SPOOFED" || fail "SPOOFED not counted"
gw -j status | python3 -c '
import json, sys
s = {x["system"]: x for x in json.load(sys.stdin)["systems"]}
h = s["hems-aggregator"]
assert h["pass_packets"] > 0 and h["drop_packets"] > 0, h
d = {x["device"]: x for x in h["devices"]}
assert d["hems-gw-1"]["pass_bytes"] > 0, d
' && ok "per-system and per-device counters" || fail "status counters"
read -r n v <<<"$(flow_packets 198.51.100.10 3610)"
[ "$n" -ge 5 ] && [[ $v == *PASS* ]] && ok "flow records for the HEMS flows ($n packets)" || fail "flow records: $n $v"

expect_rc "attach refuses the smart-meter interface" 1 gw attach sm0

# --- block and reconnect -------------------------------------------------
check "block hems-aggregator" gw block hems-aggregator --reason "test: high risk"
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 1)
[ "$out" = 0 ] && ok "block: the next packet is dropped" || fail "block: next packet passed"
[ "$(reason_count BLOCKED)" -gt 0 ] && ok "counted as BLOCKED" || fail "BLOCKED not counted"
check "block survives a policy reload" gw load examples/gateway.yaml
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 0 ] && ok "still blocked after reload" || fail "reload lifted the block"
expect_rc "unblock needs --request and --by" 1 gw unblock hems-aggregator
check "unblock with the owner's request" gw unblock hems-aggregator --request REQ-2026-1125 --by duty-officer
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 3)
[ "$out" = 3 ] && ok "unblock restores traffic" || fail "after unblock: $out/3"
check "block one device for 2s" gw block device:hems-gw-1 --reason "timed" --for 2s
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 1)
[ "$out" = 0 ] && ok "device block drops" || fail "device block: $out"
sleep 2.2
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 2 ] && ok "timed block expires in the datapath" || fail "timed block: $out/2"
grep -q '"action":"unblock".*"request":"REQ-2026-1125","approved_by":"duty-officer"' "$MW_LOG_DIR/audit.log" &&
	ok "audit log records the request and the approver" || fail "audit log"

# --- island ----------------------------------------------------------------
check "island on" gw island on
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 0 ] && ok "island drops everything" || fail "island: $out"
check "island off" gw island off
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 2 ] && ok "island off restores" || fail "island off: $out"

# --- bad policy changes nothing ----------------------------------------------
g0=$(gw -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["xdp"]["generation"])')
sed 's/ports: \[3610\]/ports: [70000]/' examples/gateway.yaml >"$tmp/bad.yaml"
err=$(gw load "$tmp/bad.yaml" 2>&1)
[ $? -eq 1 ] && grep -q "$tmp/bad.yaml:[0-9]*:[0-9]*: error: .*70000" <<<"$err" &&
	ok "bad policy rejected with its location" || fail "bad policy: $err"
sed 's/^serial: .*/serial: 1/' examples/gateway.yaml >"$tmp/old.yaml"
expect_rc "older serial refused (anti-rollback)" 1 gw load "$tmp/old.yaml"
g1=$(gw -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["xdp"]["generation"])')
[ "$g0" = "$g1" ] && ok "rejected loads left generation $g0 in force" || fail "generation moved $g0 -> $g1"
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 2)
[ "$out" = 2 ] && ok "traffic still judged by the old policy" || fail "after rejects: $out"

# --- reload under continuous traffic -------------------------------------------
serial=$(sed -n 's/^serial: //p' examples/gateway.yaml | cut -d' ' -f1)
host hems $PROBE stream 198.51.100.10 192.0.2.10 3610 4 500 >"$tmp/allowed" &
sa=$!
host hems $PROBE stream 198.51.100.10 192.0.2.10 9999 4 500 >"$tmp/denied" &
sd=$!
loads=0
end=$((SECONDS + 3))
while [ $SECONDS -lt $end ]; do
	serial=$((serial + 1))
	sed "s/^serial: .*/serial: $serial/" examples/gateway.yaml >"$tmp/p.yaml"
	gw load "$tmp/p.yaml" >/dev/null && loads=$((loads + 1))
done
wait $sa $sd
read -r _ sent _ got <"$tmp/allowed"
[ "$loads" -ge 5 ] && ok "$loads policy loads during the stream" || fail "only $loads loads"
[ "$sent" -gt 0 ] && [ "$sent" = "$got" ] && ok "allowed stream: $got of $sent echoed across $loads swaps" ||
	fail "allowed stream lost packets: $got of $sent"
read -r _ dsent _ dgot <"$tmp/denied"
read -r n v <<<"$(flow_packets 198.51.100.10 9999)"
[ "$dgot" = 0 ] && [ "$n" -ge "$dsent" ] && [ "$v" = DROP ] &&
	ok "denied stream: all $dsent dropped and recorded ($n packets in DROP flows)" ||
	fail "denied stream: $dgot echoed, flows $n $v of $dsent"

# --- the controller dies -------------------------------------------------------
nsenter --net=/run/netns/"$NS_GW" "$M" events -f >/dev/null &
ev=$!
sleep 0.3
kill -9 "$ev"
wait "$ev" 2>/dev/null
c0=$(reason_count ALLOWED)
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 3)
out2=$(host rogue $PROBE udp 198.51.100.99 192.0.2.10 3610 2)
[ "$out" = 3 ] && [ "$out2" = 0 ] && ok "SIGKILLed controller: enforcement continues" ||
	fail "after SIGKILL: allowed $out/3, rogue $out2"
[ "$(reason_count ALLOWED)" -ge $((c0 + 3)) ] && ok "counters keep counting" || fail "counters stopped"
serial=$((serial + 1))
sed "s/^serial: .*/serial: $serial/" examples/gateway.yaml >"$tmp/k.yaml"
nsenter --net=/run/netns/"$NS_GW" "$M" load "$tmp/k.yaml" >/dev/null 2>&1 &
kl=$!
sleep 0.05
kill -9 "$kl" 2>/dev/null
wait "$kl" 2>/dev/null
out=$(host hems $PROBE udp 198.51.100.10 192.0.2.10 3610 3)
[ "$out" = 3 ] && ok "a load killed midway leaves a whole policy in force" || fail "after killed load: $out/3"

# --- detach -----------------------------------------------------------------------
check "detach ext0" gw detach ext0
out=$(host rogue $PROBE udp 198.51.100.99 192.0.2.10 3610 2)
[ "$out" = 2 ] && ok "detached: no enforcement left on ext0" || fail "after detach: $out"
expect_rc "detach twice is an error" 1 gw detach ext0

suite_end
